/** What the resident's demand pages share: the final statuses, paging, downloads. */

import type { Schemas } from '../../../lib/api/client';

export type Demand = Schemas['Demand'];
export type TimelineEntry = Schemas['TimelineEntry'];

/** Statuses after which a demand no longer moves; its answer may then be rated. */
const FINAL = ['resolved', 'rejected', 'closed'];

export function isFinal(status: string): boolean {
  return FINAL.includes(status);
}

/**
 * The query of the next page, read from `Link: <…>; rel="next"` (RFC 8288); null on
 * the last page. The address is the API's: its parameters are copied, never built.
 */
export function nextPage(response: Response): { limit?: number; cursor?: string } | null {
  const header = response.headers.get('link') ?? '';
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (!match?.[1]) continue;
    const params = new URL(match[1], window.location.origin).searchParams;
    const limit = params.get('limit');
    return { ...(limit ? { limit: Number(limit) } : {}), cursor: params.get('cursor') ?? '' };
  }
  return null;
}

/** Saves a file the page fetched (with the resident's token) under `name`. */
export function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The file name a `Content-Disposition` gives, or `fallback`. */
export function fileName(response: Response, fallback: string): string {
  const header = response.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header)?.[1];
  if (star) {
    try {
      return decodeURIComponent(star);
    } catch {
      // Badly encoded: the plain name below.
    }
  }
  return /filename="([^"]+)"/.exec(header)?.[1] ?? fallback;
}
