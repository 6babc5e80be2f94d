/** Supervision: the supervisors' dashboard (overdue demands and the service's figures). */

import type { Area } from '../../lib/area';

export const supervision: Area = ([first = '', ...rest]) =>
  first === 'supervision' && rest.length === 0
    ? { load: () => import('../pages/supervision/Supervision.svelte'), props: {} }
    : null;
