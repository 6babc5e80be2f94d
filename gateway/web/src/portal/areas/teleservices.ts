/** Teleservices: the catalogue, a teleservice's form. */

import type { Area } from './area';

export const teleservices: Area = ([first = '', second, ...rest]) => {
  if (first !== 'demarches' || rest.length > 0) return null;
  return second
    ? { load: () => import('../pages/Teleservice.svelte'), props: { slug: second } }
    : { load: () => import('../pages/Teleservices.svelte'), props: {} };
};
