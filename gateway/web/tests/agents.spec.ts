import { expect, test } from '@playwright/test';
import { expectAccessible, screenshot } from './helpers';
import { createAgent, fileComplaint, signIn } from './agents-helpers';

test('an agent signs in, sees their tabs, and new demands arrive live with their counts', async ({ page }) => {
  const karim = await createAgent('Karim Voirie', ['VOIRIE']);

  // The login form: each missing field said at its place, a wrong password said plainly.
  await page.goto('/agents/');
  await expect(page.getByRole('heading', { level: 1, name: "Connexion à l'intranet" })).toBeVisible();
  await expectAccessible(page, 'the login form');
  await screenshot(page, 'agents-connexion');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.locator('#identifiant-erreur')).toHaveText(/Saisissez votre identifiant/);
  await expect(page.locator('#mot-de-passe-erreur')).toHaveText(/Saisissez votre mot de passe/);
  await expectAccessible(page, 'the login form with errors');
  await page.getByLabel('Identifiant').fill(karim.login);
  await page.getByLabel('Mot de passe').fill('pas-le-bon');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByText('Identifiant ou mot de passe incorrect.')).toBeVisible();

  await signIn(page, karim);
  const tabs = page.getByRole('navigation', { name: 'Mes onglets' });
  const pothole = tabs.getByRole('link', { name: /^Nid-de-poule/ });
  await expect(pothole).toBeVisible();
  await expectAccessible(page, 'the work page');

  // The pothole tab open, a resident files: it shows without reload, counted unread.
  await pothole.click();
  await expect(page.getByRole('heading', { level: 1, name: /Nid-de-poule/ })).toBeFocused();
  const unread = async (): Promise<number> =>
    (await pothole.locator('.count').count()) === 0 ? 0 : Number((await pothole.locator('.count').textContent())?.match(/\d+/)?.[0]);
  const before = await unread();
  const number = await fileComplaint('NID_DE_POULE', 'Trou dangereux devant la boulangerie, à reboucher vite.');
  const arrived = page.getByRole('listitem').filter({ hasText: number });
  await expect(arrived).toBeVisible();
  await expect(arrived).toContainText('Non lu');
  // At least one more (other tests' filings may land too on a shared platform).
  await expect.poll(unread).toBeGreaterThan(before);
  await expect(pothole.locator('.count')).toHaveText(/^\d+ non lus?$/);
  await expectAccessible(page, 'a tab with a new item');
  await screenshot(page, 'agents-onglet');

  // Marked read: the count drops, the item is no longer marked.
  await page.getByRole('button', { name: 'Tout marquer comme lu' }).click();
  await expect(arrived).not.toContainText('Non lu');
  await expect(pothole.locator('.count')).toHaveCount(0);

  // The department's demands, with their due date.
  await expect(page.getByRole('row').filter({ hasText: number })).toContainText(/reste|en retard/);

  // Tabs in the agent's own order: one hidden, another moved first; it holds after a reload.
  await page.getByRole('link', { name: 'Mon travail' }).click();
  await page.getByText('Ranger mes onglets').click();
  const arrangement = page.getByRole('table', { name: "Mes onglets, dans l'ordre de la barre" });
  await expectAccessible(page, 'the tabs arrangement');
  await arrangement.getByRole('checkbox', { name: /Affiché : Nid-de-poule/ }).uncheck();
  await expect(page.getByText(/« Nid-de-poule.* » est masqué\./)).toBeVisible();
  await expect(tabs.getByRole('link', { name: /^Nid-de-poule/ })).toHaveCount(0);
  const last = arrangement.getByRole('row').last().getByRole('rowheader');
  const moved = (await last.textContent())?.trim() ?? '';
  await arrangement.getByRole('button', { name: `Monter ${moved}` }).click();
  await expect(page.getByText(`« ${moved} » monte d'un rang.`)).toBeVisible();
  await page.reload();
  await expect(tabs.getByRole('link', { name: new RegExp(`^${moved.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`) })).toBeVisible();
  await expect(tabs.getByRole('link', { name: /^Nid-de-poule/ })).toHaveCount(0);
  const order = await tabs.getByRole('link').allTextContents();
  const at = order.findIndex((t) => t.startsWith(moved));
  expect(at, `${moved} in ${order.join(' | ')}`).toBe(order.length - 2);
  await page.getByText('Ranger mes onglets').click();
  await arrangement.getByRole('checkbox', { name: /Affiché : Nid-de-poule/ }).check();
  await expect(tabs.getByRole('link', { name: /^Nid-de-poule/ })).toBeVisible();
});

test('the live feed resumes after a lost connection without missing an item, and its cue can be turned off', async ({ page }) => {
  const agent = await createAgent('Agent Propreté', ['PROPRETE']);
  await signIn(page, agent);

  // The cue is on unless turned off; the choice survives a reload.
  const cue = page.getByLabel('Signal sonore et visuel des nouveautés');
  await expect(cue).toBeChecked();
  await cue.uncheck();
  await page.reload();
  await expect(page.getByText('Fil en direct connecté')).toBeVisible();
  await expect(cue).not.toBeChecked();
  // Off: a new item is listed, its tab is not flashed.
  const dumping = page.getByRole('navigation', { name: 'Mes onglets' }).getByRole('link', { name: /^Dépôt sauvage/ });
  const quiet = await fileComplaint('DEPOT_SAUVAGE', 'Sacs de déchets laissés rue Gaston de Saporta.');
  await expect(page.getByRole('listitem').filter({ hasText: quiet })).toBeVisible();
  await expect(dumping).not.toHaveClass(/flash/);
  // On: the tab the item belongs to is flashed.
  await cue.check();
  const loud = await fileComplaint('DEPOT_SAUVAGE', 'Canapé abandonné devant le numéro 4.');
  await expect(page.getByRole('listitem').filter({ hasText: loud })).toBeVisible();
  await expect(dumping).toHaveClass(/flash/);

  // The gateway goes away (as in a rolling restart): the stream is refused, the page says so.
  const refused = { status: 503, contentType: 'application/problem+json', body: '{"code":"unavailable","detail":"Indisponible"}' };
  await page.route('**/api/v1/agent/feed/stream', (route) => route.fulfill(refused));
  await page.reload();
  await expect(page.getByText('Fil en direct : reconnexion…')).toBeVisible();
  // Meanwhile a resident files; once the gateway is back, the page gets it without reload.
  const resumed = page.waitForRequest((r) => r.url().endsWith('/api/v1/agent/feed/stream'));
  const missed = await fileComplaint('DEPOT_SAUVAGE', 'Dépôt de gravats au pied du conteneur, rue Espariat.');
  await page.unroute('**/api/v1/agent/feed/stream');
  expect((await resumed).headers()['last-event-id']).toMatch(/^\d+$/);
  await expect(page.getByText('Fil en direct connecté')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('listitem').filter({ hasText: missed })).toBeVisible();

  // Signed out: back to the login form, and the page no longer holds the session.
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await expect(page.getByRole('heading', { level: 1, name: "Connexion à l'intranet" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: "Connexion à l'intranet" })).toBeVisible();
});
