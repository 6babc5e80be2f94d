/**
 * The installed app's device session. The gateway takes the channel from the bearer
 * token only, so the app registers itself once as an app installation and keeps its
 * credentials on the phone (as a native app would), then signs in for a short-lived
 * token. A browser tab never comes here: it calls anonymously, as `web`.
 */

import createClient from 'openapi-fetch';
import type { paths } from './schema';

/** Without the device middleware, so signing in cannot recurse. */
const bare = createClient<paths>({ baseUrl: '' });

const STORAGE_KEY = 'guichet.appareil';
/** Renew this long before the token expires, so a call never leaves with a dead one. */
const MARGIN_MS = 30_000;

interface Credentials {
  device_id: string;
  secret: string;
}

let session: { token: string; until: number } | null = null;
let pending: Promise<string | null> | null = null;

function stored(): Credentials | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Credentials) : null;
  } catch {
    return null;
  }
}

async function register(): Promise<Credentials | null> {
  const { data } = await bare.POST('/api/v1/devices/app', {
    body: { label: 'Application Guichet' },
  });
  if (!data) return null;
  const credentials = { device_id: data.device_id, secret: data.secret };
  localStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
  return credentials;
}

async function signIn(): Promise<string | null> {
  let credentials = stored() ?? (await register());
  if (!credentials) return null;
  let answer = await bare.POST('/api/v1/devices/login', { body: credentials });
  if (answer.response.status === 401) {
    // The city revoked or forgot this installation: register it anew.
    localStorage.removeItem(STORAGE_KEY);
    credentials = await register();
    if (!credentials) return null;
    answer = await bare.POST('/api/v1/devices/login', { body: credentials });
  }
  if (!answer.data) return null;
  session = {
    token: answer.data.access_token,
    until: Date.now() + answer.data.expires_in * 1000 - MARGIN_MS,
  };
  return session.token;
}

/**
 * The device's access token, signing in when needed; null when the gateway cannot be
 * reached or refuses (the call then goes anonymously, as `web`, rather than not at all).
 */
export async function deviceToken(): Promise<string | null> {
  if (session && Date.now() < session.until) return session.token;
  pending ??= signIn()
    .catch(() => null)
    .finally(() => {
      pending = null;
    });
  return pending;
}

export function forgetDeviceSession(): void {
  session = null;
}
