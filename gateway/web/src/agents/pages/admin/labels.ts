/**
 * The administration's sections and the French words for the API's codes it shows
 * (roles, kinds of device and place, days, audiences, priorities). Unknown codes are
 * shown as they come rather than hidden: a new value in the API still reads.
 */

export interface Section {
  slug: string;
  label: string;
  about: string;
}

/** The index's links and every page's menu, in this order. */
export const SECTIONS: Section[] = [
  { slug: 'agents', label: 'Agents', about: "Comptes des agents : leurs services, leurs rôles, leur accès à l'intranet." },
  { slug: 'services', label: 'Services', about: 'Les services de la ville et les thèmes que chacun traite.' },
  { slug: 'themes', label: 'Thèmes', about: 'Les thèmes des demandes (signalements, démarches, recours) et leur ordre.' },
  { slug: 'categories', label: 'Catégories de signalement', about: 'Ce que les usagers peuvent signaler, le service saisi et le délai.' },
  { slug: 'appareils', label: 'Appareils', about: "Bornes, postes d'accueil et postes téléphoniques : les installer, les révoquer." },
  { slug: 'lieux', label: "Lieux d'accueil", about: 'Adresses, horaires, fermetures exceptionnelles et services rendus.' },
  { slug: 'annonces', label: 'Annonces', about: "Publier une annonce sur le site, l'application, les bornes ou aux guichets ; la retirer." },
  { slug: 'open311', label: 'Clés Open311', about: 'Les clés des applications tierces qui déposent des signalements.' },
  { slug: 'journal', label: 'Journal des actions', about: 'Qui a lu ou modifié quoi, par agent et par objet.' },
];

export const ADMIN = '/agents/admin';

export function sectionHref(slug: string, id?: string): string {
  return id === undefined ? `${ADMIN}/${slug}` : `${ADMIN}/${slug}/${encodeURIComponent(id)}`;
}

export interface Option {
  value: string;
  label: string;
}

export const ROLES: Option[] = [
  { value: 'agent', label: 'Agent : traite les demandes de ses services' },
  { value: 'supervisor', label: 'Superviseur : tableaux de bord et annonces' },
  { value: 'form_designer', label: 'Conception des téléservices' },
  { value: 'admin', label: 'Administrateur' },
];

const ROLE_SHORT: Record<string, string> = {
  agent: 'agent',
  supervisor: 'superviseur',
  form_designer: 'conception',
  admin: 'administrateur',
};

export function rolesLabel(roles: string[]): string {
  return roles.map((r) => ROLE_SHORT[r] ?? r).join(', ') || 'aucun';
}

export const DEVICE_KINDS: Option[] = [
  { value: 'counter', label: "Poste d'accueil (guichet)" },
  { value: 'phone', label: 'Poste téléphonique (Allô Mairie)' },
  { value: 'kiosk', label: 'Borne' },
];

export function deviceKindLabel(kind: string): string {
  return kind === 'app' ? 'Application mobile' : (DEVICE_KINDS.find((k) => k.value === kind)?.label ?? kind);
}

export const PLACE_KINDS: Option[] = [
  { value: 'mairie', label: 'Mairie' },
  { value: 'mairie_annexe', label: 'Mairie annexe' },
  { value: 'mru', label: 'Mission Relation Usager' },
  { value: 'allo_mairie', label: 'Allô Mairie' },
  { value: 'autre', label: 'Autre lieu' },
];

export function placeKindLabel(kind: string): string {
  return PLACE_KINDS.find((k) => k.value === kind)?.label ?? kind;
}

/** ISO weekdays, 1 Monday … 7 Sunday, as the API numbers them. */
export const WEEKDAYS: Option[] = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'].map((label, i) => ({
  value: String(i + 1),
  label,
}));

export const AUDIENCES: Option[] = [
  { value: 'everyone', label: 'Tout le monde' },
  { value: 'residents', label: 'Les particuliers' },
  { value: 'professionals', label: 'Les professionnels' },
];

export function audienceLabel(audience: string): string {
  return AUDIENCES.find((a) => a.value === audience)?.label ?? audience;
}

/** Where an announcement can show. */
export const ANNOUNCEMENT_CHANNELS = ['web', 'app', 'kiosk', 'counter'];

export const PRIORITIES: Option[] = [
  { value: 'P1', label: 'P1 : danger' },
  { value: 'P2', label: 'P2 : normale' },
  { value: 'P3', label: 'P3 : gêne esthétique' },
];

export const COMPETENCES: Option[] = [
  { value: 'commune', label: 'Commune' },
  { value: 'metropole', label: 'Métropole' },
  { value: 'partagee', label: 'Partagée commune et métropole' },
];

export function optionLabel(options: Option[], value: string): string {
  return options.find((o) => o.value === value)?.label ?? value;
}

const ACTIONS: Record<string, string> = {
  read: 'Lecture',
  change: 'Modification',
  search: 'Recherche',
  message: 'Message',
  file: 'Pièce',
  revoke: 'Révocation',
  import_fps: 'Import de FPS',
};

export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action;
}

/** Theme codes by family, for the departments' check boxes. */
export function themeFamily(code: string): 'complaint' | 'teleservice' | 'other' {
  if (code.startsWith('complaint:')) return 'complaint';
  if (code.startsWith('teleservice:')) return 'teleservice';
  return 'other';
}

const SERVICES: Record<string, string> = {
  identity: 'Comptes et appareils',
  complaints: 'Signalements',
  teleservices: 'Démarches',
  rapo: 'Recours',
  notifications: 'Notifications',
};

/** The service that recorded an audit entry. */
export function serviceLabel(service: string): string {
  return SERVICES[service] ?? service;
}
