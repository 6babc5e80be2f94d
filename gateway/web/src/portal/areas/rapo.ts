/** Parking-fine disputes (RAPO against a forfait post-stationnement). */

import type { Area } from './area';

export const rapo: Area = () => null;
