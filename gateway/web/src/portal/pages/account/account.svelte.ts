/**
 * What the resident's space shares between its pages: a message carried over to the
 * next page (signed in, account erased…), whether the session was opened with
 * FranceConnect (signing out must then end FranceConnect's too), and the French
 * wording of the profile's attributes, levels and notification topics.
 */

import { api, type Schemas } from '../../../lib/api/client';
import { session } from '../../../lib/session.svelte';
import './account.css';

export type Profile = Schemas['Profile'];
export type Level = Schemas['Level'];

/** A message shown once by the next page (`role="status"`), then dropped. */
export const flash: { message: string } = $state({ message: '' });

/** Takes the waiting message, if any. */
export function takeFlash(): string {
  const message = flash.message;
  flash.message = '';
  return message;
}

const FRANCECONNECT_KEY = 'guichet.franceconnect';

/** Remembers, for the tab's life like the session itself, that FranceConnect opened it. */
export function rememberFranceConnect(on: boolean): void {
  try {
    if (on) sessionStorage.setItem(FRANCECONNECT_KEY, '1');
    else sessionStorage.removeItem(FRANCECONNECT_KEY);
  } catch {
    // Storage refused: signing out then ends Guichet's session only.
  }
}

function openedWithFranceConnect(): boolean {
  try {
    return sessionStorage.getItem(FRANCECONNECT_KEY) === '1';
  } catch {
    return false;
  }
}

/**
 * Signs out. A session opened with FranceConnect ends there too: the browser goes to
 * FranceConnect's logout page, which sends it back to the city's.
 */
export async function signOut(): Promise<void> {
  let logoutUrl: string | null = null;
  if (openedWithFranceConnect()) {
    try {
      const { data } = await api.POST('/api/v1/auth/franceconnect/logout');
      logoutUrl = data?.url ?? null;
    } catch {
      // FranceConnect unreachable: Guichet's session still ends below.
    }
  }
  rememberFranceConnect(false);
  await session.signOut();
  if (logoutUrl) window.location.assign(logoutUrl);
}

const LEVEL: Record<Level, string> = {
  declared: 'Déclarée par vous',
  verified: 'Vérifiée par le guichet',
  checked_at_counter: 'Vérifiée par un agent sur pièce justificative',
  franceconnect: 'Certifiée par FranceConnect',
};

/** How an attribute is known, in words (never by colour alone). */
export function levelLabel(level: Level): string {
  return LEVEL[level] ?? 'Déclarée par vous';
}

/** The profile's attributes, in the order a person reads them. */
export const ATTRIBUTES: { name: string; label: string; hint?: string }[] = [
  { name: 'email', label: 'Adresse e-mail' },
  { name: 'civility', label: 'Civilité' },
  { name: 'given_name', label: 'Prénom(s)' },
  { name: 'family_name', label: 'Nom de naissance' },
  { name: 'preferred_username', label: "Nom d'usage", hint: 'Par exemple le nom marital, si vous en avez un.' },
  { name: 'gender', label: 'Sexe' },
  { name: 'birthdate', label: 'Date de naissance' },
  { name: 'birthplace', label: 'Lieu de naissance', hint: 'Code officiel (INSEE) de la commune.' },
  { name: 'birthcountry', label: 'Pays de naissance', hint: 'Code officiel (INSEE) du pays.' },
  { name: 'address', label: 'Adresse postale' },
  { name: 'phone', label: 'Téléphone', hint: 'Par exemple 06 12 34 56 78.' },
  { name: 'preferred_channels', label: 'Moyens de contact préférés' },
];

export function attributeLabel(name: string): string {
  return ATTRIBUTES.find((a) => a.name === name)?.label ?? name;
}

const GENDER: Record<string, string> = { female: 'Féminin', male: 'Masculin' };
const CIVILITY: Record<string, string> = { Mme: 'Madame', 'M.': 'Monsieur' };
const CHANNELS: Record<string, string> = { email: 'courriel', sms: 'SMS', app: 'application' };

/** An attribute's value as a person reads it (dates in full, codes in words). */
export function attributeValue(name: string, value: string): string {
  if (name === 'birthdate' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-').map(Number);
    return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'UTC' }).format(
      new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)),
    );
  }
  if (name === 'gender') return GENDER[value] ?? value;
  if (name === 'civility') return CIVILITY[value] ?? value;
  if (name === 'preferred_channels') {
    return value
      .split(',')
      .map((c) => CHANNELS[c.trim()] ?? c.trim())
      .filter(Boolean)
      .join(', ');
  }
  return value;
}

/** Notification topics, in the order a demand lives them. */
export const TOPICS: { topic: string; label: string }[] = [
  { topic: 'filed', label: 'Votre demande est enregistrée' },
  { topic: 'status.received', label: 'Le service a reçu votre demande' },
  { topic: 'status.in_progress', label: 'Votre demande est en cours de traitement' },
  { topic: 'status.awaiting_resident', label: 'Le service attend une réponse de votre part' },
  { topic: 'message', label: 'Le service vous écrit' },
  { topic: 'status.resolved', label: 'Votre demande est résolue' },
  { topic: 'status.rejected', label: 'Votre demande est rejetée' },
  { topic: 'status.closed', label: 'Votre demande est clôturée' },
  { topic: 'follow', label: 'Un signalement que vous suivez (« Moi aussi ») avance' },
];

export function topicLabel(topic: string): string {
  return TOPICS.find((t) => t.topic === topic)?.label ?? topic;
}

export const NOTIFICATION_CHANNELS: { channel: string; label: string }[] = [
  { channel: 'email', label: 'Courriel' },
  { channel: 'sms', label: 'SMS' },
  { channel: 'app', label: 'Application et espace personnel' },
];
