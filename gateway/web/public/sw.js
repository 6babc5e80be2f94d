// The portal's service worker: keeps the app shell (the page and the hashed scripts and
// styles it loads, the manifest and icons) so the installed app opens offline, and
// answers API reads made offline with a French problem that the pages show as a lost
// connection (`src/lib/api/problem.ts`). It never keeps an API answer (they may carry
// personal data), leaves the kiosk (`/borne/`), the intranet (`/agents/`) and the gateway's own pages alone, and
// does not touch API calls while online.

const SHELL = 'guichet-shell-v1';
/** Kept files are the same whoever asks: a module script's `Origin` must not hide them. */
const MATCH = { ignoreVary: true };
/** Paths the portal's shell does not serve (as `src/lib/router.svelte.ts` lists them). */
const FOREIGN = /^\/(?:borne|agents|api|open311|healthz|readyz|signalements|compte\/verifier-email|compte\/nouveau-mot-de-passe)(?:\/|$)/;

const OFFLINE_PROBLEM = {
  type: 'urn:guichet:problem:offline',
  title: 'Service Unavailable',
  status: 503,
  code: 'offline',
  detail:
    'Vous êtes hors connexion : cette action a besoin d’internet. Réessayez une fois la connexion revenue ; ce que vous avez saisi reste affiché.',
};

const OFFLINE_PAGE = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hors connexion — Guichet</title></head>
<body style="font-family: system-ui, sans-serif; margin: 2rem; line-height: 1.5; color: #1e1e1e">
<h1>Vous êtes hors connexion</h1>
<p>Le guichet n’a pas encore pu être gardé sur cet appareil. Reconnectez-vous à internet puis rechargez la page.</p>
</body></html>`;

/** @param {string} url */
function sameOrigin(url) {
  return new URL(url, self.location.href).origin === self.location.origin;
}

/** Keeps `urls` (same origin, outside the API) in the shell's cache. */
async function keep(urls) {
  const cache = await caches.open(SHELL);
  await Promise.all(
    urls
      .filter((url) => sameOrigin(url) && !new URL(url, self.location.href).pathname.startsWith('/api/'))
      .map(async (url) => {
        // A hashed file never changes: kept once is kept for good.
        if (new URL(url, self.location.href).pathname.startsWith('/assets/') && (await cache.match(url, MATCH))) return;
        try {
          const response = await fetch(url, { cache: 'no-cache' });
          if (response.ok && response.type === 'basic') await cache.put(url, response);
        } catch {
          // Kept next time.
        }
      }),
  );
}

/** The same-origin files a page loads, from its HTML. */
function assetsOf(html) {
  return [...html.matchAll(/\b(?:src|href)="(\/[^"/][^"]*)"/g)]
    .map((match) => match[1])
    .filter((url) => url && !FOREIGN.test(url));
}

/** Keeps the page `/` and what it loads; the page last, so it never points to missing files. */
async function keepShell(page) {
  if (!page.ok || !(page.headers.get('content-type') ?? '').includes('text/html')) return;
  await keep(assetsOf(await page.clone().text()));
  await (await caches.open(SHELL)).put('/', page);
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    fetch('/', { cache: 'no-cache' })
      .then(keepShell)
      .catch(() => undefined)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('guichet-') && n !== SHELL).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'keep' && Array.isArray(event.data.urls)) event.waitUntil(keep(event.data.urls));
});

/** Pages: the network first (and the fresh page kept as the shell), else the kept shell. */
async function page(event) {
  try {
    const response = await fetch(event.request);
    if (response.ok) event.waitUntil(keepShell(response.clone()).catch(() => undefined));
    return response;
  } catch {
    return (
      (await caches.match('/', MATCH)) ??
      new Response(OFFLINE_PAGE, { status: 503, headers: { 'content-type': 'text/html; charset=utf-8' } })
    );
  }
}

/** Hashed files never change: the kept copy first. */
async function hashed(request) {
  const kept = await caches.match(request, MATCH);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') {
    const copy = response.clone();
    await (await caches.open(SHELL)).put(request, copy);
  }
  return response;
}

/** The shell's other files (manifest, icons, the development server's modules): network first. */
async function file(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') {
      const copy = response.clone();
      await (await caches.open(SHELL)).put(request, copy);
    }
    return response;
  } catch (error) {
    const kept = await caches.match(request, MATCH);
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) {
    // Offline, a read gets a French problem; writes fail as they would without a service
    // worker (the pages keep what was typed). Online, API calls are left alone entirely.
    if (request.method === 'GET' && self.navigator.onLine === false) {
      event.respondWith(
        new Response(JSON.stringify(OFFLINE_PROBLEM), {
          status: 503,
          headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
        }),
      );
    }
    return;
  }
  if (request.method !== 'GET' || FOREIGN.test(url.pathname)) return;
  if (request.mode === 'navigate') event.respondWith(page(event));
  else if (url.pathname.startsWith('/assets/')) event.respondWith(hashed(request));
  else event.respondWith(file(request));
});
