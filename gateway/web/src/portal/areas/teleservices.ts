/** Teleservices: the catalogue, a teleservice's form (and a draft of it), the drafts. */

import type { Area } from '../../lib/area';

export const teleservices: Area = ([first = '', second, ...rest], query) => {
  if (rest.length > 0) return null;
  if (first === 'brouillons') {
    return second ? null : { load: () => import('../pages/drafts/Drafts.svelte'), props: {} };
  }
  if (first !== 'demarches') return null;
  return second
    ? {
        load: () => import('../pages/Teleservice.svelte'),
        // `?brouillon=<id>`: a draft resumed, on this device or another.
        props: { slug: second, draft: query.get('brouillon')?.trim() || undefined },
      }
    : { load: () => import('../pages/Teleservices.svelte'), props: {} };
};
