/**
 * A signed-in session, shared by every page: the tokens the gateway gave at login
 * (password, FranceConnect or after sign-up), renewed before they expire, kept in
 * `sessionStorage` so a reload keeps the person signed in but closing the tab does not
 * leave a session behind on a shared computer. The portal's resident (`session`, whose
 * token every portal call carries: `api/client.ts`) and the intranet's agent each have
 * one, under their own key: an agent testing the portal in another tab stays an agent.
 */

import createClient from 'openapi-fetch';
import type { paths } from './api/schema';

/** Without the client's middleware, so renewing cannot recurse. */
const bare = createClient<paths>({ baseUrl: '' });

/** Renew this long before the access token expires. */
const MARGIN_MS = 30_000;

interface Stored {
  access_token: string;
  refresh_token: string;
  /** Epoch milliseconds after which the access token is renewed. */
  until: number;
}

/** The tokens as the API answers them. */
export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

function load(key: string): Stored | null {
  try {
    const raw = sessionStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

export class Session {
  readonly #key: string;
  #stored: Stored | null = $state(null);
  /** Whether someone is signed in (pages show "Mon espace" or the login form). */
  signedIn = $derived(this.#stored !== null);
  /** The current access token as stored (for reading its claims; calls use `token()`). */
  current = $derived(this.#stored?.access_token ?? null);
  #renewing: Promise<string | null> | null = null;

  constructor(key: string) {
    this.#key = key;
    this.#stored = load(key);
  }

  /** Opens the session with tokens the gateway just gave. */
  signIn(tokens: Tokens): void {
    this.#save({
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      until: Date.now() + tokens.expires_in * 1000 - MARGIN_MS,
    });
  }

  /** Ends the session here and at the gateway (its refresh token stops working). */
  async signOut(): Promise<void> {
    const stored = this.#stored;
    this.#save(null);
    if (stored) {
      await bare
        .POST('/api/v1/auth/logout', { body: { refresh_token: stored.refresh_token } })
        .catch(() => undefined);
    }
  }

  /** Forgets the session without telling the gateway (it refused the token). */
  forget(): void {
    this.#save(null);
  }

  /** The access token to send, renewed when needed; null when signed out. */
  async token(): Promise<string | null> {
    const stored = this.#stored;
    if (!stored) return null;
    if (Date.now() < stored.until) return stored.access_token;
    this.#renewing ??= this.#renew(stored.refresh_token).finally(() => {
      this.#renewing = null;
    });
    return this.#renewing;
  }

  async #renew(refresh: string): Promise<string | null> {
    try {
      const { data } = await bare.POST('/api/v1/auth/refresh', { body: { refresh_token: refresh } });
      if (!data) {
        this.#save(null);
        return null;
      }
      this.signIn(data);
      return data.access_token;
    } catch {
      // Offline: keep the session; the call goes with the old token and may be refused.
      return this.#stored?.access_token ?? null;
    }
  }

  #save(stored: Stored | null): void {
    this.#stored = stored;
    try {
      if (stored) sessionStorage.setItem(this.#key, JSON.stringify(stored));
      else sessionStorage.removeItem(this.#key);
    } catch {
      // Storage refused (private mode): the session lives as long as the page.
    }
  }
}

/** The portal's signed-in resident. */
export const session = new Session('guichet.session');
