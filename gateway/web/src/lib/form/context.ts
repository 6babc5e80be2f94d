/**
 * What the fields of a rendered form share, given by `FormRenderer` to every field
 * below it (through Svelte's context, so nested blocks need no prop drilling). Reads
 * are functions so that fields follow the form's reactive state.
 */

import { getContext, setContext } from 'svelte';
import type { Upload } from './types';

/** Sends one file; calls `progress` with the share sent (0 to 1) as it goes. */
export type UploadFile = (file: File, progress: (sent: number) => void) => Promise<Upload>;

/** How a resident gets an uploaded file back: an address, and what a click does. */
export interface Download {
  href: string;
  /** Called on click instead of following the link (an authenticated download). */
  onclick?: (event: MouseEvent) => void;
}

export interface MapSettings {
  tile_url: string | null;
  attribution: string;
  center: { lat: number; lon: number };
  zoom: number;
}

export interface FormContext {
  /** Prefix of every DOM id of this form. */
  readonly prefix: string;
  /** Heading level of the form's step titles (section titles are one below). */
  readonly headingLevel: number;
  /** `AAAA-MM-JJ`: the day relative date bounds count from. */
  readonly today: string;
  readonly map: MapSettings | null;
  /** The answer at a field path (`home`, `children[1].name`). */
  get(path: string): unknown;
  /** Sets the answer at a field path, clearing its errors. */
  set(path: string, value: unknown): void;
  shown(path: string): boolean;
  required(path: string): boolean;
  /** The message shown next to a field path or an address part, if any. */
  error(key: string): string | undefined;
  /** Whether the field was filled from a certified attribute (top-level fields only). */
  readOnly(path: string): boolean;
  /** Every upload the answers may reference. */
  uploads(): Upload[];
  /** Absent where files cannot be sent (a designer's preview). */
  upload: UploadFile | undefined;
  /** Deletes a removed file from where it is stored; absent: nothing to delete. */
  discard: ((upload: Upload) => Promise<void>) | undefined;
  download(upload: Upload): Download | null;
  /** The DOM id of a field path or an address part. */
  id(key: string): string;
}

const KEY = Symbol('guichet.form');

export function provideForm(context: FormContext): void {
  setContext(KEY, context);
}

export function formContext(): FormContext {
  const context = getContext<FormContext | undefined>(KEY);
  if (!context) throw new Error('A form field is used outside of FormRenderer.');
  return context;
}

/** An error of a control the caller adds to the last step (the contact, say). */
export interface ExtraError {
  /** The control's DOM id. */
  id: string;
  label: string;
  message: string;
}
