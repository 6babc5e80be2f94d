/** The designer's French words for the definition's codes: states, audiences, field types, profile attributes. */

import type { Schemas } from '../../api';
import type { FieldType } from '../../../lib/form/types';
import { channelLabel } from '../../../lib/format';

const STATE: Record<string, string> = {
  draft: 'Brouillon',
  pilot: 'Pilote',
  published: 'Publié',
  retired: 'Retiré',
};

export function stateLabel(state: string): string {
  return STATE[state] ?? state;
}

/** Who a pilot is open to, in words. */
export function pilotText(pilot: Schemas['Pilot'] | null | undefined): string {
  switch (pilot?.mode) {
    case 'agents':
      return 'Les agents de la ville';
    case 'cohort': {
      const n = pilot.residents?.length ?? 0;
      return n === 1 ? "Un panel d'un usager" : `Un panel de ${n} usagers`;
    }
    case 'percentage':
      return `${pilot.percentage ?? 0} % des usagers`;
    default:
      return 'Public du pilote inconnu';
  }
}

/** Who may file the teleservice now. */
export function audienceText(t: Schemas['Teleservice']): string {
  switch (t.state) {
    case 'published':
      return 'Tous les usagers';
    case 'pilot':
      return pilotText(t.pilot);
    case 'retired':
      return 'Personne (retiré)';
    default:
      return 'Personne (pas encore en ligne)';
  }
}

export const FIELD_TYPES: Record<FieldType, string> = {
  short_text: 'Texte court',
  long_text: 'Texte long',
  integer: 'Nombre entier',
  decimal: 'Nombre décimal',
  email: 'Adresse e-mail',
  phone: 'Numéro de téléphone',
  date: 'Date',
  yes_no: 'Oui ou non',
  checkbox: 'Case à cocher',
  choice: 'Choix unique',
  multiple_choice: 'Choix multiples',
  address: 'Adresse postale',
  siret: 'Numéro SIRET',
  iban: 'IBAN',
  file: 'Pièces jointes',
  repeatable: 'Bloc répétable',
  section_title: 'Titre de section',
  explanation: "Texte d'explication",
};

/** What a form may read from a resident's account (`guichet_kit::profile::is_form_attribute`). */
export const PROFILE_ATTRIBUTES: [string, string][] = [
  ['email', 'Adresse e-mail du compte'],
  ['civility', 'Civilité'],
  ['given_name', 'Prénom(s)'],
  ['family_name', 'Nom de naissance'],
  ['preferred_username', "Nom d'usage"],
  ['gender', 'Sexe'],
  ['birthdate', 'Date de naissance'],
  ['birthplace', 'Lieu de naissance'],
  ['birthcountry', 'Pays de naissance'],
  ['address', 'Adresse postale'],
  ['phone', 'Téléphone'],
  ['preferred_channels', 'Moyens de contact préférés'],
  ['siret', "SIRET d'une entreprise du compte"],
];

/** The weakest level a teleservice may ask for, weakest first. */
export const LEVELS: [string, string][] = [
  ['declared', "Déclarée par l'usager"],
  ['verified', 'Vérifiée par le guichet'],
  ['checked_at_counter', 'Vérifiée par un agent sur pièce justificative'],
  ['franceconnect', 'Certifiée par FranceConnect'],
];

/** `Site web`, `Borne`…: the shared wording, capitalised for a list of boxes. */
export function channelName(code: string): string {
  const words = channelLabel(code);
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The shared statuses a sub-status may refine. */
export const STATUSES = ['submitted', 'received', 'in_progress', 'awaiting_resident', 'resolved', 'rejected', 'closed'];
