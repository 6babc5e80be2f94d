/**
 * What the editor's parts share (the page, each field, each condition): the model being
 * edited, the faults shown at their controls, and a voice for what a button did out of
 * sight (a field moved, removed). Given through Svelte's context, so nested blocks need
 * no props passed down.
 */

import { getContext, setContext } from 'svelte';
import type { Model } from './model';

export interface Designer {
  readonly model: Model;
  /** Control DOM id → message. */
  readonly errors: Record<string, string>;
  /** Said to screen readers (`role="status"`). */
  announce(message: string): void;
  /** A part is removed: the faults shown at its controls (DOM ids starting with `base-`) go with it. */
  dropFaults(base: string): void;
}

const KEY = Symbol('designer');

export function provideDesigner(designer: Designer): void {
  setContext(KEY, designer);
}

export function useDesigner(): Designer {
  return getContext<Designer>(KEY);
}

/** A message for the next page of the designer (a teleservice just created), shown once. */
const flash = { message: '' };

export function setFlash(message: string): void {
  flash.message = message;
}

export function takeFlash(): string {
  const message = flash.message;
  flash.message = '';
  return message;
}
