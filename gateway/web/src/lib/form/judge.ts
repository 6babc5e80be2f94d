/**
 * Which fields are shown and required, and what is wrong, exactly as the teleservices
 * service decides when it judges a submission (`validate.rs`, `condition.rs`): page by
 * page and entry by entry inside repeatable blocks; a condition sees the normalised
 * answers of shown fields only (a hidden or invalid answer counts as none); a block is
 * seen through `empty` as its number of entries; conditions that loop count as hidden.
 * The form shows a field while the service would judge it, so what the resident sees
 * is what the service keeps.
 */

import { isEmpty, parse, type Context, type Parsed } from './input';
import { isDisplayOnly, type Answers, type Condition, type Definition, type Field, type Upload } from './types';

/** One fault, with its path relative to the answers (`children[0].birthdate`). */
export interface Violation {
  path: string;
  message: string;
}

export interface Judgement {
  /** Whether each page of the definition is shown. */
  pages: boolean[];
  /** Paths of the shown fields, display-only ones included (`kids[1].name`). */
  shown: Set<string>;
  /** Paths of the shown fields that need an answer now. */
  required: Set<string>;
  /** Every fault, in the order of the form, as the service would report them. */
  violations: Violation[];
}

type Seen = 'unknown' | 'deciding' | 'shown' | 'hidden';

interface Slot {
  field: Field;
  page: number | null;
  pageCondition: Condition | undefined;
}

/** Where conditions read answers: one scope (the top level or one block entry). */
class Scope {
  readonly index = new Map<string, number>();
  readonly seen: Seen[];

  constructor(
    readonly slots: Slot[],
    readonly parsed: Parsed[],
    readonly outer: Answers | null,
  ) {
    slots.forEach((slot, i) => {
      if (!this.index.has(slot.field.id)) this.index.set(slot.field.id, i);
    });
    this.seen = slots.map(() => 'unknown');
  }

  shown(i: number): boolean {
    const seen = this.seen[i];
    if (seen === 'shown') return true;
    if (seen === 'hidden' || seen === 'deciding') return false;
    this.seen[i] = 'deciding';
    const slot = this.slots[i];
    const shown =
      slot !== undefined &&
      (!slot.pageCondition || holds(slot.pageCondition, this)) &&
      (!slot.field.visible_if || holds(slot.field.visible_if, this));
    this.seen[i] = shown ? 'shown' : 'hidden';
    return shown;
  }

  /** The normalised answer of a shown field, or undefined. */
  answer(id: string): unknown {
    const i = this.index.get(id);
    if (i === undefined) return this.outer ? this.outer[id] ?? undefined : undefined;
    if (!this.shown(i)) return undefined;
    const parsed = this.parsed[i];
    return parsed?.ok && parsed.value !== null ? parsed.value : undefined;
  }

  /** The answers of shown fields, as the entries of blocks see this scope. */
  answers(): Answers {
    const answers: Answers = { ...(this.outer ?? {}) };
    this.slots.forEach((slot, i) => {
      const parsed = this.parsed[i];
      if (this.shown(i) && parsed?.ok && parsed.value !== null) answers[slot.field.id] = parsed.value;
    });
    return answers;
  }
}

/** Equality as residents mean it: a list contains, numbers by value. */
function matches(answer: unknown, constant: unknown): boolean {
  if (Array.isArray(answer)) return answer.some((item) => matches(item, constant));
  if (typeof answer === 'number' && typeof constant === 'number') return answer === constant;
  return JSON.stringify(answer) === JSON.stringify(constant);
}

function isDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
}

/** How an answer compares with a constant: numbers by value, dates by calendar. */
function order(answer: unknown, constant: unknown): number | null {
  if (answer === undefined) return null;
  if (typeof answer === 'number' && typeof constant === 'number') return Math.sign(answer - constant);
  if (typeof answer === 'string' && typeof constant === 'string' && isDay(answer) && isDay(constant)) {
    return answer < constant ? -1 : answer > constant ? 1 : 0;
  }
  return null;
}

function holds(condition: Condition, scope: Scope): boolean {
  if ('and' in condition) return condition.and.every((c) => holds(c, scope));
  if ('or' in condition) return condition.or.some((c) => holds(c, scope));
  if ('not' in condition) return !holds(condition.not, scope);
  if ('eq' in condition) {
    const answer = scope.answer(condition.eq.field);
    return answer !== undefined && matches(answer, condition.eq.value);
  }
  if ('neq' in condition) {
    const answer = scope.answer(condition.neq.field);
    return !(answer !== undefined && matches(answer, condition.neq.value));
  }
  if ('in' in condition) {
    const answer = scope.answer(condition.in.field);
    return answer !== undefined && condition.in.values.some((v) => matches(answer, v));
  }
  if ('empty' in condition) {
    const answer = scope.answer(condition.empty.field);
    return answer === undefined || isEmpty(answer);
  }
  const [op, comparison] = Object.entries(condition)[0] as [string, { field: string; value: unknown }];
  const o = order(scope.answer(comparison.field), comparison.value);
  if (o === null) return false;
  switch (op) {
    case 'lt':
      return o < 0;
    case 'lte':
      return o <= 0;
    case 'gt':
      return o > 0;
    case 'gte':
      return o >= 0;
    default:
      return false;
  }
}

function requiredMessage(field: Field): string {
  switch (field.type) {
    case 'checkbox':
      return 'Cochez cette case pour continuer.';
    case 'yes_no':
      return 'Répondez par oui ou par non.';
    case 'choice':
    case 'multiple_choice':
      return 'Choisissez une option.';
    case 'file':
      return 'Joignez ce document.';
    case 'address':
      return 'Indiquez l\'adresse.';
    default:
      return 'Ce champ est obligatoire.';
  }
}

const MAX_ENTRIES = 50;

interface Out extends Judgement {
  ctx: Context;
}

/** Judges the fields of one scope against `raw`, reporting under `prefix`. */
function judgeScope(slots: Slot[], raw: Answers, outer: Answers | null, prefix: string, out: Out): Scope {
  const parsed: Parsed[] = slots.map(({ field }) => {
    if (field.type === 'repeatable') {
      const entries = raw[field.id];
      return { ok: true, value: Array.isArray(entries) && entries.length > 0 ? entries.length : null };
    }
    return parse(field, raw[field.id], out.ctx);
  });
  const scope = new Scope(slots, parsed, outer);
  const forBlocks = slots.some((s) => s.field.type === 'repeatable') ? scope.answers() : null;

  slots.forEach((slot, i) => {
    const field = slot.field;
    const path = `${prefix}${field.id}`;
    if (!scope.shown(i)) return;
    out.shown.add(path);
    if (isDisplayOnly(field)) return;
    const required = Boolean(field.required) || (field.required_if ? holds(field.required_if, scope) : false);
    if (required) out.required.add(path);
    if (field.type === 'repeatable') {
      block(field, raw[field.id], required, path, forBlocks, out);
      return;
    }
    const result = parsed[i];
    if (!result) return;
    if (!result.ok) {
      for (const fault of result.faults) out.violations.push({ path: `${path}${fault.suffix}`, message: fault.message });
    } else if (result.value === null && required) {
      out.violations.push({ path, message: requiredMessage(field) });
    } else if (result.value === false && required && field.type === 'checkbox') {
      out.violations.push({ path, message: requiredMessage(field) });
    }
  });
  return scope;
}

function block(
  field: Extract<Field, { type: 'repeatable' }>,
  raw: unknown,
  required: boolean,
  path: string,
  outer: Answers | null,
  out: Out,
): void {
  let entries: unknown[];
  if (raw === null || raw === undefined) entries = [];
  else if (Array.isArray(raw)) entries = raw;
  else {
    out.violations.push({ path, message: 'Ce bloc attend une liste d\'éléments.' });
    return;
  }
  const min = Math.max(field.min_entries ?? 0, required ? 1 : 0);
  const max = Math.min(field.max_entries ?? MAX_ENTRIES, MAX_ENTRIES);
  if (entries.length < min) {
    out.violations.push({ path, message: min === 1 ? 'Ajoutez au moins un élément.' : `Ajoutez au moins ${min} éléments.` });
    return;
  }
  if (entries.length > max) {
    out.violations.push({ path, message: `Au plus ${max} éléments.` });
    return;
  }
  entries.forEach((entry, k) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      out.violations.push({ path: `${path}[${k}]`, message: 'Cet élément n\'est pas valide.' });
      return;
    }
    const slots = field.fields.map((f) => ({ field: f, page: null, pageCondition: undefined }));
    judgeScope(slots, entry as Answers, outer, `${path}[${k}].`, out);
  });
}

/**
 * Judges `answers` against `definition` as filed on `today` (`AAAA-MM-JJ`, UTC), with
 * the uploads the answers may reference.
 */
export function judge(definition: Definition, answers: Answers, uploads: Upload[], today: string): Judgement {
  const out: Out = {
    pages: [],
    shown: new Set(),
    required: new Set(),
    violations: [],
    ctx: { today, uploads: new Map(uploads.map((u) => [u.id, u])) },
  };
  const slots: Slot[] = definition.pages.flatMap((page, p) =>
    page.fields.map((field) => ({ field, page: p, pageCondition: page.visible_if })),
  );
  const scope = judgeScope(slots, answers, null, '', out);
  // A page is shown while its condition holds, judged in the same top-level scope.
  out.pages = definition.pages.map((page) => !page.visible_if || holds(page.visible_if, scope));
  return { pages: out.pages, shown: out.shown, required: out.required, violations: out.violations };
}
