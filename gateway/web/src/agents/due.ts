/** The due date as agents read it: the day, the time left, and whether it is past. */

import { day, isFinal } from '../lib/format';

const HOUR = 3_600_000;

export interface Due {
  label: string;
  overdue: boolean;
}

/** `now` for tests; a finished demand is never overdue. */
export function dueState(dueAt: string | null | undefined, status: string, now = Date.now()): Due {
  if (!dueAt) return { label: 'sans échéance', overdue: false };
  const left = new Date(dueAt).getTime() - now;
  const when = day(dueAt);
  if (isFinal(status)) return { label: when, overdue: false };
  if (left < 0) return { label: `${when} — en retard de ${span(-left)}`, overdue: true };
  return { label: `${when} — reste ${span(left)}`, overdue: false };
}

function span(ms: number): string {
  const hours = Math.floor(ms / HOUR);
  if (hours < 1) return "moins d'une heure";
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} jours`;
}
