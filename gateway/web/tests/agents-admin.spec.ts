import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';
import { ADMIN_PASSWORD, call, createAgent, expectJson, signIn } from './agents-helpers';

/** A suffix no other run has used: tests make their own records. */
function unique(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

/** The administrator signs in and opens one of the administration's sections. */
async function openAdmin(page: Page, path = ''): Promise<void> {
  await signIn(page, { login: 'admin', password: ADMIN_PASSWORD });
  await page.goto(`/agents/admin${path}`);
  await settled(page);
}

/** `YYYY-MM-DDTHH:MM` in `days` days, as a `datetime-local` field takes it (the browser runs in Paris). */
function inDays(days: number): string {
  const at = new Date(Date.now() + days * 86_400_000);
  const parts = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Paris',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
  return parts.replace(' ', 'T');
}

test('an administrator creates an agent, finds the creation in the journal, and deactivates the account', async ({ page }) => {
  // One story of many screens, each checked by axe-core: more than the default minute on a busy machine.
  test.slow();
  const suffix = unique();
  const name = `Lucie Admin ${suffix}`;
  const login = `lucie-${suffix}`;
  const password = `${login}-mot-de-passe`;

  await signIn(page, { login: 'admin', password: ADMIN_PASSWORD });
  await page.getByRole('link', { name: 'Administration' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Administration' })).toBeFocused();
  await expectAccessible(page, 'the administration index');
  await screenshot(page, 'agents-admin');

  await page.getByRole('link', { name: 'Agents', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Agents' })).toBeVisible();
  const list = page.getByRole('table', { name: /Comptes des agents/ });
  await expect(list).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Agents' })).toHaveAttribute(
    'aria-current',
    'page',
  );
  await expectAccessible(page, 'the agents');

  // Sent with the login and the password missing: each fault at its field, the summary focused.
  await page.getByLabel('Nom', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  await expect(page.locator('#agent-identifiant-erreur')).toContainText("Indiquez l'identifiant");
  await expect(page.locator('#agent-mot-de-passe-erreur')).toContainText('mot de passe initial');
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.getByLabel('Identifiant')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'the new agent form with errors');

  // The service's own refusal (a password too short) comes back at the field too.
  await page.getByLabel('Identifiant').fill(login);
  await page.getByLabel('Mot de passe initial').fill('court');
  await page.getByRole('checkbox', { name: /\(VOIRIE\)$/ }).check();
  await page.getByRole('checkbox', { name: /^Superviseur/ }).check();
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  await expect(page.locator('#agent-mot-de-passe-erreur')).toContainText('au moins 10 caractères');
  await expect(page.locator('#agent-identifiant-erreur')).toHaveCount(0);

  await page.getByLabel('Mot de passe initial').fill(password);
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Le compte de ${name} est créé` })).toBeVisible();
  // Found among the accounts by what is typed in the search.
  await page.getByLabel('Rechercher un agent').fill(`lucie ${suffix}`);
  await expect(page.getByRole('table', { name: /Comptes des agents \(1 sur \d+\)/ })).toBeVisible();
  const row = list.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText(login);
  await expect(row).toContainText('VOIRIE');
  await expect(row).toContainText('agent, superviseur');
  await expect(row).toContainText('Actif');
  await screenshot(page, 'agents-admin-agents');

  // The account's page, then its history: the creation is there.
  await row.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Agent : ${name}` })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: /\(VOIRIE\)$/ })).toBeChecked();
  await expectAccessible(page, 'an agent');
  const agentUrl = page.url();
  const id = decodeURIComponent(agentUrl.split('/').pop() ?? '');
  await page.getByRole('link', { name: 'Les modifications de ce compte au journal' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Journal des actions' })).toBeVisible();
  await expect(page.getByLabel('Objet')).toHaveValue(`agent:${id}`);
  const journal = page.getByRole('table', { name: `Actions sur « Compte de ${name} »` });
  await expect(journal.getByRole('row').filter({ hasText: 'agent créé' })).toContainText('Administrateur');
  await expectAccessible(page, 'the journal filtered on one account');

  // Deactivated, after a second press: it says so, and the agent can no longer sign in.
  await page.goto(agentUrl);
  await page.getByRole('button', { name: `Désactiver le compte de ${name}` }).click();
  await expect(page.getByText(`Désactiver le compte de ${name} ? Il ne pourra plus se connecter.`)).toBeVisible();
  await expect(page.getByRole('button', { name: /^Confirmer la désactivation/ })).toBeFocused();
  await expectAccessible(page, 'the deactivation asked');
  await page.getByRole('button', { name: /^Confirmer la désactivation/ }).click();
  await expect(page.getByRole('status').filter({ hasText: `Le compte de ${name} est désactivé` })).toBeVisible();
  await expect(page.locator('dl.facts')).toContainText('Désactivé');
  await expect(page.getByRole('button', { name: 'Réactiver le compte' })).toBeVisible();

  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await expect(page.getByRole('heading', { level: 1, name: "Connexion à l'intranet" })).toBeVisible();
  await page.getByLabel('Identifiant').fill(login);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByText('Identifiant ou mot de passe incorrect.')).toBeVisible();
});

test('an administrator registers a counter workstation, sees its setup address once, and revokes it', async ({ page }) => {
  const label = `Guichet test ${unique()}`;
  await openAdmin(page, '/appareils');
  await expect(page.getByRole('heading', { level: 1, name: 'Appareils' })).toBeVisible();
  await expectAccessible(page, 'the devices');

  // Without a type: the fault at its field.
  await page.getByLabel('Nom', { exact: true }).fill(label);
  await page.getByRole('button', { name: "Enregistrer l'appareil" }).click();
  await expect(page.locator('#appareil-type-erreur')).toContainText("Choisissez le type d'appareil");
  await expect(page.locator('.error-summary')).toBeFocused();

  await page.getByLabel("Type d'appareil").selectOption({ label: "Poste d'accueil (guichet)" });
  await page.getByLabel('Emplacement').fill('Mairie annexe des Milles');
  await page.getByRole('button', { name: "Enregistrer l'appareil" }).click();
  await expect(page.getByRole('status').filter({ hasText: `L'appareil « ${label} » est enregistré` })).toBeVisible();
  const address = page.locator('code.secret');
  await expect(address).toHaveText(/\/agents\/\?appareil=[0-9a-f-]+&secret=\S+$/);
  const setup = new URL((await address.textContent()) ?? '');
  const device = { device_id: setup.searchParams.get('appareil') ?? '', secret: setup.searchParams.get('secret') ?? '' };
  await expectAccessible(page, 'a device just registered, its setup address shown');
  await screenshot(page, 'agents-admin-appareils');

  // The workstation signs in with it; once the page is left, the secret is nowhere to be seen.
  await expectJson(await call('/api/v1/devices/login', { method: 'POST', body: JSON.stringify(device) }));
  await page.reload();
  await settled(page);
  const row = page.getByRole('row').filter({ hasText: label });
  await expect(row).toContainText('En service');
  await expect(page.getByText(device.secret)).toHaveCount(0);
  await expect(page.locator('code.secret')).toHaveCount(0);

  // Revoked after a second press; the device can no longer sign in.
  await row.getByRole('button', { name: `Révoquer l'appareil ${label}` }).click();
  await row.getByRole('button', { name: /^Confirmer la révocation/ }).click();
  await expect(page.getByRole('status').filter({ hasText: `L'appareil « ${label} » est révoqué` })).toBeVisible();
  await expect(row).toContainText('Révoqué le');
  const refused = await call('/api/v1/devices/login', { method: 'POST', body: JSON.stringify(device) });
  expect(refused.status).toBe(401);

  // Its own page says so too.
  await row.getByRole('link', { name: label }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Appareil : ${label}` })).toBeVisible();
  await expect(page.locator('dl.facts')).toContainText('Révoqué le');
  await expect(page.getByRole('button', { name: /Révoquer/ })).toHaveCount(0);
  await expectAccessible(page, 'a revoked device');
});

test('an administrator publishes an announcement and withdraws it', async ({ page }) => {
  const title = `Fermeture exceptionnelle ${unique()}`;
  await openAdmin(page, '/annonces');
  await expect(page.getByRole('heading', { level: 1, name: 'Annonces' })).toBeVisible();
  await expectAccessible(page, 'the announcements');

  // Without channel nor end: each fault at its field.
  await page.getByLabel('Titre').fill(title);
  await page.getByLabel('Texte').fill("La mairie annexe des Milles sera fermée lundi matin pour travaux.");
  await page.getByRole('button', { name: "Publier l'annonce" }).click();
  await expect(page.locator('#annonce-canaux-erreur')).toContainText('au moins un canal');
  await expect(page.locator('#annonce-fin-erreur')).toContainText("jusqu'à quand");
  await expectAccessible(page, 'the announcement form with errors');

  await page.getByRole('checkbox', { name: 'Site web' }).check();
  await page.getByRole('checkbox', { name: 'Borne' }).check();
  await page.getByLabel('Fin').fill(inDays(7));
  await page.getByRole('button', { name: "Publier l'annonce" }).click();
  await expect(page.getByRole('status').filter({ hasText: `L'annonce « ${title} » est publiée.` })).toBeVisible();
  const row = page.getByRole('row').filter({ hasText: title });
  await expect(row).toContainText('site web, borne');
  await expect(row).toContainText('En ligne');
  const shown = await expectJson<{ title: string }[]>(await call('/api/v1/announcements?channel=web'));
  expect(shown.map((a) => a.title)).toContain(title);

  await row.getByRole('button', { name: `Retirer l'annonce ${title}` }).click();
  await row.getByRole('button', { name: /^Confirmer le retrait/ }).click();
  await expect(page.getByRole('status').filter({ hasText: `L'annonce « ${title} » est retirée` })).toBeVisible();
  await expect(row).toContainText('Terminée');
  const after = await expectJson<{ title: string }[]>(await call('/api/v1/announcements?channel=web'));
  expect(after.map((a) => a.title)).not.toContain(title);
});

test('an administrator creates a contact point, edits its hours and closures, and removes it', async ({ page }) => {
  const code = `lieu-test-${unique()}`;
  const name = `Accueil de quartier ${code}`;
  await openAdmin(page, '/lieux');
  await expect(page.getByRole('heading', { level: 1, name: "Lieux d'accueil" })).toBeVisible();
  await expectAccessible(page, 'the contact points');

  await page.getByRole('link', { name: "Ajouter un lieu d'accueil" }).click();
  await expect(page.getByRole('heading', { level: 1, name: "Nouveau lieu d'accueil" })).toBeVisible();
  await page.getByLabel('Code').fill(code);
  await page.getByLabel('Nom', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Créer le lieu' }).click();
  await expect(page.locator('#lieu-type-erreur')).toContainText('Choisissez le type de lieu');
  await expect(page.locator('#lieu-adresse-erreur')).toContainText("Indiquez l'adresse");
  await expectAccessible(page, 'the new contact point with errors');

  await page.getByLabel('Type de lieu').selectOption({ label: 'Mairie annexe' });
  await page.getByLabel('Adresse').fill('2 place du Marché, 13290 Aix-en-Provence');
  await page.getByLabel('Téléphone').fill('04 42 00 00 00');
  await page.getByLabel('Latitude').fill('43,4957');
  await page.getByLabel('Longitude').fill('5,3838');
  await page.getByLabel('Services rendus').fill("État civil\nInscription sur les listes électorales");
  await page.getByRole('button', { name: 'Ajouter un créneau' }).click();
  await page.getByRole('button', { name: 'Ajouter un créneau' }).click();
  await expect(page.getByLabel('Jour').nth(1)).toHaveValue('2');
  await page.getByRole('button', { name: 'Créer le lieu' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Lieu : ${name}` })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: `Le lieu « ${name} » est créé.` })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe(`/agents/admin/lieux/${code}`);

  // A closure ending before it starts: the service's refusal shows at that closure.
  await page.getByLabel('Nom', { exact: true }).fill(`${name} (rénové)`);
  await page.getByRole('button', { name: 'Ajouter une fermeture' }).click();
  await page.getByLabel('Du', { exact: true }).fill('2027-05-10');
  await page.getByLabel('Au (inclus)').fill('2027-05-08');
  await page.getByLabel('Motif').fill('Travaux');
  await page.getByRole('button', { name: 'Enregistrer le lieu' }).click();
  await expect(page.locator('#fermeture-0-erreur')).toContainText('AAAA-MM-JJ');
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('.error-summary')).toContainText('Fermeture 1');
  await expectAccessible(page, 'a contact point with a wrong closure');

  await page.getByLabel('Au (inclus)').fill('2027-05-11');
  await page.getByLabel('Ouverture').first().fill('09:00');
  await page.getByRole('button', { name: 'Enregistrer le lieu' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Le lieu « ${name} (rénové) » est enregistré.` })).toBeVisible();
  await expectAccessible(page, 'a contact point saved');

  const saved = await expectJson<{
    name: string;
    kind: string;
    latitude: number;
    opening_hours: { weekday: number; opens: string; closes: string }[];
    closures: { from: string; until: string; reason: string }[];
    services: string[];
  }>(await call(`/api/v1/contact-points/${code}`));
  expect(saved).toMatchObject({
    name: `${name} (rénové)`,
    kind: 'mairie_annexe',
    latitude: 43.4957,
    opening_hours: [
      { weekday: 1, opens: '09:00', closes: '17:00' },
      { weekday: 2, opens: '08:30', closes: '17:00' },
    ],
    closures: [{ from: '2027-05-10', until: '2027-05-11', reason: 'Travaux' }],
    services: ['État civil', 'Inscription sur les listes électorales'],
  });

  // Removed after a second press: gone from the list and from the residents' screens.
  await page.getByRole('button', { name: /^Supprimer le lieu/ }).click();
  await page.getByRole('button', { name: /^Confirmer la suppression/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: "Lieux d'accueil" })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: `Le lieu « ${name} (rénové) » est supprimé.` })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: code })).toHaveCount(0);
  expect((await call(`/api/v1/contact-points/${code}`)).status).toBe(404);
});

test('an administrator issues an Open311 key, shown once, and revokes it', async ({ page }) => {
  const label = `Application test ${unique()}`;
  await openAdmin(page, '/open311');
  await expect(page.getByRole('heading', { level: 1, name: 'Clés Open311' })).toBeVisible();
  await expectAccessible(page, 'the Open311 keys');

  await page.getByRole('button', { name: 'Émettre la clé' }).click();
  await expect(page.locator('#cle-application-erreur')).toContainText("Nommez l'application");

  await page.getByLabel('Application').fill(label);
  await page.getByRole('button', { name: 'Émettre la clé' }).click();
  await expect(page.getByRole('status').filter({ hasText: `La clé de « ${label} » est émise.` })).toBeVisible();
  await expect(page.locator('code.secret')).toHaveText(/^\S{32,}$/);
  await expectAccessible(page, 'a key just issued');
  const row = page.getByRole('row').filter({ hasText: label });
  await expect(row).toContainText('Valide');

  await row.getByRole('button', { name: `Révoquer la clé de ${label}` }).click();
  await row.getByRole('button', { name: /^Confirmer la révocation/ }).click();
  await expect(page.getByRole('status').filter({ hasText: `La clé de « ${label} » est révoquée` })).toBeVisible();
  await expect(row).toContainText('Révoquée le');
  await expect(page.locator('code.secret')).toHaveCount(0);
});

test('an administrator sees the departments and their themes, one department, and the faults of a new one', async ({ page }) => {
  await openAdmin(page, '/services');
  await expect(page.getByRole('heading', { level: 1, name: 'Services' })).toBeVisible();
  await expect(page.getByRole('table', { name: /Services de la ville/ })).toBeVisible();
  await expectAccessible(page, 'the departments');
  await page.getByRole('table').getByRole('rowheader').first().getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1, name: /^Service : / })).toBeVisible();
  await expect(page.getByRole('group', { name: 'Signalements traités' })).toBeVisible();
  await expectAccessible(page, 'a department');

  await page.goto('/agents/admin/services/nouveau');
  await page.getByRole('button', { name: 'Créer le service' }).click();
  await expect(page.locator('#service-code-erreur')).toContainText('majuscules');
  await expect(page.locator('#service-nom-erreur')).toContainText('Indiquez le nom du service');
  await expectAccessible(page, 'a new department with errors');
});

test('an administrator sees the themes and the complaint categories, each editable', async ({ page }) => {
  await openAdmin(page, '/themes');
  await expect(page.getByRole('table', { name: /Thèmes, dans l'ordre des onglets/ })).toBeVisible();
  await expectAccessible(page, 'the themes');
  await page.getByRole('table').getByRole('rowheader').first().getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1, name: /^Thème : / })).toBeVisible();
  await expect(page.getByLabel('Libellé')).not.toHaveValue('');
  await expectAccessible(page, 'a theme');

  await page.goto('/agents/admin/categories');
  await expect(page.getByRole('table', { name: /Catégories de signalement/ })).toBeVisible();
  await expectAccessible(page, 'the complaint categories');
  await page.getByRole('table').getByRole('rowheader').first().getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1, name: /^Catégorie : / })).toBeVisible();
  await expect(page.getByLabel('Service', { exact: true })).not.toHaveValue('');
  await expectAccessible(page, 'a complaint category');
  await page.getByLabel('Délai').fill('dix');
  await page.getByRole('button', { name: 'Enregistrer la catégorie' }).click();
  await expect(page.locator('#categorie-delai-erreur')).toContainText('nombre entier');
  await expectAccessible(page, 'a complaint category with an error');
});

test('the journal lists the actions, and the administration is kept from agents who are not administrators', async ({ page }) => {
  await openAdmin(page, '/journal');
  await expect(page.getByRole('table', { name: /^Actions, la plus récente en premier/ })).toBeVisible();
  await expectAccessible(page, 'the journal');

  // An agent without the administrator's role: no menu entry, and the pages say they are not theirs.
  const agent = await createAgent('Agent Voirie', ['VOIRIE']);
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await signIn(page, agent);
  await expect(page.getByRole('link', { name: 'Administration' })).toHaveCount(0);
  await page.goto('/agents/admin/agents');
  await expect(page.getByRole('heading', { level: 1, name: 'Accès réservé aux administrateurs' })).toBeVisible();
  await expectAccessible(page, 'the administration refused');
});

test('a supervisor publishes an announcement from the supervision page, and nothing else of the administration', async ({ page }) => {
  const supervisor = await createAgent('Responsable Voirie', ['VOIRIE'], ['agent', 'supervisor']);
  const title = `Travaux cours Mirabeau ${unique()}`;
  await signIn(page, supervisor);
  await page.getByRole('link', { name: 'Supervision' }).click();
  await page.getByRole('link', { name: 'Publier une annonce aux usagers' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Annonces' })).toBeVisible();
  // Not an administrator: no administration menu.
  await expect(page.getByRole('navigation', { name: 'Administration' })).toHaveCount(0);
  await expectAccessible(page, 'the announcements for a supervisor');
  await page.getByLabel('Titre').fill(title);
  await page.getByLabel('Texte').fill('Chaussée fermée à la circulation mardi de 8 h à 12 h.');
  await page.getByRole('checkbox', { name: 'Site web' }).check();
  await page.getByLabel('Fin').fill(inDays(3));
  await page.getByRole('button', { name: "Publier l'annonce" }).click();
  await expect(page.getByRole('status').filter({ hasText: `L'annonce « ${title} » est publiée.` })).toBeVisible();
  const shown = await expectJson<{ title: string }[]>(await call('/api/v1/announcements?channel=web'));
  expect(shown.map((a) => a.title)).toContain(title);
  const row = page.getByRole('row').filter({ hasText: title });
  await row.getByRole('button', { name: `Retirer l'annonce ${title}` }).click();
  await row.getByRole('button', { name: /^Confirmer le retrait/ }).click();
  await expect(row).toContainText('Terminée');

  await page.goto('/agents/admin/agents');
  await expect(page.getByRole('heading', { level: 1, name: 'Accès réservé aux administrateurs' })).toBeVisible();
});
