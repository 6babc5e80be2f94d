import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';

const BASE = process.env.GUICHET_URL ?? '';
const ADMIN_PASSWORD = process.env.GUICHET_ADMIN_PASSWORD ?? 'guichet-admin-demo';

async function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (typeof init.body === 'string') headers.set('content-type', 'application/json');
  return fetch(`${BASE}${path}`, { ...init, headers });
}

async function login(body: object): Promise<string> {
  const answer = await call('/api/v1/agent/login', { method: 'POST', body: JSON.stringify(body) });
  expect(answer.status, await answer.clone().text()).toBe(200);
  return ((await answer.json()) as { access_token: string }).access_token;
}

const admin = () => login({ login: 'admin', password: ADMIN_PASSWORD });

/** Two of the city's places, as the administrator keeps them (a fresh platform has none). */
async function placesNearby(): Promise<void> {
  const token = await admin();
  const places: [string, string, string, number, number][] = [
    ['hotel-de-ville', 'Hôtel de Ville', 'mairie', 43.53, 5.4478],
    ['mairie-annexe-les-milles', 'Mairie annexe des Milles', 'mairie_annexe', 43.5042, 5.3903],
  ];
  for (const [id, name, kind, latitude, longitude] of places) {
    const saved = await call(`/api/v1/admin/contact-points/${id}`, {
      method: 'PUT',
      token,
      body: JSON.stringify({
        name,
        kind,
        address: `${name}, Aix-en-Provence`,
        latitude,
        longitude,
        phone: '04 42 91 90 00',
        opening_hours: [{ weekday: 1, opens: '08:30', closes: '12:00' }],
        services: ['Renseignements sur toutes les démarches'],
      }),
    });
    if (!saved.ok) throw new Error(`contact point ${id}: ${saved.status} ${await saved.text()}`);
  }
}

/** A kiosk registered by the administrator, with its place and position. */
async function registerKiosk(): Promise<{ device_id: string; secret: string; latitude: number; longitude: number; location: string }> {
  const place = {
    label: `Borne ${Date.now().toString(36)}`,
    location: 'Parvis de la Rotonde',
    latitude: Math.round((43.5262 + Math.random() / 100) * 1e6) / 1e6,
    longitude: Math.round((5.4455 + Math.random() / 100) * 1e6) / 1e6,
  };
  const created = await call('/api/v1/admin/devices', {
    method: 'POST',
    token: await admin(),
    body: JSON.stringify({ kind: 'kiosk', ...place }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  return { ...((await created.json()) as { device_id: string; secret: string }), ...place };
}

/** What each key of the on-screen keyboard is called by a screen reader. */
const KEY_NAMES: Record<string, string> = {
  ' ': 'Espace',
  "'": 'apostrophe',
  ',': 'virgule',
  '.': 'point',
  '-': 'tiret',
  '@': 'arobase',
};

/** Types `text` with the on-screen keyboard only. */
async function typeOnScreen(page: Page, text: string): Promise<void> {
  const keyboard = page.getByRole('group', { name: "Clavier à l'écran" });
  for (const char of text) {
    if (char !== char.toLowerCase()) {
      await keyboard.getByRole('button', { name: 'Majuscule' }).click();
      await keyboard.getByRole('button', { name: char, exact: true }).click();
    } else {
      await keyboard.getByRole('button', { name: KEY_NAMES[char] ?? char, exact: true }).click();
    }
  }
}

test("a kiosk files a complaint at its own place with the on-screen keyboard, and shows what is near", async ({ page }) => {
  const kiosk = await registerKiosk();
  await placesNearby();
  // An announcement for kiosks, as the city's staff publish them.
  const title = `Travaux cours Mirabeau ${Date.now().toString(36)}`;
  const published = await call('/api/v1/agent/announcements', {
    method: 'POST',
    token: await admin(),
    body: JSON.stringify({ title, body: 'Circulation alternée jusqu’à vendredi.', channels: ['kiosk'], audience: 'everyone', valid_until: new Date(Date.now() + 86_400_000).toISOString() }),
  });
  expect(published.status, await published.clone().text()).toBe(201);

  // Set up once by an agent: the credentials leave the address bar at once.
  await page.goto(`/borne/?appareil=${kiosk.device_id}&secret=${encodeURIComponent(kiosk.secret)}`);
  await expect(page).toHaveURL(/\/borne\/$/);
  const kept = await page.evaluate(() => localStorage.getItem('guichet.borne'));
  expect(JSON.parse(kept ?? '{}')).toMatchObject({ device_id: kiosk.device_id });
  await expect(page.getByText(`Vous êtes ici : ${kiosk.location}`)).toBeVisible();
  await settled(page);
  await expectAccessible(page, 'the kiosk home');
  await screenshot(page, 'borne-accueil');
  // Large touch targets.
  for (const choice of await page.locator('main button').all()) {
    const box = await choice.boundingBox();
    expect(box?.height ?? 0).toBeGreaterThanOrEqual(44);
  }

  await page.getByRole('button', { name: /^Annonces/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Annonces' })).toBeFocused();
  await expect(page.getByRole('heading', { name: title })).toBeVisible();
  await expectAccessible(page, 'the kiosk announcements');
  await screenshot(page, 'borne-annonces');

  await page.getByRole('button', { name: "Retour à l'accueil" }).click();
  await page.getByRole('button', { name: /^Où être reçu/ }).click();
  await settled(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Où être reçu' })).toBeFocused();
  const places = page.locator('.places > li');
  await expect(places.first()).toBeVisible();
  // Nearest first, each with its distance from the kiosk.
  const distances = await places.locator('.meta').allTextContents();
  const metres = distances.map((t) => {
    const m = /à ([\d,]+) (k?m)/.exec(t);
    return m ? Number(m[1]?.replace(',', '.')) * (m[2] === 'km' ? 1000 : 1) : NaN;
  });
  expect(metres.every((m) => !Number.isNaN(m))).toBe(true);
  expect([...metres].sort((a, b) => a - b)).toEqual(metres);
  await expectAccessible(page, 'the contact points near the kiosk');
  await screenshot(page, 'borne-lieux');

  // Report a problem here, typing on the on-screen keyboard only.
  await page.getByRole('button', { name: "Retour à l'accueil" }).click();
  await page.getByRole('button', { name: /^Signaler un problème ici/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Signaler un problème ici' })).toBeFocused();
  await expect(page.locator('.where')).toContainText(`emplacement de cette borne : ${kiosk.location}`);
  const firstCategory = page.locator('.choice').first();
  await expect(firstCategory).toBeVisible();
  await expectAccessible(page, 'the kiosk complaint form, empty');
  await screenshot(page, 'borne-signaler');

  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('#description')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'the kiosk complaint form with errors');

  const label = ((await firstCategory.textContent()) ?? '').trim();
  await firstCategory.click();
  await page.getByLabel('Ce qui se passe').click();
  const description = 'Lampadaire en panne, rue sombre le soir.';
  await typeOnScreen(page, description);
  await expect(page.getByLabel('Ce qui se passe')).toHaveValue(description);
  await page.getByLabel('Adresse e-mail').click();
  await typeOnScreen(page, 'camille@exemple.fr');
  await expect(page.getByLabel('Adresse e-mail')).toHaveValue('camille@exemple.fr');
  // A slip, erased.
  await typeOnScreen(page, 'x');
  await page.getByRole('button', { name: 'Effacer' }).click();
  await expect(page.getByLabel('Adresse e-mail')).toHaveValue('camille@exemple.fr');
  await expectAccessible(page, 'the kiosk complaint form, filled');
  await screenshot(page, 'borne-signaler-rempli');

  const filing = page.waitForResponse((r) => r.url().endsWith('/api/v1/complaints') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  const answer = await filing;
  expect(answer.status()).toBe(201);
  expect(answer.request().headers()['authorization']).toMatch(/^Bearer /);
  await expect(page.getByRole('heading', { name: 'Votre signalement est enregistré' })).toBeFocused();
  const number = ((await page.locator('.tracking-number').textContent()) ?? '').trim();
  expect(number).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$/);
  await expectAccessible(page, 'the kiosk complaint filed');
  await screenshot(page, 'borne-signaler-enregistre');

  // On the platform, the complaint stands where the kiosk does, filed on the kiosk channel.
  const categories = (await (await call('/api/v1/complaints/categories')).json()) as { label: string; department: string }[];
  const department = categories.find((c) => c.label === label)?.department ?? '';
  expect(department).not.toBe('');
  const adminToken = await admin();
  const agentLogin = `borne-${Date.now().toString(36)}`;
  const created = await call('/api/v1/admin/agents', {
    method: 'POST',
    token: adminToken,
    body: JSON.stringify({ login: agentLogin, password: `${agentLogin}-mot-de-passe`, name: 'Agent', departments: [department], roles: ['agent'] }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const agent = await login({ login: agentLogin, password: `${agentLogin}-mot-de-passe` });
  const demand = (await (await call(`/api/v1/demands/${number}`, { token: agent })).json()) as {
    channel: string;
    dossier: { latitude: number; longitude: number; address: string; contact: { email: string } };
  };
  expect(demand.channel).toBe('kiosk');
  expect(demand.dossier.latitude).toBeCloseTo(kiosk.latitude, 6);
  expect(demand.dossier.longitude).toBeCloseTo(kiosk.longitude, 6);
  expect(demand.dossier.address).toBe(kiosk.location);
  expect(demand.dossier.contact.email).toBe('camille@exemple.fr');

  // Following it at the kiosk, by number.
  await page.getByRole('button', { name: 'Terminer' }).click();
  await expect(page.getByText(number)).toHaveCount(0);
  await page.getByRole('button', { name: /^Suivre une demande/ }).click();
  await expectAccessible(page, 'the kiosk follow form');
  await page.getByLabel('Numéro de suivi').click();
  await typeOnScreen(page, number.toLowerCase());
  await page.getByRole('button', { name: 'Suivre', exact: true }).click();
  await expect(page.locator('.tracking-number')).toHaveText(number);
  await expect(page.getByText('Canal : borne', { exact: true })).toBeVisible();
  await expectAccessible(page, 'a demand followed at the kiosk');
  await screenshot(page, 'borne-suivi');
});

test('after a while without a touch, the kiosk counts down, then clears everything', async ({ page }) => {
  // 5 seconds idle, then the 20 seconds the countdown gives (WCAG 2.2.1), twice.
  test.setTimeout(120_000);
  const kiosk = await registerKiosk();
  // The trial delay is read only at setup: 5 seconds here instead of the city's.
  await page.goto(`/borne/?appareil=${kiosk.device_id}&secret=${encodeURIComponent(kiosk.secret)}&inactivite=5`);
  await expect(page).toHaveURL(/\/borne\/$/);
  await page.getByRole('button', { name: /^Signaler un problème ici/ }).click();
  await page.locator('.choice').first().click();
  await page.getByLabel('Ce qui se passe').click();
  await typeOnScreen(page, 'Banc casse');
  await page.getByLabel('Nom').click();
  await typeOnScreen(page, 'Dominique');
  // What a browser may have kept along the way.
  await page.evaluate(() => {
    sessionStorage.setItem('guichet.session', '{"access_token":"x"}');
    localStorage.setItem('guichet.brouillon', 'Dominique');
  });

  // The countdown; a touch keeps everything.
  const countdown = page.getByRole('alertdialog', { name: "Touchez l'écran pour continuer" });
  await expect(countdown).toBeVisible({ timeout: 10_000 });
  await expect(countdown.getByRole('button', { name: 'Continuer' })).toBeFocused();
  await expectAccessible(page, 'the kiosk countdown');
  await screenshot(page, 'borne-inactivite');
  // Anywhere on the screen will do.
  await page.mouse.click(640, 120);
  await expect(countdown).toBeHidden();
  await expect(page.getByLabel('Ce qui se passe')).toHaveValue('Banc casse');

  // Left alone: everything goes.
  await expect(countdown).toBeVisible({ timeout: 10_000 });
  await expect(page.getByRole('heading', { level: 1, name: /Bienvenue/ })).toBeVisible({ timeout: 30_000 });
  await expect(countdown).toBeHidden();
  await expect(page.getByText('Banc casse')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText('Dominique');
  const storage = await page.evaluate(() => ({ session: sessionStorage.length, local: Object.keys(localStorage) }));
  expect(storage).toEqual({ session: 0, local: ['guichet.borne'] });
  // A new form starts empty.
  await page.getByRole('button', { name: /^Signaler un problème ici/ }).click();
  await expect(page.getByLabel('Ce qui se passe')).toHaveValue('');
  await expect(page.getByLabel('Nom')).toHaveValue('');
  await expect(page.locator('.choice input:checked')).toHaveCount(0);
});

test('a kiosk not set up says so and still lets anyone follow a demand', async ({ page }) => {
  await page.goto('/borne/');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await expect(page.getByRole('alert')).toContainText('pas encore configurée');
  await expect(page.getByRole('button', { name: /^Signaler un problème ici/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Suivre une demande/ })).toBeVisible();
  await expectAccessible(page, 'a kiosk not set up');
});
