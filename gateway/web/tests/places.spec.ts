import { expect, test } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';

const BASE = process.env.GUICHET_URL ?? '';
const ADMIN_PASSWORD = process.env.GUICHET_ADMIN_PASSWORD ?? 'guichet-admin-demo';

/** Two of the city's places, as the administrator keeps them (a fresh platform has none). */
async function places(): Promise<void> {
  const login = await fetch(`${BASE}/api/v1/agent/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'admin', password: ADMIN_PASSWORD }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  for (const [id, name, latitude, longitude] of [
    ['hotel-de-ville', 'Hôtel de Ville', 43.53, 5.4478],
    ['mairie-annexe-luynes', 'Mairie annexe de Luynes', 43.4864, 5.4181],
  ] as const) {
    const saved = await fetch(`${BASE}/api/v1/admin/contact-points/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        name,
        kind: id.startsWith('mairie-annexe') ? 'mairie_annexe' : 'mairie',
        address: `${name}, Aix-en-Provence`,
        latitude,
        longitude,
        opening_hours: [{ weekday: 1, opens: '08:30', closes: '12:00' }],
        services: ['Inscription sur les listes électorales'],
      }),
    });
    expect(saved.ok, await saved.clone().text()).toBe(true);
  }
}

test('a resident finds where to be received, nearest first once located', async ({ page, context }) => {
  await places();
  // Near Luynes: its annexe comes before the town hall.
  await context.grantPermissions(['geolocation']);
  await context.setGeolocation({ latitude: 43.487, longitude: 5.419 });
  await page.goto('/');
  await page.getByRole('link', { name: /^Où être reçu/ }).click();
  await settled(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Où être reçu' })).toBeFocused();
  const names = page.locator('.places > li h2');
  await expect(names.first()).toHaveText('Hôtel de Ville');
  await expectAccessible(page, '/accueils');
  await page.getByRole('button', { name: /plus proche/ }).click();
  await expect(page.getByText('Classés du plus proche au plus éloigné de vous.')).toBeVisible();
  await expect(names.first()).toHaveText('Mairie annexe de Luynes');
  await expect(page.locator('.places > li').first()).toContainText('Inscription sur les listes électorales');
  await expectAccessible(page, '/accueils, nearest first');
  await screenshot(page, 'accueils');
});
