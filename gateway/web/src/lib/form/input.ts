/**
 * Reading one answer against its field's type and rules, as the teleservices service
 * does (`services/teleservices/src/form/input.rs`, `iban.rs`, kit's `validate.rs`): the
 * normalised answer (what conditions compare), or what is wrong with it, with the same
 * French messages. The browser judges before sending so residents learn at once; the
 * service judges again and its verdict is the reference.
 */

import type { Field, Upload } from './types';

/** One thing wrong with an answer: where below the field (`.postcode`, `[1]`, ``) and what. */
export interface Fault {
  suffix: string;
  message: string;
}

/** The normalised answer (`null`: none), or what is wrong with it. */
export type Parsed = { ok: true; value: unknown } | { ok: false; faults: Fault[] };

export interface Context {
  /** The day of filing, `AAAA-MM-JJ` (the service's: UTC). */
  today: string;
  /** The uploads the answers may reference, by id. */
  uploads: Map<string, Upload>;
}

const SHORT_TEXT_MAX = 255;
const LONG_TEXT_MAX = 10_000;

const ok = (value: unknown): Parsed => ({ ok: true, value });
const fault = (message: string, suffix = ''): Parsed => ({ ok: false, faults: [{ suffix, message }] });

/** No answer: null, blank text, an empty list, an object all of whose parts are empty. */
export function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value as object).every(isEmpty);
  return false;
}

/** Reads the answer to a field (blocks are the validator's). */
export function parse(field: Field, raw: unknown, ctx: Context): Parsed {
  if (isEmpty(raw)) {
    // An unticked box is an answer: « no ».
    return field.type === 'checkbox' ? ok(false) : ok(null);
  }
  switch (field.type) {
    case 'short_text':
      return text(raw, field, SHORT_TEXT_MAX, true);
    case 'long_text':
      return text(raw, field, LONG_TEXT_MAX, false);
    case 'integer':
      return integer(raw, field.min, field.max);
    case 'decimal':
      return decimal(raw, field);
    case 'email': {
      const email = typeof raw === 'string' ? raw.trim().toLowerCase() : null;
      return email !== null && isEmail(email)
        ? ok(email)
        : fault('Cette adresse e-mail n\'est pas valide (par exemple nom@exemple.fr).');
    }
    case 'phone':
      return typeof raw === 'string' && isFrenchPhone(raw.trim())
        ? ok(nationalPhone(raw.trim()))
        : fault('Ce numéro de téléphone n\'est pas valide (par exemple 06 12 34 56 78).');
    case 'date':
      return date(raw, field.min, field.max, ctx.today);
    case 'yes_no':
      return typeof raw === 'boolean' ? ok(raw) : fault('Répondez par oui ou par non.');
    case 'checkbox':
      return typeof raw === 'boolean' ? ok(raw) : fault('Cochez ou décochez cette case.');
    case 'choice':
      return typeof raw === 'string' && field.options.some((o) => o.value === raw)
        ? ok(raw)
        : fault('Choisissez une des options proposées.');
    case 'multiple_choice':
      return multipleChoice(raw, field);
    case 'address':
      return address(raw, field);
    case 'siret': {
      const siret = typeof raw === 'string' ? parseSiret(raw) : null;
      return siret ? ok(siret) : fault('Ce numéro SIRET n\'est pas valide (14 chiffres).');
    }
    case 'iban':
      return iban(raw, field.countries ?? []);
    case 'file':
      return files(raw, field, ctx);
    case 'repeatable':
    case 'section_title':
    case 'explanation':
      return ok(null);
  }
}

/** Counts characters as the service does (Unicode scalar values, not UTF-16 units). */
export function length(text: string): number {
  return [...text].length;
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    code >= 0x10000
  );
}

const patterns = new Map<string, RegExp | null>();

/**
 * The designer's pattern, anchored at both ends as the service anchors it; `null` when
 * JavaScript cannot read it (the service's syntax is Rust's): then only the service judges.
 */
function compiled(source: string): RegExp | null {
  if (!patterns.has(source)) {
    let regex: RegExp | null = null;
    try {
      new RegExp(source, 'u');
      regex = new RegExp(`^(?:${source})$`, 'u');
    } catch {
      regex = null;
    }
    patterns.set(source, regex);
  }
  return patterns.get(source) ?? null;
}

function text(
  raw: unknown,
  rules: { min_length?: number; max_length?: number; pattern?: string; pattern_hint?: string },
  cap: number,
  singleLine: boolean,
): Parsed {
  let value: string;
  if (typeof raw === 'string') value = raw.trim();
  else if (typeof raw === 'number') value = String(raw);
  else return fault('Saisissez un texte.');
  for (const c of value) {
    const code = c.codePointAt(0) ?? 0;
    if (!isXmlChar(code)) {
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      return fault(`Ce texte contient un caractère non autorisé (U+${hex}) : retirez-le et réessayez.`);
    }
  }
  if (singleLine && /[\n\r]/.test(value)) return fault('Cette réponse tient sur une ligne.');
  const count = length(value);
  const max = rules.max_length !== undefined ? Math.min(rules.max_length, cap) : cap;
  if (rules.min_length !== undefined && count < rules.min_length) {
    return fault(`Au moins ${rules.min_length} caractères.`);
  }
  if (count > max) return fault(`Au plus ${max} caractères.`);
  if (rules.pattern) {
    const regex = compiled(rules.pattern);
    if (regex && !regex.test(value)) {
      return fault(rules.pattern_hint ?? 'Le format de cette réponse n\'est pas valide.');
    }
  }
  return ok(value);
}

/** Digits as typed, without the spaces people put between thousands. */
function compactNumber(text: string): string {
  return text.trim().replace(/[ \u00a0\u202f]/g, '');
}

function integer(raw: unknown, min: number | undefined, max: number | undefined): Parsed {
  let number: number | null = null;
  if (typeof raw === 'number') number = Number.isInteger(raw) ? raw : null;
  else if (typeof raw === 'string') {
    const compact = compactNumber(raw);
    number = /^[+-]?\d+$/.test(compact) ? Number(compact) : null;
  }
  if (number === null || !Number.isSafeInteger(number)) return fault('Saisissez un nombre entier.');
  if (min !== undefined && number < min) return fault(`La valeur doit être au moins ${min}.`);
  if (max !== undefined && number > max) return fault(`La valeur doit être au plus ${max}.`);
  return ok(number);
}

/** A number as French readers write it (`12,5`). */
export function frenchNumber(n: number): string {
  return String(n).replace('.', ',');
}

function isPlainDecimal(text: string): boolean {
  const unsigned = text.replace(/^[-+]/, '');
  const [whole = '', fraction = ''] = unsigned.includes('.') ? unsigned.split(/\.(.*)/s) : [unsigned, ''];
  return !(whole === '' && fraction === '') && /^\d*$/.test(whole) && /^\d*$/.test(fraction);
}

function decimal(raw: unknown, rules: { min?: number; max?: number; max_decimals?: number }): Parsed {
  let number: number | null = null;
  let written = '';
  if (typeof raw === 'number') {
    number = raw;
    written = String(raw);
  } else if (typeof raw === 'string') {
    written = compactNumber(raw).replace(/,/g, '.');
    number = isPlainDecimal(written) ? Number(written) : null;
  }
  if (number === null || !Number.isFinite(number)) return fault('Saisissez un nombre (par exemple 12,50).');
  if (rules.max_decimals !== undefined) {
    const point = written.indexOf('.');
    const decimals = point < 0 ? 0 : written.slice(point + 1).replace(/0+$/, '').length;
    if (decimals > rules.max_decimals) {
      return fault(
        rules.max_decimals === 0
          ? 'Saisissez un nombre sans décimales.'
          : `Au plus ${rules.max_decimals} chiffres après la virgule.`,
      );
    }
  }
  if (rules.min !== undefined && number < rules.min) {
    return fault(`La valeur doit être au moins ${frenchNumber(rules.min)}.`);
  }
  if (rules.max !== undefined && number > rules.max) {
    return fault(`La valeur doit être au plus ${frenchNumber(rules.max)}.`);
  }
  return ok(number);
}

export function isEmail(text: string): boolean {
  const at = text.indexOf('@');
  if (at < 0) return false;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  return (
    local !== '' &&
    !domain.includes('@') &&
    domain.includes('.') &&
    !domain.startsWith('.') &&
    !domain.endsWith('.') &&
    !/\s/u.test(text) &&
    new TextEncoder().encode(text).length <= 254
  );
}

/** The ten-digit national form (`0612345678`). */
export function nationalPhone(text: string): string {
  const digits = text.replace(/[ .\-\u00a0]/g, '');
  if (digits.startsWith('+33')) return `0${digits.slice(3)}`;
  if (digits.startsWith('0033')) return `0${digits.slice(4)}`;
  return digits;
}

export function isFrenchPhone(text: string): boolean {
  const national = nationalPhone(text);
  return /^0\d{9}$/.test(national) && !national.startsWith('00');
}

// ------------------------------------------------------------------ dates

/** `AAAA-MM-JJ` of the city's day (Paris), as the service counts relative date bounds. */
export function parisToday(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(now);
}

interface Day {
  y: number;
  m: number;
  d: number;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function readDay(text: string): Day | null {
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  let day: Day | null = null;
  if (match) day = { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) };
  else {
    match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
    if (match) day = { y: Number(match[3]), m: Number(match[2]), d: Number(match[1]) };
  }
  if (!day || day.m < 1 || day.m > 12 || day.d < 1 || day.d > daysInMonth(day.y, day.m)) return null;
  return day;
}

function iso(day: Day): string {
  return `${String(day.y).padStart(4, '0')}-${String(day.m).padStart(2, '0')}-${String(day.d).padStart(2, '0')}`;
}

function french(isoDay: string): string {
  const [y, m, d] = isoDay.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * The date a bound stands for on `today`: a fixed date, or `today±N[dmy]` (months and
 * years land on the month's last day when the day does not exist, as the service does).
 */
export function resolveBound(bound: string, today: string): string | null {
  const base = readDay(today);
  if (!base) return null;
  if (!bound.startsWith('today')) {
    const fixed = /^\d{4}-\d{2}-\d{2}$/.test(bound) ? readDay(bound) : null;
    return fixed ? iso(fixed) : null;
  }
  if (bound === 'today') return iso(base);
  const match = /^today([+-])(\d+)([dmy])$/.exec(bound);
  if (!match) return null;
  const amount = Number(match[2]) * (match[1] === '-' ? -1 : 1);
  if (match[3] === 'd') {
    const moved = new Date(Date.UTC(base.y, base.m - 1, base.d + amount));
    return moved.toISOString().slice(0, 10);
  }
  const months = match[3] === 'y' ? amount * 12 : amount;
  const index = base.y * 12 + (base.m - 1) + months;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  return iso({ y, m, d: Math.min(base.d, daysInMonth(y, m)) });
}

function date(raw: unknown, min: string | undefined, max: string | undefined, today: string): Parsed {
  const day = typeof raw === 'string' ? readDay(raw.trim()) : null;
  if (!day) return fault('Saisissez une date valide (JJ/MM/AAAA).');
  const value = iso(day);
  const low = min ? resolveBound(min, today) : null;
  if (low && value < low) {
    return fault(min === 'today' ? 'La date ne peut pas être passée.' : `La date doit être le ${french(low)} ou après.`);
  }
  const high = max ? resolveBound(max, today) : null;
  if (high && value > high) {
    return fault(
      max === 'today' ? 'La date ne peut pas être dans le futur.' : `La date doit être le ${french(high)} ou avant.`,
    );
  }
  return ok(value);
}

// ------------------------------------------------------------------ choices, addresses

function multipleChoice(
  raw: unknown,
  rules: { options: { value: string }[]; min_selected?: number; max_selected?: number },
): Parsed {
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  else if (typeof raw === 'string') items = [raw];
  else return fault('Choisissez parmi les options proposées.');
  const picked: string[] = [];
  const faults: Fault[] = [];
  items.forEach((item, i) => {
    if (typeof item === 'string' && rules.options.some((o) => o.value === item)) {
      if (!picked.includes(item)) picked.push(item);
    } else faults.push({ suffix: `[${i}]`, message: 'Cette option n\'existe pas.' });
  });
  if (faults.length > 0) return { ok: false, faults };
  if (rules.min_selected !== undefined && picked.length < rules.min_selected) {
    return fault(`Choisissez au moins ${rules.min_selected} options.`);
  }
  if (rules.max_selected !== undefined && picked.length > rules.max_selected) {
    return fault(`Choisissez au plus ${rules.max_selected} options.`);
  }
  return ok(picked);
}

function address(raw: unknown, rules: { coordinates_required?: boolean; postcodes?: string[] }): Parsed {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fault('Indiquez l\'adresse : numéro et voie, code postal et commune.');
  }
  const parts = raw as Record<string, unknown>;
  const faults: Fault[] = [];
  const wrong = (suffix: string, message: string) => faults.push({ suffix, message });
  const textOf = (key: string): string => {
    const value = parts[key];
    if (typeof value === 'string') return value.trim();
    if (typeof value === 'number') return String(value);
    return '';
  };
  const street = textOf('street');
  const complement = textOf('complement');
  const postcode = textOf('postcode');
  const city = textOf('city');
  const postcodes = rules.postcodes ?? [];
  const checks: [string, string, number, string | null][] = [
    ['street', street, 200, 'Indiquez le numéro et la voie.'],
    ['complement', complement, 200, null],
    ['postcode', postcode, 5, 'Indiquez le code postal.'],
    ['city', city, 100, 'Indiquez la commune.'],
  ];
  for (const [key, value, max, missing] of checks) {
    const suffix = `.${key}`;
    if (value === '') {
      if (missing) wrong(suffix, missing);
    } else if (key === 'postcode' && !/^\d{5}$/.test(value)) {
      wrong(suffix, 'Le code postal compte 5 chiffres.');
    } else if (key === 'postcode' && postcodes.length > 0 && !postcodes.includes(value)) {
      wrong(suffix, `Cette démarche concerne la commune : codes postaux acceptés ${postcodes.join(', ')}.`);
    } else if (length(value) > max) {
      wrong(suffix, `Au plus ${max} caractères.`);
    }
  }
  // Present (not null) coordinates: a number, or `NaN` standing for « not a number ».
  const coordinate = (key: string): number | undefined => {
    const value = parts[key];
    if (value === null || value === undefined) return undefined;
    return typeof value === 'number' ? value : Number.NaN;
  };
  const latitude = coordinate('latitude');
  const longitude = coordinate('longitude');
  const within = (value: number, limit: number) => !Number.isNaN(value) && value >= -limit && value <= limit;
  if (latitude !== undefined && !within(latitude, 90)) {
    wrong('.latitude', 'La latitude est comprise entre -90 et 90.');
  } else if (longitude !== undefined && !within(longitude, 180)) {
    wrong('.longitude', 'La longitude est comprise entre -180 et 180.');
  } else if (latitude !== undefined && longitude === undefined) {
    wrong('.longitude', 'La longitude manque.');
  } else if (latitude === undefined && longitude !== undefined) {
    wrong('.latitude', 'La latitude manque.');
  } else if (latitude === undefined && longitude === undefined && rules.coordinates_required) {
    wrong('.latitude', 'Placez l\'adresse sur la carte.');
  }
  if (faults.length > 0) return { ok: false, faults };
  const clean: Record<string, unknown> = { street };
  if (complement !== '') clean['complement'] = complement;
  clean['postcode'] = postcode;
  clean['city'] = city;
  if (latitude !== undefined && longitude !== undefined) {
    clean['latitude'] = latitude;
    clean['longitude'] = longitude;
  }
  return ok(clean);
}

// ------------------------------------------------------------------ SIRET, IBAN

const LA_POSTE_SIREN = '356000000';

/** The 14 digits of a SIRET that passes its check (Luhn; La Poste's: digit sum), or null. */
export function parseSiret(input: string): string | null {
  const digits = input.replace(/\s/gu, '');
  if (!/^\d{14}$/.test(digits)) return null;
  const values = [...digits].map(Number);
  let valid: boolean;
  if (digits.startsWith(LA_POSTE_SIREN) && digits !== '35600000000048') {
    valid = values.reduce((a, b) => a + b, 0) % 5 === 0;
  } else {
    const sum = values
      .reverse()
      .map((d, i) => (i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d))
      .reduce((a, b) => a + b, 0);
    valid = sum % 10 === 0;
  }
  return valid ? digits : null;
}

/** IBAN length of each SEPA country (the service's `iban.rs`). */
const SEPA: Record<string, number> = {
  AD: 24, AL: 28, AT: 20, BE: 16, BG: 22, BL: 27, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18,
  EE: 20, ES: 24, FI: 18, FR: 27, GB: 22, GF: 27, GI: 23, GP: 27, GR: 27, HR: 21, HU: 28,
  IE: 22, IS: 26, IT: 27, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MF: 27,
  MK: 19, MQ: 27, MT: 31, NL: 18, NO: 15, PL: 28, PM: 27, PT: 25, RE: 27, RO: 24, SE: 24,
  SI: 19, SK: 24, SM: 27, VA: 22, YT: 27,
};

function mod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const c of rearranged) {
    const value = parseInt(c, 36);
    rest = value >= 10 ? (rest * 100 + value) % 97 : (rest * 10 + value) % 97;
  }
  return rest;
}

function iban(raw: unknown, countries: string[]): Parsed {
  if (typeof raw !== 'string') {
    return fault('Un IBAN commence par le code du pays et deux chiffres (par exemple FR76 3000 …).');
  }
  const compact = [...raw]
    .filter((c) => !/\s/u.test(c) && c !== '-')
    .map((c) => (/[a-z]/.test(c) ? c.toUpperCase() : c))
    .join('');
  if (compact.length < 5 || !/^[A-Z]{2}\d{2}[A-Z0-9]*$/.test(compact)) {
    return fault('Un IBAN commence par le code du pays et deux chiffres (par exemple FR76 3000 …).');
  }
  const country = compact.slice(0, 2);
  const expected = SEPA[country];
  if (expected === undefined) return fault('Seuls les IBAN de l\'espace SEPA sont acceptés.');
  if (compact.length !== expected) return fault(`Un IBAN de ce pays compte ${expected} caractères.`);
  if (mod97(compact) !== 1) return fault('Cet IBAN n\'est pas valide : vérifiez chaque caractère.');
  if (countries.length > 0 && !countries.includes(country)) {
    return fault(`Les IBAN de ce pays ne sont pas acceptés ici (pays acceptés : ${countries.join(', ')}).`);
  }
  return ok(compact);
}

// ------------------------------------------------------------------ files

/** Whether an accepted type (`image/*`, `application/pdf`) covers `actual`. */
export function mimeMatches(accepted: string, actual: string): boolean {
  const type = (actual.split(';')[0] ?? '').trim().toLowerCase();
  if (accepted.endsWith('/*')) return type.split('/')[0] === accepted.slice(0, -2) && type.includes('/');
  return accepted === type;
}

/** What people call a file type. */
export function typeName(mime: string): string {
  switch (mime) {
    case 'application/pdf':
      return 'PDF';
    case 'image/jpeg':
      return 'JPEG';
    case 'image/png':
      return 'PNG';
    case 'image/webp':
      return 'WebP';
    case 'image/*':
      return 'images';
    case 'application/vnd.oasis.opendocument.text':
      return 'ODT';
    case 'application/msword':
    case 'application/vnd.openxmlformats-officedocument.wordprocessingml.document':
      return 'Word';
    default:
      return mime;
  }
}

/** A size as the service words it (`5 Mo`, `1,5 Mo`, `500 ko`, `12 octets`). */
export function humanSize(bytes: number): string {
  const KIB = 1024;
  const MIB = 1024 * 1024;
  if (bytes >= MIB) {
    const tenths = Math.floor((bytes * 10) / MIB);
    return tenths % 10 === 0 ? `${tenths / 10} Mo` : `${Math.floor(tenths / 10)},${tenths % 10} Mo`;
  }
  if (bytes >= KIB) return `${Math.floor(bytes / KIB)} ko`;
  return `${bytes} octets`;
}

/** Why an uploaded file does not fit the field, or null when it does. */
export function uploadFault(upload: { mime_type: string; size: number }, accept: string[], maxSize: number): string | null {
  if (!accept.some((a) => mimeMatches(a, upload.mime_type))) {
    return `Ce type de fichier n'est pas accepté (types acceptés : ${accept.map(typeName).join(', ')}).`;
  }
  if (upload.size > maxSize) return `Ce fichier dépasse la taille maximale de ${humanSize(maxSize)}.`;
  return null;
}

function files(raw: unknown, rules: { accept: string[]; max_size: number; max_files?: number }, ctx: Context): Parsed {
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  else if (typeof raw === 'string') items = [raw];
  else return fault('Joignez les fichiers demandés.');
  const maxFiles = rules.max_files ?? 1;
  if (items.length > maxFiles) {
    return fault(maxFiles === 1 ? 'Joignez un seul fichier.' : `Joignez au plus ${maxFiles} fichiers.`);
  }
  const ids: string[] = [];
  const faults: Fault[] = [];
  items.forEach((item, i) => {
    const suffix = `[${i}]`;
    const upload = typeof item === 'string' ? ctx.uploads.get(item) : undefined;
    if (!upload || typeof item !== 'string') {
      faults.push({ suffix, message: 'Ce fichier est introuvable : déposez-le de nouveau.' });
      return;
    }
    const wrong = ids.includes(item) ? 'Ce fichier est déjà joint.' : uploadFault(upload, rules.accept, rules.max_size);
    if (wrong) faults.push({ suffix, message: wrong });
    else ids.push(item);
  });
  return faults.length > 0 ? { ok: false, faults } : ok(ids);
}
