/**
 * Teleservice themes in residents' words, in the order the city lists them, read once
 * from `GET /api/v1/themes` (codes `teleservice:<theme>`). Until they arrive a theme
 * shows as « Autres démarches »; pages reading a label follow it as it comes.
 */

import { api } from './api/client';

const PREFIX = 'teleservice:';

const known = $state<{ labels: Record<string, string>; order: Record<string, number> }>({
  labels: {},
  order: {},
});
let asked = false;

function load(): void {
  if (asked) return;
  asked = true;
  api
    .GET('/api/v1/themes')
    .then(({ data }) => {
      if (!data) {
        asked = false;
        return;
      }
      const themes = data.themes
        .map((t) => ({ code: t.code ?? '', label: t.label ?? '' }))
        .filter((t) => t.code.startsWith(PREFIX));
      known.labels = Object.fromEntries(themes.map((t) => [t.code.slice(PREFIX.length), t.label]));
      known.order = Object.fromEntries(themes.map((t, i) => [t.code.slice(PREFIX.length), i]));
    })
    .catch(() => {
      // Offline: asked again by the next page that needs a label.
      asked = false;
    });
}

export function themeLabel(code: string): string {
  load();
  return known.labels[code] ?? 'Autres démarches';
}

/** Known themes in the city's order, then unknown ones. */
export function themeOrder(code: string): number {
  load();
  return known.order[code] ?? Number.MAX_SAFE_INTEGER;
}
