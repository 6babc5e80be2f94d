/**
 * The latest answers of a teleservice kept on this device (`localStorage`), written at
 * every change: a resident who loses the connection, or closes the page before the
 * draft is saved, is offered to take up where they were. One per teleservice, with its
 * definition, so it can be shown again without the network; forgotten once sent.
 */

import type { Answers, Definition } from '../../../lib/form/types';

const PREFIX = 'guichet.brouillon.';

export interface LocalDraft {
  slug: string;
  title: string;
  /** The draft saved on the platform, once there is one. */
  draftId: string | null;
  version: number;
  definition: Definition;
  data: Answers;
  /** Epoch milliseconds of the last change. */
  changedAt: number;
  /** Whether the platform has these very answers. */
  synced: boolean;
}

export function readLocal(slug: string): LocalDraft | null {
  try {
    const raw = localStorage.getItem(PREFIX + slug);
    const draft = raw ? (JSON.parse(raw) as LocalDraft) : null;
    return draft && draft.slug === slug && draft.definition && draft.data ? draft : null;
  } catch {
    return null;
  }
}

export function writeLocal(draft: LocalDraft): void {
  try {
    localStorage.setItem(PREFIX + draft.slug, JSON.stringify(draft));
  } catch {
    // Storage full or refused (private mode): the platform's draft is the only copy.
  }
}

export function forgetLocal(slug: string): void {
  try {
    localStorage.removeItem(PREFIX + slug);
  } catch {
    // Nothing was kept.
  }
}

/** Every teleservice begun on this device, latest first. */
export function allLocal(): LocalDraft[] {
  const found: LocalDraft[] = [];
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!key?.startsWith(PREFIX)) continue;
      const draft = readLocal(key.slice(PREFIX.length));
      if (draft) found.push(draft);
    }
  } catch {
    // Storage refused: nothing to offer.
  }
  return found.sort((a, b) => b.changedAt - a.changedAt);
}
