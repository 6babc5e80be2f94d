import type { Area } from '../../lib/area';

export const supervision: Area = () => null;
