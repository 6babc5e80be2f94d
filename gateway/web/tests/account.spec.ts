import { readFileSync } from 'node:fs';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { expectAccessible, linkInMail, screenshot, settled } from './helpers';

const PASSWORD = 'une phrase de passe solide';

/** A unique address per run: accounts stay on the platform. */
function freshEmail(who: string): string {
  return `${who}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}@example.org`;
}

async function apiLogin(request: APIRequestContext, email: string): Promise<{ access_token: string; refresh_token: string }> {
  const answer = await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } });
  expect(answer.status(), 'login through the API').toBe(200);
  return (await answer.json()) as { access_token: string; refresh_token: string };
}

async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

test('a resident signs up, confirms the address, and manages the account down to its erasure', async ({ page, request }) => {
  // The whole life of an account, one step after the other.
  test.setTimeout(150_000);
  const email = freshEmail('camille');

  // Signed out, "Mon espace" is the login form.
  await page.goto('/compte');
  await settled(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Se connecter' })).toBeVisible();
  await expect(page.getByRole('link', { name: /S.identifier avec\s+FranceConnect/ })).toBeVisible();
  await expectAccessible(page, 'the login form');
  await screenshot(page, 'compte-connexion');

  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('#courriel')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#courriel-erreur')).toContainText('Saisissez votre adresse e-mail.');
  await expectAccessible(page, 'the login form with errors');

  // Sign-up.
  await page.getByRole('link', { name: 'Créer un compte' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Créer un compte' })).toBeFocused();
  await expectAccessible(page, 'the sign-up form');
  await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill('court');
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('#mot-de-passe-erreur')).toContainText('au moins 10 caractères');
  await expectAccessible(page, 'the sign-up form with errors');
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Civilité').selectOption('Mme');
  await page.getByLabel('Prénom(s)').fill('Camille');
  await page.getByLabel('Nom de naissance').fill('Martin');
  await screenshot(page, 'compte-inscription');
  await page.getByRole('button', { name: 'Créer mon compte' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Vérifiez votre messagerie' })).toBeFocused();
  await expect(page.getByText(email)).toBeVisible();
  await expectAccessible(page, 'the sign-up done');

  // The link in the mail confirms the address, with a button (a scanner opening it spends nothing).
  const verify = await linkInMail(email, '/compte/verifier-email');
  await page.goto(verify);
  await expect(page.getByRole('heading', { level: 1, name: 'Confirmer votre adresse e-mail' })).toBeVisible();
  await expectAccessible(page, 'the address verification');
  await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Adresse e-mail confirmée' })).toBeFocused();
  // A spent link says so.
  await page.goto(verify);
  await page.getByRole('button', { name: 'Confirmer mon adresse' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Lien invalide ou expiré' })).toBeVisible();

  // Login; the profile shows each attribute and how it is known.
  await page.goto('/compte');
  await signIn(page, email);
  const title = page.getByRole('heading', { level: 1, name: /Mon espace/ });
  await expect(title).toBeFocused();
  await expect(title).toContainText('bonjour Camille');
  await expect(page.getByText('Adresse confirmée')).toBeVisible();
  const given = page.getByRole('row', { name: /Prénom\(s\)/ });
  await expect(given).toContainText('Camille');
  await expect(given).toContainText('Déclarée par vous');
  await expect(page.getByRole('row', { name: /Civilité/ })).toContainText('Madame');
  await expectAccessible(page, 'the profile');
  await screenshot(page, 'compte-profil');

  // A declared attribute changed; a wrong one refused next to its field.
  await page.getByLabel('Téléphone').fill('12');
  await page.getByRole('button', { name: 'Enregistrer mes informations' }).click();
  await expect(page.locator('.error-summary').first()).toBeFocused();
  await expect(page.locator('#attr-phone-erreur')).toContainText('numéro de téléphone');
  await expectAccessible(page, 'the profile with errors');
  await page.getByLabel('Téléphone').fill('06 12 34 56 78');
  await page.getByRole('button', { name: 'Enregistrer mes informations' }).click();
  await expect(page.getByText('Vos informations sont enregistrées.')).toBeVisible();
  await expect(page.getByRole('row', { name: /Téléphone/ })).toContainText('Déclarée par vous');

  // Signing out, and in again.
  const nav = page.getByRole('navigation', { name: 'Mon espace' });
  await nav.getByRole('button', { name: 'Se déconnecter' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Se connecter' })).toBeVisible();
  await expect(page.getByText('Vous êtes déconnecté.')).toBeVisible();
  await signIn(page, email);
  await expect(title).toBeFocused();
  await expect(page.getByText('Vous êtes déconnecté.')).toHaveCount(0);

  // Notification preferences: SMS for the service's messages, kept.
  await nav.getByRole('link', { name: 'Notifications' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mes notifications' })).toBeFocused();
  const messages = page.getByRole('group', { name: 'Le service vous écrit' });
  await expect(messages.getByLabel('Courriel')).toBeChecked();
  await messages.getByLabel('SMS').check();
  await messages.getByLabel('Courriel').uncheck();
  await page.getByRole('button', { name: 'Enregistrer mes préférences' }).click();
  await expect(page.getByText('Vos préférences sont enregistrées.')).toBeVisible();
  await expectAccessible(page, 'the notification preferences');
  await screenshot(page, 'compte-notifications');
  await page.reload();
  await expect(page.getByRole('group', { name: 'Le service vous écrit' }).getByLabel('SMS')).toBeChecked();
  await expect(page.getByRole('group', { name: 'Le service vous écrit' }).getByLabel('Courriel')).not.toBeChecked();

  // Another session (another device), seen here and ended from here.
  const other = await apiLogin(request, email);
  await page.getByRole('navigation', { name: 'Mon espace' }).getByRole('link', { name: 'Sessions' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mes sessions' })).toBeFocused();
  await expect(page.getByRole('row', { name: /Cette session/ })).toBeVisible();
  const others = page.getByRole('row', { name: /Autre session/ });
  await expect(others).not.toHaveCount(0);
  await expectAccessible(page, 'the sessions');
  await screenshot(page, 'compte-sessions');
  const before = await others.count();
  await others.first().getByRole('button', { name: /Fermer/ }).click();
  await expect(page.getByText(/est fermée/)).toBeVisible();
  await expect(others).toHaveCount(before - 1);
  // The newest other session is listed first: the one opened through the API.
  const refreshed = await request.post('/api/v1/auth/refresh', { data: { refresh_token: other.refresh_token } });
  expect(refreshed.status(), 'the ended session can no longer be renewed').toBe(401);

  // A complaint filed without an account, claimed with its number and the e-mail given.
  const filed = await request.post('/api/v1/complaints', {
    data: {
      category: 'NID_DE_POULE',
      description: 'Trou profond devant le numéro 8, signalé avant de créer mon compte.',
      location: { latitude: 43.5263, longitude: 5.4474, address: 'Cours Mirabeau' },
      contact: { email },
    },
  });
  expect(filed.status()).toBe(201);
  const { tracking_number: number } = (await filed.json()) as { tracking_number: string };
  await page.getByRole('navigation', { name: 'Mon espace' }).getByRole('link', { name: 'Rattacher une demande' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Rattacher une demande' })).toBeFocused();
  await expectAccessible(page, 'the claim form');
  await page.getByLabel('Numéro de suivi').fill(number);
  const contact = page.getByRole('textbox', { name: /^Adresse e-mail/ });
  await contact.fill('quelquun-dautre@example.org');
  await page.getByRole('button', { name: 'Rattacher la demande' }).click();
  await expect(page.locator('#numero-rattacher-erreur')).toContainText('Aucune demande');
  await expectAccessible(page, 'the claim form with errors');
  await contact.fill(email);
  await page.getByRole('button', { name: 'Rattacher la demande' }).click();
  await expect(page.getByRole('heading', { name: 'Demande rattachée' })).toBeVisible();
  await page.getByRole('link', { name: 'Voir cette demande' }).click();
  await expect(page.locator('.tracking-number')).toHaveText(number);
  await expect(page.getByText('Trou profond devant le numéro 8')).toBeVisible();
  await page.getByRole('link', { name: 'Toutes mes demandes' }).click();
  await expect(page.getByRole('link', { name: /Nid-de-poule/ })).toBeVisible();

  // Everything the city keeps, as a file.
  await page.getByRole('navigation', { name: 'Mon espace' }).getByRole('link', { name: 'Mes données' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mes données' })).toBeFocused();
  await expectAccessible(page, 'the data page');
  await screenshot(page, 'compte-donnees');
  const saving = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Télécharger mes données' }).click();
  const download = await saving;
  expect(download.suggestedFilename()).toBe('mes-donnees-guichet.json');
  const exported = readFileSync(await download.path(), 'utf8');
  expect(exported).toContain(email);
  expect(exported).toContain(number);

  // Erasure: confirmed, said what goes and what stays, then the account is gone.
  await expect(page.getByText('Ce que la loi oblige la ville à garder')).toBeVisible();
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Supprimer définitivement mon compte' }).click();
  await expect(page.locator('#confirmer-effacement-erreur')).toBeVisible();
  await expectAccessible(page, 'the erasure with errors');
  await page.getByLabel(/J'ai compris/).check();
  await page.getByRole('button', { name: 'Supprimer définitivement mon compte' }).click();
  await expect(page).toHaveURL(/\/compte$/);
  await expect(page.getByText(/Votre compte est supprimé/)).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Se connecter' })).toBeVisible();
  const gone = await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } });
  expect(gone.status()).toBe(401);
});

test('a forgotten password is replaced from the link sent by mail', async ({ page, request }) => {
  const email = freshEmail('dominique');
  const created = await request.post('/api/v1/auth/signup', { data: { email, password: PASSWORD } });
  expect(created.status()).toBe(201);

  await page.goto('/compte');
  await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mot de passe oublié' })).toBeFocused();
  await expectAccessible(page, 'the forgotten password form');
  await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Recevoir un lien' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Vérifiez votre messagerie' })).toBeFocused();

  const reset = await linkInMail(email, '/compte/nouveau-mot-de-passe');
  await page.goto(reset);
  await expect(page.getByRole('heading', { level: 1, name: 'Choisir un nouveau mot de passe' })).toBeVisible();
  await expectAccessible(page, 'the new password form');
  const fresh = 'un tout nouveau mot de passe';
  await page.getByLabel('Nouveau mot de passe').fill(fresh);
  await page.getByLabel('Confirmation du mot de passe').fill('autre chose encore');
  await page.getByRole('button', { name: 'Changer mon mot de passe' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('#confirmation-erreur')).toContainText('pas identiques');
  await expectAccessible(page, 'the new password form with errors');
  await page.getByLabel('Confirmation du mot de passe').fill(fresh);
  await page.getByRole('button', { name: 'Changer mon mot de passe' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mot de passe changé' })).toBeFocused();

  await page.getByRole('link', { name: 'Se connecter' }).click();
  await signIn(page, email, fresh);
  await expect(page.getByRole('heading', { level: 1, name: /Mon espace/ })).toBeFocused();
});
