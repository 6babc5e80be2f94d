/**
 * The signed-in resident's session, shared by every page: the tokens the gateway gave
 * at login (password, FranceConnect or after sign-up), renewed before they expire,
 * kept in `sessionStorage` so a reload keeps the resident signed in but closing the
 * tab does not leave a session behind on a shared computer. Every API call carries the
 * resident's token when there is one (`api/client.ts`).
 */

import createClient from 'openapi-fetch';
import type { paths } from './api/schema';

/** Without the client's middleware, so renewing cannot recurse. */
const bare = createClient<paths>({ baseUrl: '' });

const STORAGE_KEY = 'guichet.session';
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

function load(): Stored | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

class Session {
  #stored: Stored | null = $state(load());
  /** Whether a resident is signed in (pages show "Mon espace" or the login form). */
  signedIn = $derived(this.#stored !== null);
  #renewing: Promise<string | null> | null = null;

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
      if (stored) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
      else sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Storage refused (private mode): the session lives as long as the page.
    }
  }
}

export const session = new Session();
