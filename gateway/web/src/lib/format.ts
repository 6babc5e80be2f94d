/** French wording of the API's codes and dates, as residents read them. */

const STATUS: Record<string, string> = {
  submitted: 'Déposée',
  received: 'Reçue par le service',
  in_progress: 'En cours de traitement',
  awaiting_resident: 'En attente de votre réponse',
  resolved: 'Résolue',
  rejected: 'Rejetée',
  closed: 'Clôturée',
};

export function statusLabel(status: string | null | undefined): string {
  return (status && STATUS[status]) || 'Statut inconnu';
}

const CHANNEL: Record<string, string> = {
  web: 'site web',
  app: 'application mobile',
  kiosk: 'borne',
  counter: 'accueil en mairie',
  phone: 'téléphone',
  system: 'traitement automatique',
};

/** `site web`, `borne`…; an unknown code is shown as is rather than hidden. */
export function channelLabel(channel: string | null | undefined): string {
  return (channel && CHANNEL[channel]) || channel || 'canal inconnu';
}

const KIND: Record<string, string> = {
  teleservice: 'Démarche en ligne',
  complaint: 'Signalement',
  rapo: 'Recours (forfait post-stationnement)',
};

export function kindLabel(kind: string): string {
  return KIND[kind] ?? kind;
}

const ROLE: Record<string, string> = { agent: 'Le service', resident: 'Vous', system: 'Le guichet' };

export function authorLabel(role: string): string {
  return ROLE[role] ?? 'Le guichet';
}

const DAY = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
const MOMENT = new Intl.DateTimeFormat('fr-FR', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'Europe/Paris',
});

/** `15 mars 2026`, the day in Paris; `fallback` when unknown. */
export function day(at: string | null | undefined, fallback = 'non précisée'): string {
  return at ? DAY.format(new Date(at)) : fallback;
}

/** `15 mars 2026 à 14:05`, Paris time. */
export function moment(at: string | null | undefined): string {
  return at ? MOMENT.format(new Date(at)) : '';
}

/** `12 m`, `1,2 km`. */
export function distance(metres: number | null | undefined): string {
  if (metres == null) return '';
  return metres < 1000
    ? `${Math.round(metres)} m`
    : `${(metres / 1000).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} km`;
}

/** `1,5 Mo`, `320 ko`. */
export function bytes(size: number): string {
  if (size >= 1024 * 1024)
    return `${(size / 1024 / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`;
  return `${Math.max(1, Math.round(size / 1024))} ko`;
}

/** Statuses after which a demand no longer moves (its answer may then be rated). */
const FINAL = ['resolved', 'rejected', 'closed'];

export function isFinal(status: string): boolean {
  return FINAL.includes(status);
}
