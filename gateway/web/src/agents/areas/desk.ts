/**
 * "Accueil des usagers" (`/agents/guichet/…`): the desk's search, filing for a caller
 * (complaint, teleservice, parking-fine dispute), acting on a demand found, and
 * certifying a profile attribute at the counter. `?usager=<account_id>` names the
 * resident found by the search that a filing is for.
 */

import type { Area } from '../../lib/area';

export const desk: Area = ([first, second = '', third, fourth, ...rest], query) => {
  if (first !== 'guichet' || rest.length > 0) return null;
  const usager = query.get('usager') ?? '';
  switch (second) {
    case '':
      return third === undefined ? { load: () => import('../pages/desk/Desk.svelte'), props: { q: query.get('q') ?? '' } } : null;
    case 'signalement':
      return third === undefined ? { load: () => import('../pages/desk/Complaint.svelte'), props: { usager } } : null;
    case 'recours':
      return third === undefined ? { load: () => import('../pages/desk/Dispute.svelte'), props: { usager } } : null;
    case 'demarches':
      if (fourth !== undefined) return null;
      return third
        ? { load: () => import('../pages/desk/Teleservice.svelte'), props: { slug: third, usager } }
        : { load: () => import('../pages/desk/Teleservices.svelte'), props: { usager } };
    case 'demandes':
      return third && fourth === undefined ? { load: () => import('../pages/desk/Demand.svelte'), props: { number: third } } : null;
    case 'usagers':
      return third && fourth === 'certifier' ? { load: () => import('../pages/desk/Certify.svelte'), props: { accountId: third } } : null;
    default:
      return null;
  }
};
