/** The shell's own pages: follow a demand, report a problem, where to be received, accessibility. */

import type { Area } from '../../lib/area';

export const shell: Area = ([first = '', second, ...rest], query) => {
  if (rest.length > 0) return null;
  switch (first) {
    case 'suivi': {
      // `/suivi?numero=…`, the gateway's form without JavaScript, reads as `/suivi/…`.
      const number = second ?? query.get('numero') ?? undefined;
      return { load: () => import('../pages/Follow.svelte'), props: { number: number?.trim() || undefined } };
    }
    case 'signaler':
      return second ? null : { load: () => import('../pages/Report.svelte'), props: {} };
    case 'accueils':
      return second ? null : { load: () => import('../pages/Places.svelte'), props: {} };
    case 'accessibilite':
      return second ? null : { load: () => import('../pages/Accessibility.svelte'), props: {} };
    default:
      return null;
  }
};
