/**
 * What a supervisor oversees: their own departments, or the whole city for the MRU's
 * supervisors and administrators (as the services decide; the token is read here only
 * to offer the right choices).
 */

import { hasRole, type Agent } from '../../api';

/** The department the municipal police's RAPO disputes belong to (docs/rapo.md). */
export const RAPO_DEPARTMENT = 'POLICE_MUN';

export function supervises(agent: Agent | null): boolean {
  return hasRole(agent, 'supervisor') || hasRole(agent, 'admin');
}

/**
 * Whether the agent handles RAPO disputes (the service refuses anyone else their list,
 * administrators and the MRU included): not asking spares a refusal.
 */
export function handlesRapo(agent: Agent | null): boolean {
  return (agent?.departments.includes(RAPO_DEPARTMENT) ?? false) || (agent?.themes.includes('rapo') ?? false);
}

export function wholeCity(agent: Agent | null): boolean {
  return hasRole(agent, 'admin') || (hasRole(agent, 'supervisor') && (agent?.departments.includes('MRU') ?? false));
}
