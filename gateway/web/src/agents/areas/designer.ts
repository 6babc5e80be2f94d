/** « Téléservices », the form designers' space: the catalogue, a new teleservice, one teleservice (a given version with `?version=`). */

import type { Area } from '../../lib/area';

export const designer: Area = ([first, second, ...rest], query) => {
  if (first !== 'conception' || rest.length > 0) return null;
  if (second === undefined) return { load: () => import('../pages/designer/Catalogue.svelte'), props: {} };
  if (second === 'nouveau') return { load: () => import('../pages/designer/Editor.svelte'), props: {} };
  const version = Number(query.get('version'));
  return {
    load: () => import('../pages/designer/Editor.svelte'),
    props: { slug: second, version: Number.isInteger(version) && version > 0 ? version : undefined },
  };
};
