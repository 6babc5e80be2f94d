/**
 * Parking-fine disputes (RAPO against a forfait post-stationnement): `/contester`
 * explains who may contest, by when and with which pieces, then takes the dispute;
 * `/contester/{number}` follows one, with its legal dates and, once decided, the
 * decision letter.
 */

import type { Area } from '../../lib/area';

export const rapo: Area = ([first = '', second, ...rest]) => {
  if (first !== 'contester' || rest.length > 0) return null;
  return second
    ? { load: () => import('../pages/rapo/Dispute.svelte'), props: { number: second.trim() } }
    : { load: () => import('../pages/rapo/Contest.svelte'), props: {} };
};
