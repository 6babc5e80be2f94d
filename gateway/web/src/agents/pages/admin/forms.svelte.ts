/**
 * What every administration page does with the API: read a list or a record (with a
 * French failure when it cannot), send a form (each fault at its field, the summary
 * focused), act on one row (revoke, withdraw, delete) and say how it went.
 */

import { tick } from 'svelte';
import { failureOf, networkFailure, placeFields } from '../../../lib/api/problem';

/** What an `openapi-fetch` call resolves to, whatever the route. */
export interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The outcome of one action: its answer's body (none for a `204`), or the French reason it failed. */
export type Outcome<T> = { ok: true; data: T | undefined } | { ok: false; message: string };

export async function attempt<T>(request: () => Promise<Answer<T>>): Promise<Outcome<T>> {
  try {
    const { data, error, response } = await request();
    if (response.ok) return { ok: true, data };
    return { ok: false, message: failureOf(error, response).message };
  } catch {
    return { ok: false, message: networkFailure().message };
  }
}

/** A record or list read from the API once the page opens; `reload()` after a change. */
export class Remote<T> {
  value: T | null = $state(null);
  failure = $state('');
  /** `404`: the page says "not found" rather than "unavailable". */
  missing = $state(false);
  readonly #request: () => Promise<Answer<T>>;

  constructor(request: () => Promise<Answer<T>>) {
    this.#request = request;
    void this.reload();
  }

  async reload(): Promise<void> {
    try {
      const { data, error, response } = await this.#request();
      if (response.ok && data !== undefined) {
        this.value = data;
        this.failure = '';
      } else {
        this.missing = response.status === 404;
        this.failure = failureOf(error, response).message;
      }
    } catch {
      this.failure = networkFailure().message;
    }
  }
}

/** Something able to take the focus: the form's `ErrorSummary`. */
interface Focusable {
  focus(): void;
}

/**
 * A form's faults (form field id → message), its messages for the whole form, whether
 * it is being sent, and the confirmation once done.
 */
export class Form {
  errors: Record<string, string> = $state({});
  general: string[] = $state([]);
  busy = $state(false);
  done = $state('');
  summary: Focusable | undefined = $state();

  /** Faults found before sending: shown, the summary focused; false when there were some. */
  async check(faults: Record<string, string>): Promise<boolean> {
    this.errors = faults;
    this.general = [];
    this.done = '';
    if (Object.keys(faults).length === 0) return true;
    await tick();
    this.summary?.focus();
    return false;
  }

  /**
   * Sends the form. On failure the problem's faults go to their fields (`fields`: API
   * field path → form field id), the rest and the problem's detail to the summary.
   */
  async send<T>(request: () => Promise<Answer<T>>, fields: Record<string, string>): Promise<Outcome<T>> {
    if (this.busy) return { ok: false, message: '' };
    this.busy = true;
    this.errors = {};
    this.general = [];
    this.done = '';
    try {
      const { data, error, response } = await request();
      if (response.ok) return { ok: true, data };
      const failure = failureOf(error, response);
      const { byField, unplaced } = placeFields(failure.fields, fields);
      this.errors = byField;
      this.general = Object.keys(byField).length === 0 || unplaced.length > 0 ? [...unplaced, failure.message] : [];
      return { ok: false, message: failure.message };
    } catch {
      const failure = networkFailure();
      this.general = [failure.message];
      return { ok: false, message: failure.message };
    } finally {
      this.busy = false;
      if (Object.keys(this.errors).length > 0 || this.general.length > 0) {
        await tick();
        this.summary?.focus();
      }
    }
  }
}

/**
 * A confirmation carried to the next page (after a creation or a deletion that moves
 * to another address), read once by that page.
 */
let carried = '';

export function carry(message: string): void {
  carried = message;
}

export function carriedMessage(): string {
  const message = carried;
  carried = '';
  return message;
}

/** `2026-03-15T14:05` (a `datetime-local` field, the browser's time) → ISO 8601, or null. */
export function isoMoment(local: string): string | null {
  if (!local) return null;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/** A decimal typed the French way (`43,53`) or not; NaN when it is not one. */
export function decimal(text: string): number {
  const trimmed = text.trim().replace(',', '.');
  return trimmed === '' ? Number.NaN : Number(trimmed);
}
