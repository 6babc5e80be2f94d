/**
 * A teleservice demand's answers as the resident wrote them, with the questions of the
 * version they filled (`GET /api/v1/demands/{n}/answers` gives both): codes become
 * the options' words, dates and yes/no are written out, files are named.
 */

import { day } from './format';

interface FieldDef {
  id: string;
  type: string;
  label: string;
  options?: { value: string; label: string }[];
  fields?: FieldDef[];
}

export interface Answer {
  label: string;
  /** The value in words; `entries` instead for a repeatable block. */
  value: string;
  entries?: Answer[][];
}

/** Types shown to the resident without any answer. */
const DISPLAY_ONLY = ['section_title', 'explanation'];

function isFieldDef(value: unknown): value is FieldDef {
  return typeof value === 'object' && value !== null && 'id' in value && 'type' in value;
}

function fieldsOf(definition: unknown): FieldDef[] {
  const pages = (definition as { pages?: { fields?: unknown[] }[] } | null)?.pages ?? [];
  return pages.flatMap((page) => (page.fields ?? []).filter(isFieldDef));
}

function optionLabel(field: FieldDef, value: unknown): string {
  const text = String(value);
  return field.options?.find((o) => o.value === text)?.label ?? text;
}

function words(field: FieldDef, value: unknown, files: Map<string, string>): string {
  if (value === null || value === undefined || value === '') return 'Non renseigné';
  switch (field.type) {
    case 'yes_no':
      return value === true || value === 'true' ? 'Oui' : 'Non';
    case 'checkbox':
      return value === true || value === 'true' ? 'Coché' : 'Non coché';
    case 'choice':
      return optionLabel(field, value);
    case 'multiple_choice':
      return Array.isArray(value) ? value.map((v) => optionLabel(field, v)).join(', ') : optionLabel(field, value);
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? day(`${value}T12:00:00Z`) : String(value);
    case 'file': {
      const ids = Array.isArray(value) ? value : [value];
      return ids.map((id) => files.get(String(id)) ?? 'fichier joint').join(', ');
    }
    default:
      break;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    // An address (street, postcode, city) and the like: its parts, in order.
    const parts = value as Record<string, unknown>;
    const ordered = ['street', 'complement', 'postcode', 'city'].filter((k) => typeof parts[k] === 'string' && parts[k]);
    const rest = Object.entries(parts)
      .filter(([k, v]) => !ordered.includes(k) && typeof v === 'string' && v && !['latitude', 'longitude'].includes(k))
      .map(([, v]) => String(v));
    return [...ordered.map((k) => String(parts[k])), ...rest].join(' ');
  }
  if (Array.isArray(value)) return value.map(String).join(', ');
  return String(value);
}

function read(fields: FieldDef[], data: Record<string, unknown>, files: Map<string, string>): Answer[] {
  const answers: Answer[] = [];
  for (const field of fields) {
    if (DISPLAY_ONLY.includes(field.type) || !(field.id in data)) continue;
    const value = data[field.id];
    if (field.type === 'repeatable' && Array.isArray(value)) {
      answers.push({
        label: field.label,
        value: `${value.length} élément${value.length > 1 ? 's' : ''}`,
        entries: value.map((entry) => read(field.fields ?? [], (entry ?? {}) as Record<string, unknown>, files)),
      });
    } else answers.push({ label: field.label, value: words(field, value, files) });
  }
  // Answers to questions the definition no longer names: shown under their id.
  const known = new Set(fields.map((f) => f.id));
  for (const [id, value] of Object.entries(data)) {
    if (!known.has(id)) answers.push({ label: id, value: typeof value === 'object' ? JSON.stringify(value) : String(value) });
  }
  return answers;
}

/** The answers in words, question by question. */
export function readableAnswers(
  definition: unknown,
  data: unknown,
  attachments: { id: string; filename: string }[] = [],
): Answer[] {
  const files = new Map(attachments.map((a) => [a.id, a.filename]));
  return read(fieldsOf(definition), (data ?? {}) as Record<string, unknown>, files);
}
