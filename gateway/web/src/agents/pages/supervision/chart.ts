/**
 * What the dashboard's small SVG charts share: how a series is drawn (a fill that is
 * not colour alone: solid, stripes, hollow, cross-hatch, each outlined), a scale with
 * round ticks, and French numbers and week labels.
 */

/** How a series' marks are filled; each reads apart in grey too. */
export type Fill = 'solid' | 'stripes' | 'hollow' | 'cross';

export interface Series {
  label: string;
  fill: Fill;
}

/** One bar of a `BarChart`: a department or a teleservice. */
export interface Row {
  label: string;
  /** One value per series, drawn end to end. */
  values: number[];
  /** Written after the bar (`12`, `4,2 / 5`). */
  note: string;
}

/** The fill of a series' marks; patterns are defined per chart (`Paints.svelte`) under `uid`. */
export function paint(uid: string, fill: Fill): string {
  switch (fill) {
    case 'solid':
      return 'var(--primary)';
    case 'hollow':
      return 'var(--surface)';
    default:
      return `url(#${uid}-${fill})`;
  }
}

/** The outline of a series' marks: 3:1 against the page at least (WCAG 1.4.11). */
export function outline(fill: Fill): string {
  if (fill === 'cross') return 'var(--error)';
  if (fill === 'hollow') return 'var(--text)';
  return 'var(--primary)';
}

/** A top value at or above `max` and round ticks up to it (1, 2 or 5 × 10ⁿ apart). */
export function scale(max: number, wanted = 4): { top: number; ticks: number[] } {
  if (max <= 0) return { top: 1, ticks: [0, 1] };
  const rough = max / wanted;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  // Counts are whole: a step under 1 would draw ticks nobody can have.
  const whole = Math.max(1, step);
  const top = Math.ceil(max / whole) * whole;
  const ticks: number[] = [];
  for (let t = 0; t <= top; t += whole) ticks.push(t);
  return { top, ticks };
}

const NUMBER = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });

/** `1 234`, `4,2`. */
export function count(value: number): string {
  return NUMBER.format(value);
}

/** `75 %` of `part` in `whole`; a dash when there is nothing to divide. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)} %` : '—';
}

/** A `YYYY-MM-DD` day as a date at noon UTC, so it reads the same day in Paris. */
function calendar(day: string): Date {
  return new Date(`${day}T12:00:00Z`);
}

const SHORT = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'short', timeZone: 'Europe/Paris' });
const LONG = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });

/** `30 nov.`: under a chart's column. */
export function weekShort(startsOn: string): string {
  return SHORT.format(calendar(startsOn));
}

/** `30 novembre 2026`. */
export function dayLong(startsOn: string): string {
  return LONG.format(calendar(startsOn));
}
