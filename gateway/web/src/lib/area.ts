/**
 * How a screen's paths map to pages. Each area (the portal's teleservices, the
 * resident's space, disputes; the intranet's work, desk, designer, administration)
 * owns its paths in its own module, so a page is added without touching the others;
 * the shell asks each area in turn. Pages are fetched when first opened, to keep the
 * first load small.
 */

import type { Component } from 'svelte';

export type Loader = () => Promise<{ default: Component<any> }>;

export interface Match {
  load: Loader;
  props: Record<string, unknown>;
}

/** The page for a path (its segments, decoded, without the leading slash), or null. */
export type Area = (segments: string[], query: URLSearchParams) => Match | null;
