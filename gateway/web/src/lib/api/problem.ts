/**
 * Turns the gateway's RFC 9457 problems (`title`, `detail` in French, `code`, and for
 * field errors `errors: [{ field, detail }]`) into what a form shows: one message per
 * field, next to it, and one message for the whole form.
 */

import type { Schemas } from './client';

export type Problem = Schemas['Problem'];

export interface Failure {
  status: number;
  /** Stable code (`validation_failed`, `demand_not_found`…); `network` when unreachable. */
  code: string;
  /** For the whole form: the problem's French `detail`, or our own wording. */
  message: string;
  /** API field path (`location.address`, `photos[0]`) → message. */
  fields: Record<string, string>;
}

const NETWORK: Failure = {
  status: 0,
  code: 'network',
  message: 'Connexion impossible. Vérifiez votre connexion à internet puis réessayez.',
  fields: {},
};

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && 'detail' in value && 'code' in value;
}

/** The failure of an answer that was not a success. */
export function failureOf(error: unknown, response: Response): Failure {
  if (isProblem(error)) {
    // The service worker's answer offline (`public/sw.js`): a lost connection, in its words.
    if (error.code === 'offline') return { ...NETWORK, message: error.detail, fields: {} };
    const fields: Record<string, string> = {};
    for (const fault of error.errors ?? []) {
      // The first message for a field is kept: the service reports the most basic first.
      fields[fault.field] ??= fault.detail;
    }
    return { status: response.status, code: error.code, message: error.detail, fields };
  }
  return {
    status: response.status,
    code: 'unexpected',
    message:
      response.status === 429
        ? 'Trop de demandes en peu de temps. Réessayez dans une minute.'
        : 'Le service est momentanément indisponible. Réessayez dans quelques instants.',
    fields: {},
  };
}

/** A call that threw (no answer at all). */
export function networkFailure(): Failure {
  return { ...NETWORK, fields: {} };
}

/**
 * Which form field an API path belongs to: the longest prefix in `map` wins
 * (`photos[2].content_base64` → `photos`, `location.address` → `location.address`).
 * Faults of no mapped field go to `unplaced`, shown with the form's message.
 */
export function placeFields(
  fields: Record<string, string>,
  map: Record<string, string>,
): { byField: Record<string, string>; unplaced: string[] } {
  const byField: Record<string, string> = {};
  const unplaced: string[] = [];
  const prefixes = Object.keys(map).sort((a, b) => b.length - a.length);
  for (const [path, message] of Object.entries(fields)) {
    const prefix = prefixes.find(
      (p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`),
    );
    const field = prefix ? map[prefix] : undefined;
    if (field) byField[field] ??= message;
    else unplaced.push(message);
  }
  return { byField, unplaced };
}

/**
 * A refused form as it is shown: each fault next to its field (`map` as in
 * `placeFields`), at the top the faults of no field and, when nothing could be placed,
 * the problem's own words.
 */
export function placeFailure(
  failure: Failure,
  map: Record<string, string>,
): { errors: Record<string, string>; general: string[] } {
  const { byField, unplaced } = placeFields(failure.fields, map);
  const general = Object.keys(byField).length === 0 || unplaced.length > 0 ? [...unplaced, failure.message] : [];
  return { errors: byField, general };
}
