import { expect, test } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';

test('the home page', async ({ page }) => {
  await page.goto('/');
  await settled(page);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expectAccessible(page, '/');
  await screenshot(page, 'accueil');
});

test('the search filters the teleservices as one types', async ({ page }) => {
  await page.goto('/');
  await settled(page);
  const entries = page.locator('main a[href^="/demarches/"]');
  const all = await entries.count();
  expect(all, 'the seeded catalogue is shown').toBeGreaterThan(0);
  const title = (await entries.first().textContent())?.trim() ?? '';
  // Case and accents do not matter.
  const word = title.split(/\s+/).sort((a, b) => b.length - a.length)[0] ?? '';
  await page.getByLabel('Rechercher une démarche').fill(word.normalize('NFD').replace(/\p{Diacritic}/gu, '').toUpperCase());
  await expect(entries.filter({ hasText: title })).toHaveCount(1);
  expect(await entries.count()).toBeLessThanOrEqual(all);
  await expect(page.getByRole('status').filter({ hasText: /trouvée/ })).toHaveCount(1);
  await page.getByLabel('Rechercher une démarche').fill('zzzz-introuvable');
  await expect(entries).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: 'Aucune démarche' })).toHaveCount(1);
});

test('the teleservices and one of them', async ({ page }) => {
  await page.goto('/demarches');
  await settled(page);
  await expectAccessible(page, '/demarches');
  await screenshot(page, 'demarches');
  const first = page.locator('main a[href^="/demarches/"]').first();
  await expect(first).toBeVisible();
  const title = (await first.textContent())?.trim() ?? '';
  await first.click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeFocused();
  await expectAccessible(page, '/demarches/{slug}');
});

test('following a demand: the form, and an unknown number', async ({ page }) => {
  await page.goto('/suivi');
  await settled(page);
  await expectAccessible(page, '/suivi');
  await screenshot(page, 'suivi');

  await page.goto('/suivi/ZZZZ-ZZZZ-ZZZZ-ZZ');
  const field = page.getByLabel('Numéro de suivi');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(field).toBeFocused();
  await expect(page.locator('#numero-suivi-erreur')).toContainText(/numéro/);
  await expectAccessible(page, '/suivi/{unknown}');
  await screenshot(page, 'suivi-inconnu');

  // Submitting nothing says what is missing, next to the field.
  await page.goto('/suivi');
  await page.getByRole('button', { name: 'Suivre' }).click();
  await expect(page.locator('#numero-suivi-erreur')).toContainText('Saisissez le numéro');
});

test('the complaint form: empty, with errors, filled', async ({ page }) => {
  await page.goto('/signaler');
  await settled(page);
  await expect(page.locator('.leaflet-container')).toBeVisible();
  await expectAccessible(page, '/signaler (empty)');
  await screenshot(page, 'signaler');

  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  const summary = page.locator('.error-summary');
  await expect(summary).toBeFocused();
  await expect(summary.getByRole('link')).toHaveCount(3);
  for (const id of ['categorie', 'adresse', 'description']) {
    await expect(page.locator(`#${id}`)).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator(`#${id}`)).toHaveAttribute('aria-describedby', new RegExp(`${id}-erreur`));
  }
  await expectAccessible(page, '/signaler (with errors)');
  await screenshot(page, 'signaler-erreurs');

  await page.getByLabel('Catégorie').selectOption({ index: 1 });
  // The keyboard way to put the pin: move the map, then place it at the centre.
  await page.locator('.leaflet-container').focus();
  await page.keyboard.press('ArrowUp');
  await page.getByRole('button', { name: 'Placer le repère au centre' }).click();
  await expect(page.getByText(/^Repère placé/)).toBeVisible();
  await page.getByLabel('Adresse ou repère').fill('12 cours Mirabeau');
  await page.getByLabel('Description').fill('Un trou profond devant le numéro 12.');
  await expect(page.locator('#description')).not.toHaveAttribute('aria-invalid');
  await expectAccessible(page, '/signaler (filled)');
  await screenshot(page, 'signaler-rempli');
});

test('the accessibility statement', async ({ page }) => {
  await page.goto('/accessibilite');
  await settled(page);
  await expect(page.getByText('partiellement conforme').first()).toBeVisible();
  await expectAccessible(page, '/accessibilite');
  await screenshot(page, 'accessibilite');
});

test('the kiosk', async ({ page }) => {
  await page.goto('/borne/');
  await settled(page);
  await expect(page.getByRole('heading', { level: 1, name: /Bienvenue/ })).toBeVisible();
  await expectAccessible(page, '/borne/');
  await screenshot(page, 'borne');
});

test('the skip link leads to the content, and the menu marks the current page', async ({ page }) => {
  await page.goto('/signaler');
  await settled(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Aller au contenu' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();
  await expect(page.getByRole('link', { name: 'Signaler', exact: true })).toHaveAttribute('aria-current', 'page');
  // A move within the portal puts focus on the new page's heading.
  await page.getByRole('link', { name: 'Suivre une demande', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Suivre une demande' })).toBeFocused();
});
