/**
 * A teleservice's definition as the API serves it (`GET /api/v1/teleservices/{slug}`,
 * `definition`): the JSON the teleservices service's form generator writes
 * (`services/teleservices/src/form/{definition,field,condition}.rs`). The OpenAPI
 * document gives it as a free object, so its shape is spelled out here, once.
 */

/** A condition over other fields' answers (`{"eq": {"field": "x", "value": 1}}`…). */
export type Condition =
  | { and: Condition[] }
  | { or: Condition[] }
  | { not: Condition }
  | { eq: Comparison }
  | { neq: Comparison }
  | { lt: Comparison }
  | { lte: Comparison }
  | { gt: Comparison }
  | { gte: Comparison }
  | { in: { field: string; values: unknown[] } }
  | { empty: { field: string } };

export interface Comparison {
  field: string;
  value: unknown;
}

export interface Choice {
  value: string;
  label: string;
}

/** What every field shares. */
interface Common {
  id: string;
  label: string;
  help?: string;
  required?: boolean;
  visible_if?: Condition;
  required_if?: Condition;
  /** The profile attribute that fills it (`family_name`, `email`…). */
  prefill?: string;
}

export interface TextRules {
  min_length?: number;
  max_length?: number;
  pattern?: string;
  pattern_hint?: string;
}

export type Field = Common &
  (
    | ({ type: 'short_text' } & TextRules)
    | ({ type: 'long_text' } & TextRules)
    | { type: 'integer'; min?: number; max?: number }
    | { type: 'decimal'; min?: number; max?: number; max_decimals?: number }
    | { type: 'email' }
    | { type: 'phone' }
    /** Bounds: `2026-03-15`, `today`, `today+15d`, `today-3m`, `today-18y`. */
    | { type: 'date'; min?: string; max?: string }
    | { type: 'yes_no' }
    | { type: 'checkbox' }
    | { type: 'choice'; options: Choice[] }
    | { type: 'multiple_choice'; options: Choice[]; min_selected?: number; max_selected?: number }
    | { type: 'address'; coordinates_required?: boolean; postcodes?: string[] }
    | { type: 'siret' }
    | { type: 'iban'; countries?: string[] }
    | { type: 'file'; accept: string[]; max_size: number; max_files?: number }
    | {
        type: 'repeatable';
        fields: Field[];
        min_entries?: number;
        max_entries?: number;
        /** How one entry is called on the « add » button (« un enfant »). */
        entry_label?: string;
      }
    | { type: 'section_title' }
    | { type: 'explanation'; body: string }
  );

export type FieldType = Field['type'];

/** Every field type the generator has, in the order of its `FieldKind`. */
export const FIELD_TYPES: readonly FieldType[] = [
  'short_text',
  'long_text',
  'integer',
  'decimal',
  'email',
  'phone',
  'date',
  'yes_no',
  'checkbox',
  'choice',
  'multiple_choice',
  'address',
  'siret',
  'iban',
  'file',
  'repeatable',
  'section_title',
  'explanation',
];

export interface Page {
  title: string;
  visible_if?: Condition;
  fields: Field[];
}

export interface Definition {
  slug: string;
  title: string;
  theme: string;
  department: string;
  description: string;
  audience: { access: 'anonymous' } | { access: 'account'; minimum_levels?: Record<string, string> };
  channels: string[];
  sla_days: number;
  sub_statuses?: { code: string; label: string; status: string }[];
  pages: Page[];
}

/** Field id → answer, as sent to the API (`data`). A block holds a list of such objects. */
export type Answers = Record<string, unknown>;

/** An uploaded file, as the API describes it (the type is read from its bytes). */
export interface Upload {
  id: string;
  filename: string;
  mime_type: string;
  size: number;
}

/** Whether a field only shows something (a heading, a paragraph) and takes no answer. */
export function isDisplayOnly(field: Field): boolean {
  return field.type === 'section_title' || field.type === 'explanation';
}
