/** The resident's space: account, profile, their demands. */

import type { Area } from './area';

export const account: Area = ([first = '', ...rest]) => {
  if (first !== 'compte' || rest.length > 0) return null;
  return { load: () => import('../pages/Account.svelte'), props: {} };
};
