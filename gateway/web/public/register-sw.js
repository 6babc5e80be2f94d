// Registers the portal's service worker (`/sw.js`): the app shell stays available
// offline once the portal has been opened. Then hands it what this first visit loaded
// (the page's scripts and styles), so the shell is whole offline from the first visit
// on, not only from the second. Never on the kiosk, which must keep nothing.
// An external file: the pages' Content-Security-Policy is `script-src 'self'`.

if ('serviceWorker' in navigator && window.isSecureContext && !location.pathname.startsWith('/borne') && !location.pathname.startsWith('/agents')) {
  performance.setResourceTimingBufferSize(1000);
  const loaded = () =>
    performance
      .getEntriesByType('resource')
      .map((entry) => entry.name)
      .filter((url) => new URL(url).origin === location.origin && !new URL(url).pathname.startsWith('/api/'));
  const register = () =>
    navigator.serviceWorker
      .register('/sw.js', { scope: '/' })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => registration.active?.postMessage({ type: 'keep', urls: loaded() }))
      .catch(() => {
        // Without a service worker the portal works as a plain web site.
      });
  if (document.readyState === 'complete') void register();
  else window.addEventListener('load', () => void register(), { once: true });
}
