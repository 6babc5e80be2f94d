/**
 * What the administration pages share besides forms (`../../form.svelte`): a record or
 * list read when the page opens, a confirmation carried to the next page, and the
 * parsing of typed moments and decimals.
 */

import { failureOf, networkFailure } from '../../../lib/api/problem';
import type { Answer } from '../../form.svelte';

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
