import type { Area } from '../../lib/area';

export const designer: Area = () => null;
