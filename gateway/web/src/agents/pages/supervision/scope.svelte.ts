/**
 * What a supervisor oversees: their own departments, or the whole city for the MRU's
 * supervisors and administrators (as the services decide; the token is read here only
 * to offer the right choices). Departments are named by their labels where the API
 * gives them to this agent (administrators), by their codes otherwise.
 */

import { hasRole, staff, type Agent } from '../../api';

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

class Departments {
  labels: Record<string, string> = $state({});
  #asked = false;

  /** Reads the labels once; only administrators may list departments. */
  load(agent: Agent | null): void {
    if (this.#asked || !hasRole(agent, 'admin')) return;
    this.#asked = true;
    void staff.GET('/api/v1/admin/departments').then(({ data }) => {
      if (data) this.labels = Object.fromEntries(data.departments.map((d) => [d.code, d.label]));
      else this.#asked = false;
    });
  }

  label(code: string): string {
    return this.labels[code] ?? code;
  }

  /** Every department whose label is known, by label. */
  get known(): string[] {
    return Object.keys(this.labels);
  }
}

export const departments = new Departments();
