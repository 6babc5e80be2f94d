/** The agent's tabs (`GET /api/v1/agent/tabs`), read once per sign-in and shared by the pages. */

import { staff, type Schemas } from './api';

export type Tab = Schemas['Tab'];

class TabList {
  all: Tab[] = $state([]);
  loaded = $state(false);
  visible = $derived(this.all.filter((t) => !t.hidden));
  #pending: Promise<void> | null = null;

  load(): Promise<void> {
    this.#pending ??= staff.GET('/api/v1/agent/tabs').then(({ data }) => {
      this.all = data?.tabs ?? [];
      this.loaded = true;
    });
    return this.#pending;
  }

  set(tabs: Tab[]): void {
    this.all = tabs;
  }

  byCode(code: string): Tab | undefined {
    return this.all.find((t) => t.code === code);
  }
}

export const tabs = new TabList();

/** Whether a feed item or a demand of `theme` and `department` belongs in tab `code`. */
export function inTab(code: string, theme: string, department: string): boolean {
  return code === theme || code === department;
}

export function tabHref(code: string): string {
  return `/agents/onglets/${encodeURIComponent(code)}`;
}
