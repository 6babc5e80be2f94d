import { expect, test } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';

test('a resident signs in with FranceConnect through the local provider', async ({ page, baseURL }) => {
  const portal = new URL(baseURL ?? '');
  // The provider sends the browser back to the address the platform registered with
  // it. When the portal under test is a dev server in front of the gateway, that is the
  // gateway's address: so the provider's redirections after the login are followed here
  // (which opens no page, and so spends no code), and the browser is sent to that page
  // of the portal under test (the sign-in's cookie is the host's, whatever the port).
  // Served by the gateway itself, as the test command does, that is where it goes anyway.
  await page.route(
    (url) => url.origin !== portal.origin && /\/interaction\/[^/]+\/login$/.test(url.pathname),
    async (route) => {
      const response = await route.fetch();
      const back = new URL(response.url());
      if (back.pathname !== '/compte/franceconnect') return route.fulfill({ response });
      return route.fulfill({ status: 303, headers: { location: `${portal.origin}${back.pathname}${back.search}` } });
    },
  );

  await page.goto('/compte');
  await settled(page);
  await page.getByRole('link', { name: /S.identifier avec\s+FranceConnect/ }).click();

  // FranceConnect's stand-in: pick a test identity.
  await expect(page.getByRole('heading', { name: 'Connexion' })).toBeVisible();
  await page.getByRole('button', { name: /Lucien Marius ROUSSEL/ }).click();

  // Back on the portal, signed in, on the resident's space.
  await expect(page).toHaveURL(`${portal.origin}/compte`);
  await expect(page.getByText(/connecté avec FranceConnect|créé avec les informations transmises par FranceConnect/)).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: /Mon espace — bonjour Lucien/ })).toBeVisible();
  for (const [label, value] of [
    ['Prénom(s)', 'Lucien Marius'],
    ['Nom de naissance', 'ROUSSEL'],
    ['Date de naissance', '14 mars 1985'],
    ['Lieu de naissance', '13001'],
  ] as const) {
    const row = page.getByRole('row', { name: new RegExp(`^${label.replace(/[()]/g, '\\$&')}`) });
    await expect(row).toContainText(value);
    await expect(row).toContainText('Certifiée par FranceConnect');
    await expect(row).toContainText('Non modifiable ici');
  }
  // Certified attributes are not offered for editing; declared ones are.
  await expect(page.locator('#attr-given_name')).toHaveCount(0);
  await expect(page.getByText('(certifié par FranceConnect, non modifiable)').first()).toBeVisible();
  await expect(page.getByLabel('Téléphone')).toBeEditable();
  await expect(page.getByText(/Votre compte est relié à FranceConnect/)).toBeVisible();
  await expectAccessible(page, 'the profile certified by FranceConnect');
  await screenshot(page, 'compte-franceconnect');

  // The session is listed as opened with FranceConnect.
  await page.getByRole('navigation', { name: 'Mon espace' }).getByRole('link', { name: 'Sessions' }).click();
  await expect(page.getByRole('row', { name: /Cette session — site web, avec FranceConnect/ })).toBeVisible();

  // Signing out ends FranceConnect's session too: the browser goes to its logout.
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await expect(page).toHaveURL(/\/api\/v2\/session\/end/);
});

test('a FranceConnect return this browser did not start is refused, with the way back', async ({ page }) => {
  // Someone else's provider address: this browser holds no sign-in cookie for it.
  await page.goto('/compte/franceconnect?code=code-d-un-autre&state=etat-d-un-autre');
  await expect(page.getByRole('heading', { level: 1, name: 'Connexion avec FranceConnect' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText("n'a pas été commencée depuis ce navigateur");
  await expect(page.getByRole('link', { name: /S.identifier avec\s+FranceConnect/ })).toBeVisible();
  await expectAccessible(page, 'a refused FranceConnect return');

  // Where FranceConnect's own logout may send the browser back.
  await page.goto('/compte/deconnecte');
  await expect(page.getByRole('heading', { level: 1, name: 'Vous êtes déconnecté' })).toBeVisible();
  await expectAccessible(page, 'the signed-out page');
});
