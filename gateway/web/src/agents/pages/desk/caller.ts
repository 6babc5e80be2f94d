/**
 * The residents the desk found, remembered for the tab's life (`sessionStorage`), so a
 * filing page opened as `…?usager=<account_id>` can say for whom it files — the API
 * gives a resident's name only through the search, and a reload must not lose it.
 */

import type { Schemas } from '../../api';

export type Resident = Schemas['ResidentMatch'];

const KEY = 'guichet.agent.usagers';
/** Enough for a day at a counter; the oldest are dropped first. */
const KEEP = 50;

function read(): Resident[] {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
    return Array.isArray(value) ? (value as Resident[]) : [];
  } catch {
    return [];
  }
}

/** Keeps what a search found (the latest copy of each wins). */
export function remember(found: Resident[]): void {
  if (found.length === 0) return;
  const ids = new Set(found.map((r) => r.account_id));
  const kept = [...found, ...read().filter((r) => !ids.has(r.account_id))].slice(0, KEEP);
  try {
    sessionStorage.setItem(KEY, JSON.stringify(kept));
  } catch {
    // Storage refused: the filing pages then ask to search the resident again.
  }
}

/** The resident of an account found earlier in this tab, or null. */
export function recall(accountId: string): Resident | null {
  if (!accountId) return null;
  return read().find((r) => r.account_id === accountId) ?? null;
}

/** A desk page's address, for a resident when one is given. */
export function deskHref(path: string, accountId?: string | null): string {
  return accountId ? `/agents/guichet/${path}?usager=${encodeURIComponent(accountId)}` : `/agents/guichet/${path}`;
}

/** What shows who a resident is: their name, else their e-mail. */
export function residentName(resident: Resident): string {
  return resident.name.trim() || resident.email || 'Usager sans nom';
}
