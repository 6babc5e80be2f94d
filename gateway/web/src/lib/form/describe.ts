/**
 * What a field asks for in words (its rules told before anyone gets them wrong), and
 * an answer as residents read it back on the last step.
 */

import { frenchNumber, humanSize, resolveBound, typeName } from './input';
import type { Answers, Field, Upload } from './types';

function frenchDay(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ou ${items[items.length - 1]}`;
}

function between(min: string | undefined, max: string | undefined, what: string): string {
  if (min !== undefined && max !== undefined) return `${what} entre ${min} et ${max}.`;
  if (min !== undefined) return `${what} d'au moins ${min}.`;
  if (max !== undefined) return `${what} d'au plus ${max}.`;
  return '';
}

/** The rules of a field, in French, for its hint. */
export function rulesHint(field: Field, today: string): string {
  switch (field.type) {
    case 'short_text':
    case 'long_text': {
      const parts: string[] = [];
      if (field.pattern_hint) parts.push(`Format : ${field.pattern_hint}`);
      if (field.min_length !== undefined && field.max_length !== undefined) {
        parts.push(`Entre ${field.min_length} et ${field.max_length} caractères.`);
      } else if (field.max_length !== undefined) parts.push(`${field.max_length} caractères au plus.`);
      else if (field.min_length !== undefined) parts.push(`Au moins ${field.min_length} caractères.`);
      return parts.join(' ');
    }
    case 'integer':
      return between(field.min?.toString(), field.max?.toString(), 'Un nombre entier');
    case 'decimal': {
      const range = between(
        field.min !== undefined ? frenchNumber(field.min) : undefined,
        field.max !== undefined ? frenchNumber(field.max) : undefined,
        'Un nombre',
      );
      const decimals =
        field.max_decimals === undefined
          ? ''
          : field.max_decimals === 0
            ? 'Sans décimales.'
            : `${field.max_decimals} chiffre${field.max_decimals > 1 ? 's' : ''} après la virgule au plus.`;
      return [range || 'Par exemple 12,50.', decimals].filter(Boolean).join(' ');
    }
    case 'email':
      return 'Par exemple nom@exemple.fr.';
    case 'phone':
      return 'Par exemple 06 12 34 56 78.';
    case 'date': {
      const min = field.min ? resolveBound(field.min, today) : null;
      const max = field.max ? resolveBound(field.max, today) : null;
      const parts: string[] = [];
      if (field.min === 'today') parts.push("Aujourd'hui ou plus tard.");
      else if (min) parts.push(`Le ${frenchDay(min)} ou après.`);
      if (field.max === 'today') parts.push("Aujourd'hui ou avant.");
      else if (max) parts.push(`Le ${frenchDay(max)} ou avant.`);
      return parts.join(' ');
    }
    case 'multiple_choice': {
      const parts = ['Plusieurs réponses possibles.'];
      if (field.min_selected !== undefined && field.min_selected > 1) parts.push(`Au moins ${field.min_selected}.`);
      if (field.max_selected !== undefined) parts.push(`Au plus ${field.max_selected}.`);
      return parts.join(' ');
    }
    case 'address': {
      const parts: string[] = [];
      if (field.postcodes?.length) parts.push(`Dans la commune (codes postaux ${field.postcodes.join(', ')}).`);
      if (field.coordinates_required) parts.push("Placez aussi l'adresse sur la carte.");
      return parts.join(' ');
    }
    case 'siret':
      return '14 chiffres, espaces permis.';
    case 'iban':
      return [
        'Par exemple FR76 3000 6000 0112 3456 7890 189.',
        field.countries?.length ? `Pays acceptés : ${field.countries.join(', ')}.` : '',
      ]
        .filter(Boolean)
        .join(' ');
    case 'file': {
      const count = field.max_files ?? 1;
      return `${list(field.accept.map(typeName))} ; ${humanSize(field.max_size)} au plus par fichier${
        count > 1 ? ` ; ${count} fichiers au plus` : ''
      }.`;
    }
    case 'repeatable': {
      const parts: string[] = [];
      if (field.min_entries) parts.push(`Au moins ${field.min_entries}.`);
      if (field.max_entries) parts.push(`Au plus ${field.max_entries}.`);
      return parts.join(' ');
    }
    default:
      return '';
  }
}

/** The hint under a field: the designer's help, then its rules. */
export function hintOf(field: Field, today: string): string {
  return [field.help ?? '', rulesHint(field, today)].filter(Boolean).join(' ');
}

const NONE = 'Non renseigné';

/** An answer as the resident reads it back (a block's entries are shown field by field). */
export function answerText(field: Field, value: unknown, uploads: Upload[]): string {
  if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) {
    return field.type === 'checkbox' ? 'Non' : NONE;
  }
  switch (field.type) {
    case 'yes_no':
    case 'checkbox':
      return value === true ? 'Oui' : value === false ? 'Non' : NONE;
    case 'choice':
      return field.options.find((o) => o.value === value)?.label ?? String(value);
    case 'multiple_choice':
      return (Array.isArray(value) ? value : [value])
        .map((v) => field.options.find((o) => o.value === v)?.label ?? String(v))
        .join(', ');
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? frenchDay(value) : String(value);
    case 'address': {
      const a = value as Record<string, unknown>;
      const line = (k: string) => (typeof a[k] === 'string' ? (a[k] as string).trim() : '');
      const text = [line('street'), line('complement'), [line('postcode'), line('city')].filter(Boolean).join(' ')]
        .filter(Boolean)
        .join(', ');
      const placed = typeof a['latitude'] === 'number' ? ' (placée sur la carte)' : '';
      return (text || NONE) + placed;
    }
    case 'file':
      return (Array.isArray(value) ? value : [value])
        .map((id) => uploads.find((u) => u.id === id)?.filename ?? 'fichier introuvable')
        .join(', ');
    case 'repeatable':
      return Array.isArray(value) ? `${value.length} élément${value.length > 1 ? 's' : ''}` : NONE;
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

/** An entry of a block, as read back: `Prénom : Léa ; Âge : 6`. */
export function entryText(fields: Field[], entry: Answers, uploads: Upload[], shown: (id: string) => boolean): string {
  return fields
    .filter((f) => f.type !== 'section_title' && f.type !== 'explanation' && shown(f.id))
    .map((f) => `${f.label} : ${answerText(f, entry[f.id], uploads)}`)
    .join(' ; ');
}
