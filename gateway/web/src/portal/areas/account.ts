/**
 * The resident's space: signing in (password or FranceConnect), signing up, the links
 * sent by e-mail (address verification, new password), the profile and its settings
 * under `/compte`, and the resident's demands under `/mes-demandes`.
 */

import type { Area } from '../../lib/area';

export const account: Area = ([first = '', second, ...rest], query) => {
  if (first === 'mes-demandes') {
    if (rest.length > 0) return null;
    return second
      ? { load: () => import('../pages/demands/Demand.svelte'), props: { number: second } }
      : { load: () => import('../pages/demands/Demands.svelte'), props: {} };
  }
  if (first !== 'compte' || rest.length > 0) return null;
  // The links sent by e-mail carry their one-time secret as `?jeton=`.
  const token = query.get('jeton')?.trim() ?? '';
  switch (second) {
    case undefined:
      return { load: () => import('../pages/Account.svelte'), props: {} };
    case 'inscription':
      return { load: () => import('../pages/account/SignUp.svelte'), props: {} };
    case 'verifier-email':
      return { load: () => import('../pages/account/VerifyEmail.svelte'), props: { token } };
    case 'mot-de-passe-oublie':
      return { load: () => import('../pages/account/ForgotPassword.svelte'), props: {} };
    case 'nouveau-mot-de-passe':
      return { load: () => import('../pages/account/NewPassword.svelte'), props: { token } };
    case 'franceconnect':
      return {
        load: () => import('../pages/account/FranceConnect.svelte'),
        props: {
          code: query.get('code') ?? '',
          state: query.get('state') ?? '',
          error: query.get('error') ?? '',
        },
      };
    case 'deconnecte':
      return { load: () => import('../pages/account/SignedOut.svelte'), props: {} };
    case 'notifications':
      return { load: () => import('../pages/account/Notifications.svelte'), props: {} };
    case 'sessions':
      return { load: () => import('../pages/account/Sessions.svelte'), props: {} };
    case 'rattacher':
      return { load: () => import('../pages/account/Claim.svelte'), props: {} };
    case 'donnees':
      return { load: () => import('../pages/account/Data.svelte'), props: {} };
    default:
      return null;
  }
};
