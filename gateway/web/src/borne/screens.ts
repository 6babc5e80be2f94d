/** The kiosk's screens, shown in place: the kiosk never leaves `/borne/`. */
export type Screen = 'accueil' | 'signaler' | 'suivre' | 'annonces' | 'lieux';
