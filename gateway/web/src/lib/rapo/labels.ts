/** French wording of a dispute's codes and legal dates. */

const DECISION: Record<string, string> = {
  annulation_totale: 'Forfait annulé',
  annulation_partielle: 'Forfait partiellement annulé',
  rejet: 'Recours rejeté',
  rejet_implicite: 'Recours rejeté faute de réponse dans le délai (rejet implicite)',
};

export function decisionLabel(code: string): string {
  return DECISION[code] ?? code;
}

const NOTIFIED: Record<string, string> = {
  pare_brise: 'déposé sur le pare-brise',
  courrier: 'envoyé par courrier',
  electronique: 'notifié par voie électronique',
};

export function notificationLabel(channel: string): string {
  return NOTIFIED[channel] ?? channel;
}

const PIECE: Record<string, string> = {
  payment_notice: 'Avis de paiement',
  registration_certificate: "Certificat d'immatriculation",
  sale_declaration: 'Déclaration de cession',
  sale_registration_receipt: "Accusé d'enregistrement de la cession",
  mandate: 'Mandat',
  supporting: 'Pièce justificative',
};

export function pieceLabel(role: string): string {
  return PIECE[role] ?? 'Pièce';
}

const DAY = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'full', timeZone: 'Europe/Paris' });

/** A legal day the API gives as `YYYY-MM-DD` (a Paris date): `lundi 5 mai 2026`. */
export function legalDay(date: string | null | undefined): string {
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return date ?? '';
  // Noon UTC is the same day in Paris whatever the season.
  return DAY.format(new Date(`${date}T12:00:00Z`));
}

/** `5 jours`, `1 jour`. */
export function days(n: number): string {
  return n === 1 ? '1 jour' : `${n} jours`;
}
