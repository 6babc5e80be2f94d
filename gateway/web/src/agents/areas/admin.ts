import type { Area } from '../../lib/area';

export const admin: Area = () => null;
