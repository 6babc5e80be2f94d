/**
 * Where a fault belongs. The service reports each fault with its path in the answers
 * (`birth.date`, `children[1].name`, `proofs[0]`, `home.postcode`; the API prefixes
 * them with `data.`). The form shows it next to the control it is about: the field
 * itself (`children[1].name`), or one part of an address (`home.postcode`). A file or
 * option of a list (`proofs[0]`) is the list's field's fault.
 */

import type { Definition, Field } from './types';

export interface Place {
  /** The error's key: a field path (`children[1].name`) or an address part (`home.postcode`). */
  key: string;
  /** The field path (`children[1].name`). */
  field: string;
  /** The id of the top-level field, to find its page. */
  top: string;
}

const TOKEN = /([a-z][a-z0-9_]*)|\[(\d+)\]|(\.)/gy;

function tokens(path: string): (string | number)[] | null {
  const out: (string | number)[] = [];
  TOKEN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (TOKEN.lastIndex < path.length && (match = TOKEN.exec(path))) {
    if (match[1] !== undefined) out.push(match[1]);
    else if (match[2] !== undefined) out.push(Number(match[2]));
  }
  return TOKEN.lastIndex === path.length || path.length === 0 ? out : null;
}

/** Every top-level field of the definition by id. */
export function topFields(definition: Definition): Map<string, Field> {
  const fields = new Map<string, Field>();
  for (const page of definition.pages) for (const field of page.fields) if (!fields.has(field.id)) fields.set(field.id, field);
  return fields;
}

/** Where a fault at `path` (relative to the answers, `data.` removed) is shown; null: the form's. */
export function place(definition: Definition, path: string): Place | null {
  const parts = tokens(path.replace(/^data\.?/, ''));
  if (!parts || parts.length === 0) return null;
  const [first, ...rest] = parts;
  if (typeof first !== 'string') return null;
  let field = topFields(definition).get(first);
  if (!field) return null;
  let fieldPath = first;
  if (field.type === 'repeatable') {
    const [k, child] = rest;
    const inner = typeof k === 'number' && typeof child === 'string' ? field.fields.find((f) => f.id === child) : undefined;
    if (!inner) return { key: fieldPath, field: fieldPath, top: first };
    fieldPath = `${first}[${k}].${child}`;
    field = inner;
    rest.splice(0, 2);
  }
  const [part] = rest;
  if (field.type === 'address' && typeof part === 'string') {
    return { key: `${fieldPath}.${part}`, field: fieldPath, top: first };
  }
  return { key: fieldPath, field: fieldPath, top: first };
}

/** The DOM id of a field path or an address part, under `prefix`. */
export function controlId(prefix: string, key: string): string {
  return `${prefix}-${key.replace(/\[(\d+)\]\.?/g, '-$1-').replace(/\./g, '-').replace(/-$/, '')}`;
}

/** The field at a field path (`home`, `children[1].name`), if any. */
export function fieldAt(definition: Definition, path: string): Field | undefined {
  const match = /^([a-z][a-z0-9_]*)(?:\[(\d+)\]\.([a-z][a-z0-9_]*))?$/.exec(path);
  if (!match) return undefined;
  const top = topFields(definition).get(match[1] ?? '');
  if (!match[3]) return top;
  return top?.type === 'repeatable' ? top.fields.find((f) => f.id === match[3]) : undefined;
}
