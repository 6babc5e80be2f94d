/**
 * One form of the demand page: its faults by field, the messages of no field, whether
 * it is sending, and what it achieved (read out in a `role="status"` notice). Every
 * form of the page sends the same way, so the API's faults land at their fields alike.
 */

import { tick } from 'svelte';
import { failureOf, networkFailure, placeFields, type Failure } from '../../../lib/api/problem';

/** What openapi-fetch answers. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

export class FormState {
  /** Field id → message. */
  errors: Record<string, string> = $state({});
  general: string[] = $state([]);
  busy = $state(false);
  /** The last success, in words. */
  done = $state('');
  /** The form's error summary, focused on failure. */
  summary: { focus(): void } | undefined = $state();

  /** API field path → the form's field id. */
  readonly #map: Record<string, string>;

  constructor(map: Record<string, string>) {
    this.#map = map;
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

  /** Faults found before sending: shown and focused as the API's would be. */
  async refuse(errors: Record<string, string>): Promise<void> {
    this.errors = errors;
    this.general = [];
    await tick();
    this.summary?.focus();
  }

  async fail(failure: Failure): Promise<void> {
    const { byField, unplaced } = placeFields(failure.fields, this.#map);
    this.errors = byField;
    this.general = Object.keys(byField).length === 0 || unplaced.length > 0 ? [...unplaced, failure.message] : [];
    await tick();
    this.summary?.focus();
  }

  /** Sends `call`; its data on success, null after showing the failure. */
  async send<T>(call: () => Promise<Answer<T>>): Promise<T | null> {
    if (this.busy) return null;
    this.clear();
    this.busy = true;
    try {
      const { data, error, response } = await call();
      if (response.ok && data !== undefined) return data;
      await this.fail(failureOf(error, response));
    } catch {
      await this.fail(networkFailure());
    } finally {
      this.busy = false;
    }
    return null;
  }
}
