/**
 * The kiosk's identity. A kiosk is set up once by an agent who opens
 * `/borne/?appareil=<device_id>&secret=<secret>` (the credentials an administrator got
 * from `POST /api/v1/admin/devices`, kind `kiosk`): they are kept under
 * `localStorage['guichet.borne']` — the one key the inactivity reset spares — and
 * removed from the address bar at once. The kiosk then signs in as that device
 * (`POST /api/v1/devices/login`) and sends its token on every call, so the gateway
 * knows the channel (`kiosk`) and the kiosk knows where it stands (`GET
 * /api/v1/devices/me`). No resident ever signs in here.
 */

import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../lib/api/schema';

/** The one storage key that survives the inactivity reset. */
export const STORAGE_KEY = 'guichet.borne';
/** Renew this long before the token expires, so a call never leaves with a dead one. */
const MARGIN_MS = 30_000;

export interface Setup {
  device_id: string;
  secret: string;
  /** Test and trial only: an inactivity delay given at setup (`?inactivite=`), in seconds. */
  idle_seconds?: number;
}

/** Without the client's middleware, so signing in cannot recurse. */
const bare = createClient<paths>({ baseUrl: '' });

let session: { token: string; until: number } | null = null;
let pending: Promise<string | null> | null = null;

/**
 * Takes the setup address's parameters into storage and off the address bar (a
 * secret must not stay on screen or in the history for the next person).
 */
export function takeSetup(location: Location = window.location): void {
  const query = new URLSearchParams(location.search);
  const device_id = query.get('appareil')?.trim();
  const secret = query.get('secret')?.trim();
  if (device_id && secret) {
    const setup: Setup = { device_id, secret };
    const idle = Number(query.get('inactivite'));
    if (Number.isInteger(idle) && idle >= 3) setup.idle_seconds = idle;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(setup));
    } catch {
      // Storage refused: the kiosk works until the page is reloaded.
    }
    session = null;
  }
  if (query.has('appareil') || query.has('secret') || query.has('inactivite')) {
    history.replaceState(null, '', location.pathname);
  }
}

export function setup(): Setup | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    const value = raw ? (JSON.parse(raw) as Partial<Setup>) : null;
    return value?.device_id && value.secret ? (value as Setup) : null;
  } catch {
    return null;
  }
}

/** Why signing in failed last, for the agent setting the kiosk up. */
export const refused = { value: false };

async function signIn(): Promise<string | null> {
  const credentials = setup();
  if (!credentials) return null;
  const { data, response } = await bare.POST('/api/v1/devices/login', {
    body: { device_id: credentials.device_id, secret: credentials.secret },
  });
  refused.value = response.status === 401;
  if (!data) return null;
  session = { token: data.access_token, until: Date.now() + data.expires_in * 1000 - MARGIN_MS };
  return session.token;
}

/** The kiosk's access token, signing in when needed; null when not set up or refused. */
export async function deviceToken(): Promise<string | null> {
  if (session && Date.now() < session.until) return session.token;
  pending ??= signIn()
    .catch(() => null)
    .finally(() => {
      pending = null;
    });
  return pending;
}

/** Every call of the kiosk carries its device token. */
export const asKiosk: Middleware = {
  async onRequest({ request }) {
    if (request.headers.has('Authorization')) return request;
    const token = await deviceToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // A refused token is dropped; the next call signs in again.
    if (response.status === 401 && request.headers.has('Authorization')) session = null;
    return response;
  },
};
