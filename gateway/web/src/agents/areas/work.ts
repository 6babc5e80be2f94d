/** "Mon travail": the home page, a tab, a demand (a RAPO dispute's page includes its dossier). */

import type { Area } from '../../lib/area';

export const work: Area = ([first = '', second, ...rest]) => {
  if (rest.length > 0) return null;
  switch (first) {
    case '':
      return second === undefined ? { load: () => import('../pages/Home.svelte'), props: {} } : null;
    case 'onglets':
      return second ? { load: () => import('../pages/Tab.svelte'), props: { code: second } } : null;
    case 'demandes':
      return second ? { load: () => import('../pages/demand/Demand.svelte'), props: { number: second } } : null;
    default:
      return null;
  }
};
