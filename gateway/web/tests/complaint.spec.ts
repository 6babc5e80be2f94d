import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';

const PHOTO = join(import.meta.dirname, 'fixtures', 'nid-de-poule.png');

/**
 * Where a test may click to put a pin: right of the zoom buttons (top left, to about
 * 45 px by 80 px), which a click would press instead of placing the pin.
 */
function freeSpot(): { x: number; y: number } {
  return { x: 60 + Math.floor(Math.random() * 200), y: 40 + Math.floor(Math.random() * 200) };
}

/** Fills the complaint form; the pin goes where the map is clicked. */
async function fill(page: Page, at: { x: number; y: number }, description: string): Promise<void> {
  await page.goto('/signaler');
  await settled(page);
  const category = page.getByLabel('Catégorie');
  await expect(category.locator('option')).not.toHaveCount(1);
  await category.selectOption({ index: 1 });
  await page.locator('.leaflet-container').click({ position: at });
  await expect(page.getByText(/^Repère placé/)).toBeVisible();
  await page.getByLabel('Adresse ou repère').fill("Place de l'Hôtel de Ville");
  await page.getByLabel('Description').fill(description);
}

test('a resident without account files a complaint with a photo and follows it by number', async ({ page }) => {
  // A spot of its own, so that earlier runs' complaints are not offered as duplicates.
  await fill(page, freeSpot(), 'Un trou profond dans la chaussée, dangereux pour les vélos.');
  await page.getByLabel('Photos').setInputFiles(PHOTO);
  await expect(page.getByRole('img', { name: /Aperçu de la photo 1 : nid-de-poule\.png/ })).toBeVisible();
  await page.getByLabel('Adresse e-mail').fill('camille@example.org');

  // The filing itself, as the gateway answered it: the photo went with it.
  const filing = page.waitForResponse(
    (r) => r.url().endsWith('/api/v1/complaints') && r.request().method() === 'POST',
  );
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  const filed = page.getByRole('heading', { name: 'Votre signalement est enregistré' });
  const similar = page.getByRole('heading', { name: /semblables/ });
  await expect(filed.or(similar)).toBeVisible();
  if (await similar.isVisible()) {
    await page.getByRole('button', { name: /Mon problème est différent/ }).click();
  }
  await expect(filed).toBeVisible();
  const answer = await filing;
  expect(answer.status()).toBe(201);
  expect(answer.request().headers()['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  const body = (await answer.json()) as { channel: string; photos: { mime_type: string }[] };
  expect(body.channel).toBe('web');
  expect(body.photos.map((p) => p.mime_type)).toEqual(['image/png']);
  await expect(filed).toBeFocused();
  const number = (await page.locator('.tracking-number').textContent())?.trim() ?? '';
  expect(number).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$/);
  await expectAccessible(page, 'the filed complaint');
  await screenshot(page, 'signaler-enregistre');

  await page.getByRole('link', { name: 'Suivre ce signalement' }).click();
  await expect(page).toHaveURL(`/suivi/${number}`);
  await expect(page.locator('.tracking-number')).toHaveText(number);
  await expect(page.locator('.status')).toHaveText(/Déposée|Reçue/);
  await expect(page.getByText('Canal : site web', { exact: true })).toBeVisible();
  await expect(page.locator('.timeline li').first()).toContainText('site web');
  await expectAccessible(page, 'a demand followed by number');
  await screenshot(page, 'suivi-demande');

  // The same page opened directly, as from the link in a message.
  await page.goto(`/suivi/${number.toLowerCase()}`);
  await expect(page.locator('.tracking-number')).toHaveText(number);
});

test('similar complaints nearby are offered before filing, and "Moi aussi" follows one', async ({ page }) => {
  const spot = freeSpot();
  await fill(page, spot, 'Lampadaire éteint depuis une semaine.');
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  const filed = page.getByRole('heading', { name: 'Votre signalement est enregistré' });
  const similar = page.getByRole('heading', { name: /semblables/ });
  await expect(filed.or(similar)).toBeVisible();
  if (await similar.isVisible()) await page.getByRole('button', { name: /Mon problème est différent/ }).click();
  await expect(filed).toBeVisible();

  // A second resident, same place, same category.
  await fill(page, spot, 'Le lampadaire ne marche plus.');
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  await expect(similar).toBeVisible();
  await expect(similar).toBeFocused();

  // Without a contact, following is refused next to the field.
  await page.getByRole('button', { name: /^Moi aussi/ }).first().click();
  const email = page.locator('#courriel-suivi');
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#courriel-suivi-erreur')).toContainText(/adresse e-mail ou un numéro/);
  await expectAccessible(page, 'the similar complaints with an error');
  await screenshot(page, 'signaler-semblables');

  await email.fill('dominique@example.org');
  await page.getByRole('button', { name: /^Moi aussi/ }).first().click();
  await expect(page.getByRole('heading', { name: /vous suivez ce signalement/ })).toBeVisible();
});

test('installed on a phone, the portal files on the app channel', async ({ page }) => {
  // What an installed web app sees: `display: standalone`.
  await page.addInitScript(() => {
    const real = window.matchMedia.bind(window);
    window.matchMedia = (query: string) =>
      query === '(display-mode: standalone)'
        ? ({ matches: true, media: query, addEventListener() {}, removeEventListener() {} } as unknown as MediaQueryList)
        : real(query);
  });
  await fill(
    page,
    { x: 60 + Math.floor(Math.random() * 200), y: 40 + Math.floor(Math.random() * 200) },
    "Dépôt sauvage au coin de la rue, signalé depuis l'application.",
  );
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  const filed = page.getByRole('heading', { name: 'Votre signalement est enregistré' });
  const similar = page.getByRole('heading', { name: /semblables/ });
  await expect(filed.or(similar)).toBeVisible();
  if (await similar.isVisible()) await page.getByRole('button', { name: /Mon problème est différent/ }).click();
  await expect(filed).toBeVisible();
  await page.getByRole('link', { name: 'Suivre ce signalement' }).click();
  await expect(page.getByText('Canal : application mobile', { exact: true })).toBeVisible();
});
