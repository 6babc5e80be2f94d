import type { Area } from '../../lib/area';

export const desk: Area = () => null;
