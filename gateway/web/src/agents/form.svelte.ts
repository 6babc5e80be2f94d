/**
 * How the intranet's forms talk to the API: a call's outcome (its data, or the French
 * reason it failed), and a form's state — faults by field, messages of no field,
 * whether it is being sent, the confirmation once done — so that every form of every
 * page puts the API's faults at their fields and focuses its summary the same way.
 */

import { tick } from 'svelte';
import { failureOf, networkFailure, placeFailure } from '../lib/api/problem';

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

/** Something able to take the focus: the form's `ErrorSummary`. */
interface Focusable {
  focus(): void;
}

/**
 * A form's faults (form field id → message), its messages for the whole form, whether
 * it is being sent, and the confirmation once done. `fields`: API field path → form
 * field id, for the API's faults.
 */
export class Form {
  errors: Record<string, string> = $state({});
  general: string[] = $state([]);
  busy = $state(false);
  done = $state('');
  summary: Focusable | undefined = $state();
  readonly #fields: Record<string, string>;

  constructor(fields: Record<string, string> = {}) {
    this.#fields = fields;
  }

  clear(): void {
    this.errors = {};
    this.general = [];
    this.done = '';
  }

  /** Clears one field's fault as it is corrected. */
  fix(id: string): void {
    if (!(id in this.errors)) return;
    const rest = { ...this.errors };
    delete rest[id];
    this.errors = rest;
  }

  /** Faults found before sending: shown, the summary focused; false when there were some. */
  async check(faults: Record<string, string>): Promise<boolean> {
    this.clear();
    this.errors = faults;
    if (Object.keys(faults).length === 0) return true;
    await tick();
    this.summary?.focus();
    return false;
  }

  /** Sends the form; on failure each fault goes to its field, the rest to the summary. */
  async send<T>(request: () => Promise<Answer<T>>, fields: Record<string, string> = this.#fields): Promise<Outcome<T>> {
    if (this.busy) return { ok: false, message: '' };
    this.busy = true;
    this.clear();
    try {
      const { data, error, response } = await request();
      if (response.ok) return { ok: true, data };
      const failure = failureOf(error, response);
      ({ errors: this.errors, general: this.general } = placeFailure(failure, fields));
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

  /** `send`, for a call whose answer has a body: that body, or null once the failure is shown. */
  async result<T>(request: () => Promise<Answer<T>>): Promise<T | null> {
    const outcome = await this.send(request);
    return outcome.ok ? (outcome.data ?? null) : null;
  }
}
