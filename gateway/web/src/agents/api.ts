/**
 * The intranet's API client: the same typed client as the portal's, carrying the
 * agent's token. The agent's session is kept apart from a resident's (its own
 * `sessionStorage` key), and what the token says of the agent (name, roles,
 * departments, themes) is read from it only to choose which menus to show: every call
 * is still checked by the services.
 */

import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../lib/api/schema';
import { Session } from '../lib/session.svelte';

export type Schemas = components['schemas'];

export const agentSession = new Session('guichet.agent');

/** Same origin as the portal; every call goes as the signed-in agent. */
export const staff = createClient<paths>({ baseUrl: '' });

const asAgent: Middleware = {
  async onRequest({ request }) {
    if (request.headers.has('Authorization')) return request;
    const token = await agentSession.token();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // The session ended (logout elsewhere, account deactivated): back to the login form.
    if (response.status === 401 && request.headers.has('Authorization')) agentSession.forget();
    return response;
  },
};
staff.use(asAgent);

/** What the agent's token says of them. */
export interface Agent {
  id: string;
  name: string;
  roles: string[];
  departments: string[];
  themes: string[];
  channel: string;
}

/** The claims of a JWT, unverified (the services verify it). */
export function agentOf(token: string | null): Agent | null {
  if (!token) return null;
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Record<string, unknown>>;
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
    return {
      id: typeof claims.sub === 'string' ? claims.sub : '',
      name: typeof claims.name === 'string' ? claims.name : '',
      roles: strings(claims.roles),
      departments: strings(claims.departments),
      themes: strings(claims.themes),
      channel: typeof claims.channel === 'string' ? claims.channel : 'web',
    };
  } catch {
    return null;
  }
}

/** Who is signed in, as the current token says (null when signed out). */
export const me = {
  get agent(): Agent | null {
    return agentOf(agentSession.current);
  },
};

export function hasRole(agent: Agent | null, role: string): boolean {
  return agent?.roles.includes(role) ?? false;
}

/**
 * Whether the desk's tools lead the menu: the MRU (Allô Mairie) and any agent signed
 * in at a counter or phone-desk workstation (the neighbourhood town halls' counters).
 */
export function atDesk(agent: Agent | null): boolean {
  if (!agent) return false;
  return (
    agent.channel === 'counter' || agent.channel === 'phone' || agent.departments.includes('MRU') || hasRole(agent, 'admin')
  );
}
