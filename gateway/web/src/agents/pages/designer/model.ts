/**
 * The form designer's working copy of a teleservice definition, and the way back to the
 * JSON the teleservices service reads (`services/teleservices/src/form/`).
 *
 * Every page, field, option and sub-status carries a `key` of its own: the editor's DOM
 * ids and `{#each}` keys are made from it, so a designer may rename a field's id without
 * its controls losing their place. Conditions point at their field by key, and a choice's
 * compared value at its option by key: renaming a field or an option keeps every
 * condition on it. Rules are kept as typed (strings), and only the rules of the field's
 * current type are written out, so switching a field's type back and forth loses nothing.
 */

import type { Condition, Definition, Field, FieldType, Page } from '../../../lib/form/types';

export interface OptionModel {
  key: number;
  value: string;
  label: string;
  /** The value follows the label until the designer types one. */
  autoValue: boolean;
}

/**
 * A condition as the editor shows it: none, « field X equals Y » (the usual case, edited
 * with lists), or any other condition of the generator, edited as JSON.
 */
export type ConditionModel =
  | { mode: 'none' }
  | {
      mode: 'eq';
      /** The field compared, by key; null when none is chosen or it no longer exists. */
      target: number | null;
      /** The id written when the target is gone (a loaded or deleted one): the service names it. */
      missing: string;
      /** A choice's option, by key. */
      option: number | null;
      /** Any other value as typed; `true`/`false` for yes/no and check boxes. */
      value: string;
    }
  | { mode: 'json'; text: string };

/** Whether a field is needed: always, never, or while a condition holds (`required_if`). */
export type Necessity = 'optional' | 'required' | 'conditional';

export interface FieldModel {
  key: number;
  id: string;
  /** The id follows the label until the designer types one. */
  autoId: boolean;
  type: FieldType;
  label: string;
  help: string;
  necessity: Necessity;
  visible: ConditionModel;
  requiredIf: ConditionModel;
  prefill: string;
  min_length: string;
  max_length: string;
  pattern: string;
  pattern_hint: string;
  /** Numbers' bounds, or dates' (`2026-03-15`, `today`, `today+15d`…). */
  min: string;
  max: string;
  max_decimals: string;
  options: OptionModel[];
  min_selected: string;
  max_selected: string;
  coordinates_required: boolean;
  /** Comma-separated lists, as typed. */
  postcodes: string;
  countries: string;
  accept: string;
  /** In megabytes (the definition holds bytes). */
  max_size: string;
  max_files: string;
  fields: FieldModel[];
  min_entries: string;
  max_entries: string;
  entry_label: string;
  body: string;
}

export interface PageModel {
  key: number;
  title: string;
  visible: ConditionModel;
  fields: FieldModel[];
}

export interface SubStatusModel {
  key: number;
  code: string;
  /** The code follows the label until the designer writes one. */
  autoCode: boolean;
  label: string;
  status: string;
}

export interface LevelModel {
  key: number;
  attribute: string;
  level: string;
}

export interface Model {
  slug: string;
  /** The slug follows the title until the designer types one (a new teleservice only). */
  autoSlug: boolean;
  title: string;
  theme: string;
  department: string;
  description: string;
  access: 'anonymous' | 'account';
  levels: LevelModel[];
  channels: string[];
  sla_days: string;
  sub_statuses: SubStatusModel[];
  pages: PageModel[];
}

export const CHANNELS = ['web', 'app', 'kiosk', 'counter', 'phone'] as const;

let counter = 0;

/** A key never given before in this tab. */
export function nextKey(): number {
  counter += 1;
  return counter;
}

// ------------------------------------------------------------------ ids and values

/** Lower case ASCII words joined by `sep`: « Précisez le motif » → `precisez_le_motif`. */
export function slugify(text: string, sep: '_' | '-', max: number): string {
  const words = text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  let out = '';
  for (const word of words) {
    const next = out ? `${out}${sep}${word}` : word;
    if (next.length > max) break;
    out = next;
  }
  return out;
}

/** Every field of the model, nested ones right after their block. */
export function allFields(model: Model): FieldModel[] {
  return model.pages.flatMap((p) => p.fields.flatMap((f) => [f, ...f.fields]));
}

/** A field id made from `label`, unique in the form (`motif`, `motif_2`…). */
export function idFromLabel(model: Model, label: string, self: FieldModel): string {
  const taken = new Set(allFields(model).filter((f) => f !== self).map((f) => f.id));
  let base = slugify(label, '_', 40);
  if (!base) {
    // No label yet: `champ_1`, `champ_2`… in the order fields come.
    let n = 1;
    while (taken.has(`champ_${n}`)) n++;
    return `champ_${n}`;
  }
  if (!/^[a-z]/.test(base)) base = `champ_${base}`;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
  return id;
}

/** An option value made from `label`, unique among the field's options. */
export function valueFromLabel(field: FieldModel, label: string, self: OptionModel): string {
  const base = slugify(label, '_', 40) || `option_${self.key}`;
  const taken = new Set(field.options.filter((o) => o !== self).map((o) => o.value));
  let value = base;
  for (let n = 2; taken.has(value); n++) value = `${base}_${n}`;
  return value;
}

export const FIELD_ID = /^[a-z][a-z0-9_]*$/;

// ------------------------------------------------------------------ new parts

export function newField(model: Model, type: FieldType): FieldModel {
  const key = nextKey();
  const field: FieldModel = {
    key,
    id: '',
    autoId: true,
    type,
    label: '',
    help: '',
    necessity: isDisplayOnlyType(type) ? 'optional' : 'required',
    visible: { mode: 'none' },
    requiredIf: { mode: 'none' },
    prefill: '',
    min_length: '',
    max_length: '',
    pattern: '',
    pattern_hint: '',
    min: '',
    max: '',
    max_decimals: '',
    options: [],
    min_selected: '',
    max_selected: '',
    coordinates_required: false,
    postcodes: '',
    countries: '',
    accept: 'application/pdf, image/jpeg, image/png',
    max_size: '5',
    max_files: '1',
    fields: [],
    min_entries: '',
    max_entries: '',
    entry_label: '',
    body: '',
  };
  field.id = idFromLabel(model, '', field);
  return field;
}

export function newOption(): OptionModel {
  return { key: nextKey(), value: '', label: '', autoValue: true };
}

export function newPage(title = ''): PageModel {
  return { key: nextKey(), title, visible: { mode: 'none' }, fields: [] };
}

export function isDisplayOnlyType(type: FieldType): boolean {
  return type === 'section_title' || type === 'explanation';
}

/** A new teleservice: open to anyone on every channel, one empty page. */
export function emptyModel(department: string): Model {
  return {
    slug: '',
    autoSlug: true,
    title: '',
    theme: '',
    department,
    description: '',
    access: 'anonymous',
    levels: [],
    channels: [...CHANNELS],
    sla_days: '15',
    sub_statuses: [],
    pages: [newPage('Votre demande')],
  };
}

// ------------------------------------------------------------------ from a definition

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** A loaded definition as the editor edits it (conditions resolved once every field has its key). */
export function fromDefinition(definition: Definition): Model {
  const pending: { model: ConditionModel; raw: Condition }[] = [];
  const condition = (raw: Condition | undefined): ConditionModel => {
    if (!raw) return { mode: 'none' };
    const model: ConditionModel = { mode: 'json', text: JSON.stringify(raw, null, 2) };
    pending.push({ model, raw });
    return model;
  };
  const field = (f: Field): FieldModel => {
    const r = f as Field & Record<string, unknown>;
    const options = 'options' in f ? f.options : [];
    const model: FieldModel = {
      key: nextKey(),
      id: f.id,
      autoId: false,
      type: f.type,
      label: f.label ?? '',
      help: f.help ?? '',
      necessity: f.required ? 'required' : f.required_if ? 'conditional' : 'optional',
      visible: condition(f.visible_if),
      requiredIf: f.required ? { mode: 'none' } : condition(f.required_if),
      prefill: f.prefill ?? '',
      min_length: text(r.min_length),
      max_length: text(r.max_length),
      pattern: text(r.pattern),
      pattern_hint: text(r.pattern_hint),
      min: text(r.min),
      max: text(r.max),
      max_decimals: text(r.max_decimals),
      options: options.map((o) => ({ key: nextKey(), value: o.value, label: o.label, autoValue: false })),
      min_selected: text(r.min_selected),
      max_selected: text(r.max_selected),
      coordinates_required: r.coordinates_required === true,
      postcodes: Array.isArray(r.postcodes) ? r.postcodes.join(', ') : '',
      countries: Array.isArray(r.countries) ? r.countries.join(', ') : '',
      accept: Array.isArray(r.accept) ? r.accept.join(', ') : '',
      max_size: typeof r.max_size === 'number' ? String(Math.round((r.max_size / MEGABYTE) * 100) / 100) : '',
      max_files: text(r.max_files),
      fields: f.type === 'repeatable' ? f.fields.map(field) : [],
      min_entries: text(r.min_entries),
      max_entries: text(r.max_entries),
      entry_label: text(r.entry_label),
      body: text(r.body),
    };
    return model;
  };
  const levels = definition.audience.access === 'account' ? (definition.audience.minimum_levels ?? {}) : {};
  const model: Model = {
    slug: definition.slug,
    autoSlug: false,
    title: definition.title,
    theme: definition.theme,
    department: definition.department,
    description: definition.description,
    access: definition.audience.access,
    levels: Object.entries(levels).map(([attribute, level]) => ({ key: nextKey(), attribute, level })),
    channels: [...definition.channels],
    sla_days: text(definition.sla_days),
    sub_statuses: (definition.sub_statuses ?? []).map((s) => ({ key: nextKey(), autoCode: false, ...s })),
    pages: definition.pages.map((p) => ({
      key: nextKey(),
      title: p.title,
      visible: condition(p.visible_if),
      fields: p.fields.map(field),
    })),
  };
  // « field equals value » is edited with lists; anything else stays JSON.
  const fields = allFields(model);
  for (const { model: target, raw } of pending) {
    const resolved = simple(raw, fields);
    if (!resolved) continue;
    for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
    Object.assign(target, resolved);
  }
  return model;
}

function simple(raw: Condition, fields: FieldModel[]): ConditionModel | null {
  if (!('eq' in raw)) return null;
  const { field: id, value } = raw.eq;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return null;
  const target = fields.find((f) => f.id === id);
  const option = target?.options.find((o) => o.value === value);
  return {
    mode: 'eq',
    target: target?.key ?? null,
    missing: target ? '' : id,
    option: option?.key ?? null,
    value: String(value),
  };
}

// ------------------------------------------------------------------ to a definition

const MEGABYTE = 1024 * 1024;

/**
 * `api`: what is sent, with whatever the designer typed (the service names each fault
 * at its place). `preview`: what the form component can render: rules it could not read
 * are left out.
 */
export type Purpose = 'api' | 'preview';

function number(typed: string, purpose: Purpose, scale = 1): number | string | undefined {
  const trimmed = typed.trim();
  if (!trimmed) return undefined;
  const n = Number(trimmed.replace(/\s/g, '').replace(',', '.'));
  if (Number.isFinite(n)) return scale === 1 ? n : Math.round(n * scale);
  return purpose === 'api' ? trimmed : undefined;
}

function list(typed: string): string[] {
  return typed
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function optional(typed: string): string | undefined {
  return typed.trim() ? typed.trim() : undefined;
}

/** The value an « equals » condition compares with, of its field's kind. */
function comparedValue(c: Extract<ConditionModel, { mode: 'eq' }>, target: FieldModel | undefined): unknown {
  if (!target) return c.value;
  switch (target.type) {
    case 'choice':
    case 'multiple_choice':
      return target.options.find((o) => o.key === c.option)?.value ?? c.value;
    case 'yes_no':
    case 'checkbox':
      return c.value === 'true' ? true : c.value === 'false' ? false : c.value;
    case 'integer':
    case 'decimal': {
      const n = Number(c.value.trim().replace(',', '.'));
      return c.value.trim() && Number.isFinite(n) ? n : c.value;
    }
    default:
      return c.value;
  }
}

/** The condition as JSON; undefined when there is none (or its JSON cannot be read). */
export function conditionOf(c: ConditionModel, fields: FieldModel[]): Condition | undefined {
  if (c.mode === 'none') return undefined;
  if (c.mode === 'json') {
    try {
      return JSON.parse(c.text) as Condition;
    } catch {
      return undefined;
    }
  }
  // A condition on no field (not chosen yet, or removed) holds for no answer: the field stays hidden.
  const target = fields.find((f) => f.key === c.target);
  return { eq: { field: target?.id ?? c.missing, value: comparedValue(c, target) } };
}

function fieldOf(f: FieldModel, fields: FieldModel[], purpose: Purpose): Field {
  const out: Record<string, unknown> = { id: f.id, type: f.type, label: f.label };
  if (f.help.trim()) out.help = f.help.trim();
  if (!isDisplayOnlyType(f.type)) {
    if (f.necessity === 'required') out.required = true;
    if (f.necessity === 'conditional') out.required_if = conditionOf(f.requiredIf, fields);
    if (f.prefill) out.prefill = f.prefill;
  }
  out.visible_if = conditionOf(f.visible, fields);
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) out[key] = value;
  };
  switch (f.type) {
    case 'short_text':
    case 'long_text':
      put('min_length', number(f.min_length, purpose));
      put('max_length', number(f.max_length, purpose));
      put('pattern', optional(f.pattern));
      put('pattern_hint', optional(f.pattern_hint));
      break;
    case 'integer':
      put('min', number(f.min, purpose));
      put('max', number(f.max, purpose));
      break;
    case 'decimal':
      put('min', number(f.min, purpose));
      put('max', number(f.max, purpose));
      put('max_decimals', number(f.max_decimals, purpose));
      break;
    case 'date':
      put('min', optional(f.min));
      put('max', optional(f.max));
      break;
    case 'choice':
      out.options = f.options.map((o) => ({ value: o.value, label: o.label }));
      break;
    case 'multiple_choice':
      out.options = f.options.map((o) => ({ value: o.value, label: o.label }));
      put('min_selected', number(f.min_selected, purpose));
      put('max_selected', number(f.max_selected, purpose));
      break;
    case 'address':
      if (f.coordinates_required) out.coordinates_required = true;
      if (list(f.postcodes).length > 0) out.postcodes = list(f.postcodes);
      break;
    case 'iban':
      if (list(f.countries).length > 0) out.countries = list(f.countries).map((c) => c.toUpperCase());
      break;
    case 'file':
      out.accept = list(f.accept);
      out.max_size = number(f.max_size, purpose, MEGABYTE) ?? (purpose === 'api' ? 0 : MEGABYTE);
      put('max_files', number(f.max_files, purpose));
      break;
    case 'repeatable':
      out.fields = f.fields.map((child) => fieldOf(child, fields, purpose));
      put('min_entries', number(f.min_entries, purpose));
      put('max_entries', number(f.max_entries, purpose));
      put('entry_label', optional(f.entry_label));
      break;
    case 'explanation':
      out.body = f.body;
      break;
    default:
      break;
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out as unknown as Field;
}

/** The definition the model stands for. */
export function toDefinition(model: Model, purpose: Purpose): Definition {
  const fields = allFields(model);
  const levels = Object.fromEntries(model.levels.filter((l) => l.attribute).map((l) => [l.attribute, l.level]));
  const definition: Record<string, unknown> = {
    slug: model.slug.trim(),
    title: model.title,
    theme: model.theme,
    department: model.department.trim(),
    description: model.description,
    audience:
      model.access === 'account'
        ? Object.keys(levels).length > 0
          ? { access: 'account', minimum_levels: levels }
          : { access: 'account' }
        : { access: 'anonymous' },
    channels: CHANNELS.filter((c) => model.channels.includes(c)),
    sla_days: number(model.sla_days, purpose) ?? 0,
    pages: model.pages.map((p): Page => {
      const page: Page = { title: p.title, fields: p.fields.map((f) => fieldOf(f, fields, purpose)) };
      const visible = conditionOf(p.visible, fields);
      if (visible) page.visible_if = visible;
      return page;
    }),
  };
  if (model.sub_statuses.length > 0) {
    definition.sub_statuses = model.sub_statuses.map((s) => ({ code: s.code.trim(), label: s.label, status: s.status }));
  }
  return definition as unknown as Definition;
}

/**
 * The definition the preview renders: fields whose id the form could not key (none,
 * malformed, twice) and options without a value of their own are left out, each
 * named in `left`, so that the preview shows the rest as residents would see it.
 */
export function previewOf(model: Model): { definition: Definition; left: string[] } {
  const definition = toDefinition(model, 'preview');
  const left: string[] = [];
  const seen = new Set<string>();
  const keep = (fields: Field[]): Field[] =>
    fields.flatMap((field) => {
      const name = field.label.trim() || field.id || 'sans libellé';
      if (!FIELD_ID.test(field.id) || seen.has(field.id)) {
        left.push(`le champ « ${name} » (identifiant manquant, mal formé ou déjà pris)`);
        return [];
      }
      seen.add(field.id);
      // A control named by nothing would read as nothing to residents' screen readers.
      if (!field.label.trim()) field = { ...field, label: 'Libellé à écrire' };
      if ('options' in field) {
        const values = new Set<string>();
        const options = field.options.filter((o) => {
          const fine = o.value.trim() !== '' && !values.has(o.value);
          values.add(o.value);
          return fine;
        });
        if (options.length < field.options.length) left.push(`des options du champ « ${name} » (valeur vide ou en double)`);
        field = { ...field, options };
      }
      if (field.type === 'repeatable') field = { ...field, fields: keep(field.fields) };
      return [field];
    });
  definition.pages = definition.pages.map((p) => ({ ...p, fields: keep(p.fields) }));
  return { definition, left };
}

/**
 * What the service could not even read, found before sending: a condition written as
 * JSON that is not a JSON object. Path (as the service writes them) → message.
 */
export function unreadable(model: Model): Record<string, string> {
  const faults: Record<string, string> = {};
  const check = (c: ConditionModel, path: string): void => {
    if (c.mode !== 'json') return;
    try {
      const value: unknown = JSON.parse(c.text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    } catch {
      faults[path] = "Cette condition n'est pas un objet JSON lisible.";
    }
  };
  const fields = (list: FieldModel[], at: string): void =>
    list.forEach((field, i) => {
      const path = `${at}[${i}]`;
      check(field.visible, `${path}.visible_if`);
      if (field.necessity === 'conditional') check(field.requiredIf, `${path}.required_if`);
      fields(field.fields, `${path}.fields`);
    });
  model.pages.forEach((page, p) => {
    check(page.visible, `pages[${p}].visible_if`);
    fields(page.fields, `pages[${p}].fields`);
  });
  return faults;
}

// ------------------------------------------------------------------ where a fault goes

/** The DOM id of a condition's control a fault is shown at (`value`: about the compared value). */
export function conditionId(base: string, name: 'visible_if' | 'required_if', c: ConditionModel, value = false): string {
  if (c.mode === 'eq' && value) return `${base}-${name}-value`;
  return `${base}-${name}`;
}

/** Where a fault of the service is shown: the control's DOM id, and words for the summary. */
export interface Place {
  id: string;
  label: string;
}

const HEADER: Record<string, string> = {
  slug: 'Adresse',
  title: 'Titre',
  description: 'Description',
  theme: 'Thème',
  department: 'Service',
  sla_days: 'Délai de traitement visé',
  channels: 'Canaux de dépôt',
};

const CONTROL: Record<string, string> = {
  id: 'identifiant',
  type: 'type',
  label: 'libellé',
  help: 'aide',
  necessity: 'réponse',
  prefill: 'pré-remplissage',
  min_length: 'longueur minimale',
  max_length: 'longueur maximale',
  pattern: 'format attendu',
  pattern_hint: 'explication du format',
  min: 'minimum',
  max: 'maximum',
  max_decimals: 'décimales',
  min_selected: 'choix minimum',
  max_selected: 'choix maximum',
  coordinates_required: 'position sur la carte',
  postcodes: 'codes postaux',
  countries: 'pays',
  accept: 'types de fichiers',
  max_size: 'taille maximale',
  max_files: 'nombre de fichiers',
  min_entries: 'éléments minimum',
  max_entries: 'éléments maximum',
  entry_label: "nom d'un élément",
  body: 'texte',
  fields: 'champs du bloc',
  options: 'options',
};

type Token = string | number;

function tokens(path: string): Token[] | null {
  const out: Token[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\./gy;
  let match: RegExpExecArray | null;
  while (re.lastIndex < path.length && (match = re.exec(path))) {
    if (match[1] !== undefined) out.push(match[1]);
    else if (match[2] !== undefined) out.push(Number(match[2]));
  }
  return re.lastIndex === path.length ? out : null;
}

function fieldName(field: FieldModel, index: number): string {
  return `champ ${index + 1}${field.label.trim() ? ` « ${field.label.trim()} »` : ''}`;
}

function locateField(field: FieldModel, index: number, rest: Token[], where: string): Place {
  const base = `f${field.key}`;
  const name = `${where}${fieldName(field, index)}`;
  const [head, k, sub] = rest;
  if (head === 'fields' && field.type === 'repeatable') {
    const child = typeof k === 'number' ? field.fields[k] : undefined;
    if (child) return locateField(child, k as number, rest.slice(2), `${name}, `);
    return { id: `${base}-fields`, label: `${name} — ${CONTROL.fields}` };
  }
  if (head === 'options') {
    const option = typeof k === 'number' ? field.options[k] : undefined;
    if (option) {
      const part = sub === 'label' ? 'label' : 'value';
      return { id: `${base}-o${option.key}-${part}`, label: `${name}, option ${(k as number) + 1} — ${part === 'label' ? 'libellé' : 'valeur'}` };
    }
    return { id: `${base}-options`, label: `${name} — ${CONTROL.options}` };
  }
  if (head === 'visible_if' || head === 'required_if') {
    const c = head === 'visible_if' ? field.visible : field.requiredIf;
    const value = rest.some((t) => t === 'value' || t === 'values');
    return {
      id: conditionId(base, head, c, value),
      label: `${name} — ${head === 'visible_if' ? "condition d'affichage" : "condition d'obligation"}`,
    };
  }
  if (head === 'required') return { id: `${base}-necessity`, label: `${name} — ${CONTROL.necessity}` };
  if (typeof head === 'string' && head in CONTROL) return { id: `${base}-${head}`, label: `${name} — ${CONTROL[head]}` };
  return { id: `${base}-type`, label: name };
}

/**
 * Where the fault at `path` (`pages[0].fields[2].visible_if.eq.field`, as the service
 * reports it) is shown; null: it belongs to no control and goes to the summary alone.
 */
export function locate(model: Model, path: string): Place | null {
  const t = tokens(path);
  if (!t || t.length === 0) return null;
  const [head, i, next, j, ...rest] = t;
  if (typeof head !== 'string') return null;
  if (head in HEADER) return { id: `def-${head}`, label: HEADER[head] ?? head };
  if (head === 'audience') {
    return i === 'minimum_levels'
      ? { id: 'def-levels', label: 'Niveaux de confiance exigés' }
      : { id: 'def-access', label: 'Qui peut déposer' };
  }
  if (head === 'sub_statuses') {
    const sub = typeof i === 'number' ? model.sub_statuses[i] : undefined;
    if (!sub) return { id: 'def-sub_statuses', label: 'Sous-statuts' };
    const part = next === 'label' ? 'label' : next === 'status' ? 'status' : 'code';
    const words = { code: 'code', label: 'libellé', status: 'statut' }[part];
    return { id: `s${sub.key}-${part}`, label: `Sous-statut ${(i as number) + 1} — ${words}` };
  }
  if (head === 'pages') {
    const page = typeof i === 'number' ? model.pages[i] : undefined;
    if (!page) return { id: 'def-pages', label: 'Pages' };
    const where = `Page ${(i as number) + 1}`;
    if (next === 'title') return { id: `p${page.key}-title`, label: `${where} — titre` };
    if (next === 'visible_if') {
      const value = rest.some((x) => x === 'value' || x === 'values');
      return { id: conditionId(`p${page.key}`, 'visible_if', page.visible, value), label: `${where} — condition d'affichage` };
    }
    if (next === 'fields') {
      const field = typeof j === 'number' ? page.fields[j] : undefined;
      if (field) return locateField(field, j as number, rest, `${where}, `);
      return { id: `p${page.key}-fields`, label: `${where} — champs` };
    }
    return { id: `p${page.key}-title`, label: where };
  }
  return null;
}

/** Whether a field takes an answer a condition can compare with « equals ». */
export function comparable(field: FieldModel): boolean {
  return !isDisplayOnlyType(field.type) && !['address', 'file', 'repeatable'].includes(field.type);
}

// ------------------------------------------------------------------ edits that touch the whole form

/** Every condition of the model. */
function conditions(model: Model): ConditionModel[] {
  const out: ConditionModel[] = [];
  for (const page of model.pages) {
    out.push(page.visible);
    for (const field of page.fields.flatMap((f) => [f, ...f.fields])) out.push(field.visible, field.requiredIf);
  }
  return out;
}

/**
 * A field (and a block's fields) is being removed: the conditions on it keep its id, so
 * that saving names the fault at each of them rather than silently dropping a rule.
 */
export function forget(model: Model, field: FieldModel): void {
  const gone = new Map([field, ...field.fields].map((f) => [f.key, f.id]));
  for (const c of conditions(model)) {
    if (c.mode === 'eq' && c.target !== null && gone.has(c.target)) {
      c.missing = gone.get(c.target) ?? '';
      c.target = null;
    }
  }
}

/** An option is being removed: the conditions comparing with it keep its value, to be named by the service. */
export function forgetOption(model: Model, option: OptionModel): void {
  for (const c of conditions(model)) {
    if (c.mode === 'eq' && c.option === option.key) {
      c.option = null;
      c.value = option.value;
    }
  }
}
