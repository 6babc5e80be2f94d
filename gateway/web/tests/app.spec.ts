import { expect, test } from '@playwright/test';
import { settled } from './helpers';

/** Width and height from a PNG's header, after checking it is one. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

interface Manifest {
  name: string;
  short_name: string;
  lang: string;
  display: string;
  start_url: string;
  scope: string;
  theme_color: string;
  icons: { src: string; sizes: string; type: string; purpose?: string }[];
}

test('the portal is installable: its manifest is linked and valid', async ({ page }) => {
  await page.goto('/');
  await settled(page);
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(href).toBe('/manifest.webmanifest');
  await expect(page.locator('meta[name="theme-color"]')).toHaveAttribute('content', '#7a1f2b');

  const answer = await page.request.get(href ?? '');
  expect(answer.status()).toBe(200);
  const manifest = (await answer.json()) as Manifest;
  expect(manifest).toMatchObject({
    name: 'Guichet',
    short_name: 'Guichet',
    lang: 'fr',
    display: 'standalone',
    start_url: '/',
    scope: '/',
    theme_color: '#7a1f2b',
  });
  // PNG icons of 192 and 512 pixels, that really are, and the drawing as SVG.
  for (const size of [192, 512]) {
    const icon = manifest.icons.find((i) => i.sizes === `${size}x${size}` && i.type === 'image/png' && i.purpose !== 'maskable');
    expect(icon, `a ${size} px PNG icon`).toBeDefined();
    const file = await page.request.get(icon?.src ?? '');
    expect(file.status()).toBe(200);
    expect(pngSize(await file.body())).toEqual({ width: size, height: size });
  }
  const maskable = manifest.icons.find((i) => i.purpose === 'maskable');
  expect(pngSize(await (await page.request.get(maskable?.src ?? '')).body())).toEqual({ width: 512, height: 512 });
  const svg = manifest.icons.find((i) => i.type === 'image/svg+xml');
  const drawing = await page.request.get(svg?.src ?? '');
  expect(drawing.status()).toBe(200);
  expect(await drawing.text()).toContain('<svg');
});

test('after a first visit, the home page opens with the network off', async ({ page, context }) => {
  await page.goto('/');
  await settled(page);
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(new URL(scope).pathname).toBe('/');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  // What this visit loaded is kept (the page first, then its files), and no API answer.
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          const cache = await caches.open('guichet-shell-v1');
          const loaded = performance
            .getEntriesByType('resource')
            .filter((e) => (e as PerformanceResourceTiming).responseStatus === 200)
            .map((e) => new URL(e.name))
            .filter((u) => u.origin === location.origin && !u.pathname.startsWith('/api/') && u.pathname !== '/sw.js');
          const missing: string[] = [];
          if (!(await cache.match('/'))) missing.push('/');
          for (const url of loaded) if (!(await cache.match(url.href))) missing.push(url.pathname);
          return missing;
        }),
      { timeout: 15_000 },
    )
    .toEqual([]);
  const kept = await page.evaluate(async () =>
    (await (await caches.open('guichet-shell-v1')).keys()).map((r) => new URL(r.url).pathname),
  );
  expect(kept.filter((p) => p.startsWith('/api/'))).toEqual([]);

  await context.setOffline(true);
  try {
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Le guichet des habitants' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Aller au contenu' })).toBeAttached();
    // What needs the API says the connection is lost, in French.
    await expect(page.getByText(/hors connexion/).first()).toBeVisible();
    const problem = await page.evaluate(async () => {
      const answer = await fetch('/api/v1/announcements');
      return { status: answer.status, body: (await answer.json()) as { code: string; detail: string } };
    });
    expect(problem.status).toBe(503);
    expect(problem.body.code).toBe('offline');
    expect(problem.body.detail).toMatch(/^Vous êtes hors connexion/);
  } finally {
    await context.setOffline(false);
  }
});
