/**
 * What the inactivity reset clears, so the next person finds nothing of the last one:
 * `sessionStorage`, every `localStorage` key but the kiosk's own setup, the cookies
 * scripts can reach, the Cache Storage and any service worker (the portal's, had this
 * browser opened it).
 * The screens' own state is cleared by building them anew (`Borne.svelte`).
 */

import { session } from '../lib/session.svelte';
import { STORAGE_KEY } from './device';

export async function wipe(): Promise<void> {
  session.forget();
  try {
    sessionStorage.clear();
  } catch {
    // Storage refused: nothing was kept there.
  }
  try {
    for (const key of Object.keys(localStorage)) if (key !== STORAGE_KEY) localStorage.removeItem(key);
  } catch {
    // Idem.
  }
  for (const cookie of document.cookie.split(';')) {
    const name = cookie.split('=')[0]?.trim();
    if (!name) continue;
    for (const path of ['/', '/borne', '/borne/'])
      document.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=${path}`;
  }
  try {
    // The portal's service worker, if this browser ever opened it: a kiosk keeps nothing.
    if ('serviceWorker' in navigator)
      await Promise.all((await navigator.serviceWorker.getRegistrations()).map((r) => r.unregister()));
  } catch {
    // Not available outside secure contexts.
  }
  try {
    if ('caches' in window) await Promise.all((await caches.keys()).map((name) => caches.delete(name)));
  } catch {
    // No Cache Storage outside secure contexts.
  }
}
