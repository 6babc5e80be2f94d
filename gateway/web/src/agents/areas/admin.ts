/**
 * The administration (`/agents/admin/**`), for agents with the `admin` role: an index,
 * then one section per thing administrators keep, each a list and, where the API lets
 * a record be read or changed, a page per record (`nouveau`/`nouvelle`: creating one).
 * Others are told the pages are not theirs (the API would refuse them anyway).
 */

import type { Area, Match } from '../../lib/area';
import { hasRole, me } from '../api';

function page(load: Match['load'], props: Record<string, unknown> = {}): Match {
  return { load, props };
}

export const admin: Area = ([first, section, id, ...rest], query) => {
  if (first !== 'admin' || rest.length > 0) return null;
  // Supervisors publish announcements too (the API lets them); the rest is administrators'.
  const publisher = section === 'annonces' && hasRole(me.agent, 'supervisor');
  if (!hasRole(me.agent, 'admin') && !publisher) return page(() => import('../pages/admin/Forbidden.svelte'));
  switch (section) {
    case undefined:
      return page(() => import('../pages/admin/Index.svelte'));
    case 'agents':
      return id === undefined
        ? page(() => import('../pages/admin/Agents.svelte'))
        : page(() => import('../pages/admin/Agent.svelte'), { id });
    case 'services':
      return id === undefined
        ? page(() => import('../pages/admin/Departments.svelte'))
        : page(() => import('../pages/admin/Department.svelte'), { code: id === 'nouveau' ? null : id });
    case 'themes':
      return id === undefined
        ? page(() => import('../pages/admin/Themes.svelte'))
        : page(() => import('../pages/admin/Theme.svelte'), { code: id === 'nouveau' ? null : id });
    case 'categories':
      return id === undefined
        ? page(() => import('../pages/admin/Categories.svelte'))
        : page(() => import('../pages/admin/Category.svelte'), { code: id === 'nouvelle' ? null : id });
    case 'appareils':
      return id === undefined
        ? page(() => import('../pages/admin/Devices.svelte'))
        : page(() => import('../pages/admin/Device.svelte'), { id });
    case 'lieux':
      return id === undefined
        ? page(() => import('../pages/admin/Places.svelte'))
        : page(() => import('../pages/admin/Place.svelte'), { id: id === 'nouveau' ? null : id });
    case 'annonces':
      return id === undefined ? page(() => import('../pages/admin/Announcements.svelte')) : null;
    case 'open311':
      return id === undefined ? page(() => import('../pages/admin/Keys.svelte')) : null;
    case 'journal':
      return id === undefined
        ? page(() => import('../pages/admin/Audit.svelte'), { actor: query.get('acteur') ?? '', subject: query.get('objet') ?? '' })
        : null;
    default:
      return null;
  }
};
