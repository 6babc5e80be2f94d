/**
 * The query of the next page of a paged list, read from `Link: <…>; rel="next"`
 * (RFC 8288); null on the last page. The address is the API's: its parameters are
 * copied, never built.
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
