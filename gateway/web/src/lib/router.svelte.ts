/**
 * A tiny router on the History API: the portal has a handful of pages, and the gateway
 * answers every page path with `index.html`. Same-origin links are followed without a
 * reload; after each move, focus goes to the new page's heading so screen-reader and
 * keyboard users start at the top of the new content (RGAA 12.x).
 */

class Here {
  path = $state(window.location.pathname);
  search = $state(window.location.search);
  /** False on the first page shown: focus then stays where the browser puts it. */
  moved = $state(false);
}

export const here = new Here();

function sync(): void {
  here.path = window.location.pathname;
  here.search = window.location.search;
  here.moved = true;
}

/** Goes to `to` (a path on this site) without reloading. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, window.location.href);
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  sync();
  if (!url.hash) window.scrollTo(0, 0);
}

/** Paths the portal does not own: the kiosk, the intranet, the API, the gateway's own pages. */
const FOREIGN = /^\/(?:borne|agents|api|open311|healthz|readyz|signalements)(?:\/|$)/;

/**
 * Follows same-origin links through `navigate`; call once at start-up. `foreign`: the
 * paths another screen owns, loaded whole (the intranet owns `/agents/` only).
 */
export function start(foreign: RegExp = FOREIGN): void {
  window.addEventListener('popstate', sync);
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest?.('a');
    if (!link || link.target || link.hasAttribute('download')) return;
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin || foreign.test(url.pathname)) return;
    // A link to an anchor of the page shown: the browser scrolls and focuses it.
    if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}

/** Moves focus to the page's main heading after a move; call from each page once shown. */
export function focusHeading(heading: HTMLElement | undefined): void {
  if (here.moved && heading) heading.focus();
}
