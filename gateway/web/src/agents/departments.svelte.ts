/**
 * The city's departments (`GET /api/v1/agent/departments`), read once and shared: the
 * intranet names departments, never shows their codes.
 */

import { staff, type Schemas } from './api';

class Departments {
  all: Schemas['Department'][] = $state([]);
  #pending: Promise<void> | null = null;

  /** Reads the list once per page life (again after a failure). */
  load(): Promise<void> {
    this.#pending ??= staff.GET('/api/v1/agent/departments').then(({ data }) => {
      if (data) this.all = data.departments;
      else this.#pending = null;
    });
    return this.#pending;
  }

  /** The department's French name; its code until the list has come. */
  label(code: string): string {
    if (this.all.length === 0) void this.load();
    return this.all.find((d) => d.code === code)?.label ?? code;
  }
}

export const departments = new Departments();
