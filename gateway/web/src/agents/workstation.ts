/**
 * A counter or phone-desk workstation. It is set up once by opening
 * `/agents/?appareil=<device_id>&secret=<secret>` (a device of kind `counter` or
 * `phone` an administrator registered): the credentials are kept in `localStorage` and
 * taken off the address bar at once. Agents who sign in there sign in through the
 * device (its token on `POST /api/v1/agent/login`), so what they file on a caller's
 * behalf carries the channel `counter` or `phone`. Elsewhere agents sign in as `web`.
 */

import createClient from 'openapi-fetch';
import type { paths } from '../lib/api/schema';

const STORAGE_KEY = 'guichet.poste';
const bare = createClient<paths>({ baseUrl: '' });

interface Credentials {
  device_id: string;
  secret: string;
}

export function takeWorkstationSetup(location: Location = window.location): void {
  const query = new URLSearchParams(location.search);
  const device_id = query.get('appareil')?.trim();
  const secret = query.get('secret')?.trim();
  if (!query.has('appareil') && !query.has('secret')) return;
  if (device_id && secret) {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ device_id, secret }));
    } catch {
      // Storage refused: this workstation signs agents in as the web.
    }
  }
  history.replaceState(null, '', location.pathname);
}

function credentials(): Credentials | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    const value = raw ? (JSON.parse(raw) as Partial<Credentials>) : null;
    return value?.device_id && value.secret ? { device_id: value.device_id, secret: value.secret } : null;
  } catch {
    return null;
  }
}

/** Whether this browser is a registered workstation. */
export function isWorkstation(): boolean {
  return credentials() !== null;
}

/** The workstation's device token for the agent's login, or null (not one, or refused). */
export async function workstationToken(): Promise<string | null> {
  const device = credentials();
  if (!device) return null;
  const { data } = await bare.POST('/api/v1/devices/login', { body: device });
  return data?.access_token ?? null;
}
