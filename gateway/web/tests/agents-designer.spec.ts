import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { expectAccessible, screenshot, settled, verificationToken } from './helpers';
import { call, createAgent, expectJson, signIn, type TestAgent } from './agents-helpers';

/**
 * The form designer of the agents' intranet (`/agents/conception`): a designer builds a
 * teleservice without code — a choice, and a text shown only for one of its options,
 * seen appearing and disappearing in the live preview —, meets the service's faults at
 * their place, saves, and pilots it to a cohort of one resident, found by e-mail. In the
 * portal the resident of the cohort finds it and files it; the other resident does not
 * see it, and the API tells them it is not there for them.
 */

/** Teleservices and accounts stay on the platform: each run has its own. */
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
const TITLE = `Essai pilote ${RUN}`;
const SLUG = `essai-pilote-${RUN}`;
const PASSWORD = 'une phrase de passe solide';

interface Resident {
  email: string;
  id: string;
  tokens: { access_token: string; refresh_token: string; expires_in: number };
}


/** A resident signed up, with the address confirmed from the mail, and signed in (through the API). */
async function resident(who: string, givenName: string): Promise<Resident> {
  const email = `${who}-${RUN}@example.org`;
  const signUp = () =>
    call('/api/v1/auth/signup', {
      method: 'POST',
      body: JSON.stringify({ email, password: PASSWORD, attributes: { given_name: givenName, family_name: 'Essai' } }),
    });
  let created = await signUp();
  // Sign-ups are limited per address; on a platform shared with other runs, wait as told.
  for (let tries = 0; created.status === 429 && tries < 3; tries++) {
    const wait = Number(created.headers.get('retry-after') ?? '10');
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 60) * 1000));
    created = await signUp();
  }
  const { account_id: id } = await expectJson<{ account_id: string }>(created, 201);
  const verified = await call('/api/v1/auth/verify-email', {
    method: 'POST',
    body: JSON.stringify({ token: await verificationToken(email) }),
  });
  expect(verified.status, await verified.text()).toBe(204);
  const tokens = await expectJson<Resident['tokens']>(
    await call('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ email, password: PASSWORD }) }),
  );
  return { email, id, tokens };
}

/** A browser context where `who` is signed in to the portal (tokens where the portal keeps them). */
async function portalAs(browser: Browser, who: Resident): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript((stored) => {
    sessionStorage.setItem('guichet.session', JSON.stringify(stored));
  }, {
    access_token: who.tokens.access_token,
    refresh_token: who.tokens.refresh_token,
    until: Date.now() + who.tokens.expires_in * 1000 - 30_000,
  });
  return context;
}

/** The editor's box for field `n` of the form (« Champ 2 — … »). */
function fieldBox(page: Page, n: number) {
  return page.getByRole('group', { name: new RegExp(`^Champ ${n} —`) });
}

let designer: TestAgent;
let inCohort: Resident;
let outside: Resident;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  designer = await createAgent('Conceptrice essai', ['ETAT_CIVIL'], ['agent', 'form_designer']);
  inCohort = await resident('panel', 'Camille');
  outside = await resident('hors-panel', 'Dominique');
});

test.afterAll(async () => {
  // Retired, so that the city's catalogue does not fill up with test teleservices.
  await call(`/api/v1/agent/teleservices/${SLUG}/state`, {
    method: 'POST',
    token: designer.token,
    body: JSON.stringify({ state: 'retired' }),
  });
});

test('a designer creates a teleservice with a condition, pilots it to a cohort, and a resident of the cohort (only) can file it', async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1440, height: 1000 });

  // The catalogue: every teleservice with its state, version and audience.
  await signIn(page, designer);
  await page.getByRole('link', { name: 'Téléservices' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Téléservices' })).toBeVisible();
  await settled(page);
  const catalogue = page.getByRole('table', { name: /Téléservices/ });
  await expect(catalogue.getByRole('row').nth(1)).toBeVisible();
  await expect(catalogue.getByRole('columnheader', { name: 'Qui peut le déposer' })).toBeVisible();
  await expectAccessible(page, 'the designers’ catalogue');
  await screenshot(page, 'agents-conception');

  // A new teleservice: its address follows its title.
  await page.getByRole('link', { name: 'Nouveau téléservice' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Nouveau téléservice' })).toBeVisible();
  await page.getByLabel('Titre', { exact: true }).fill(TITLE);
  await expect(page.getByLabel('Adresse', { exact: true })).toHaveValue(SLUG);
  await page.getByLabel('Thème').selectOption('ETAT_CIVIL');
  await page.getByLabel('Délai de traitement visé (en jours)').fill('10');
  const preview = page.getByRole('region', { name: 'Aperçu' });
  await expect(preview.getByText(TITLE)).toBeVisible();

  // A choice with three options…
  await page.getByLabel('Type du champ à ajouter à la page 1').selectOption({ label: 'Choix unique' });
  await page.getByRole('button', { name: 'Ajouter le champ à la page 1' }).click();
  const choice = fieldBox(page, 1);
  await expect(choice.getByLabel('Libellé (la question)')).toBeFocused();
  await choice.getByLabel('Libellé (la question)').fill('Motif de la demande');
  await choice.getByLabel('Identifiant').fill('motif');
  await choice.getByLabel("Libellé de l'option 1").fill('Perte');
  await choice.getByLabel("Libellé de l'option 2").fill('Vol');
  await choice.getByRole('button', { name: 'Ajouter une option' }).click();
  await choice.getByLabel("Libellé de l'option 3").fill('Autre motif');
  await expect(choice.getByLabel("Valeur de l'option 3")).toHaveValue('autre_motif');
  await expect(preview.getByRole('radio', { name: 'Autre motif' })).toBeVisible();

  // … and a text shown only when « Autre motif » is chosen.
  await page.getByLabel('Type du champ à ajouter à la page 1').selectOption({ label: 'Texte long' });
  await page.getByRole('button', { name: 'Ajouter le champ à la page 1' }).click();
  const details = fieldBox(page, 2);
  await details.getByLabel('Libellé (la question)').fill('Précisez le motif');
  await expect(details.getByLabel('Identifiant')).toHaveValue('precisez_le_motif');
  await details.getByLabel('Longueur maximale').fill('500');
  await details.getByLabel('Afficher ce champ').selectOption({ label: 'seulement quand un champ a une valeur donnée' });
  await details.getByLabel('Quand le champ').selectOption({ label: 'Motif de la demande (motif)' });
  await details.getByLabel('vaut').selectOption({ label: 'Autre motif' });

  // The preview follows: the text shows and hides with the choice.
  await expect(preview.getByLabel('Précisez le motif')).toHaveCount(0);
  await preview.getByRole('radio', { name: 'Autre motif' }).check();
  await expect(preview.getByLabel('Précisez le motif')).toBeVisible();
  await preview.getByRole('radio', { name: 'Perte' }).check();
  await expect(preview.getByLabel('Précisez le motif')).toHaveCount(0);
  await preview.getByRole('radio', { name: 'Autre motif' }).check();
  await expect(preview.getByLabel('Précisez le motif')).toBeVisible();
  // The label typed in the editor is the preview's at once.
  await choice.getByLabel('Libellé (la question)').fill('Motif de votre demande');
  await expect(preview.getByRole('group', { name: /Motif de votre demande/ })).toBeVisible();
  await expect(details.getByLabel('Quand le champ')).toHaveValue(/.+/);
  await expectAccessible(page, 'the editor with its preview');
  // From the top, so that the preview (it follows the scroll) stands beside the start of the form.
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'agents-conception-editeur');

  // An invalid attempt: no description, and a third field left without a label.
  await page.getByLabel('Type du champ à ajouter à la page 1').selectOption({ label: 'Texte court' });
  await page.getByRole('button', { name: 'Ajouter le champ à la page 1' }).click();
  await fieldBox(page, 3).getByLabel('Identifiant').fill('reference');
  const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/agent/teleservices') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Enregistrer la version' }).click();
  expect((await refused).status()).toBe(422);
  const summary = page.locator('.error-summary');
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('Le formulaire contient 2 erreurs');
  await expect(summary.getByRole('link', { name: /^Description : Décrivez la démarche/ })).toBeVisible();
  await expect(summary.getByRole('link', { name: /^Page 1, champ 3 — libellé : Donnez un libellé au champ/ })).toBeVisible();
  // Each fault at its place: next to the control, which says it is invalid.
  await expect(page.getByLabel('Description')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Description')).toHaveAccessibleDescription(/Décrivez la démarche en quelques lignes/);
  const third = fieldBox(page, 3);
  await expect(third.getByText('Donnez un libellé au champ.')).toBeVisible();
  await expect(third.getByLabel('Libellé (la question)')).toHaveAttribute('aria-invalid', 'true');
  await expect(fieldBox(page, 1).getByLabel('Libellé (la question)')).not.toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'the editor with the service’s faults');

  // Corrected: the description written, the third field removed; saved as version 1.
  await page.getByLabel('Description').fill('Une démarche d’essai du concepteur de formulaires.');
  await expect(page.getByLabel('Description')).not.toHaveAttribute('aria-invalid', 'true');
  await third.getByRole('button', { name: /^Supprimer le champ/ }).click();
  await expect(fieldBox(page, 3)).toHaveCount(0);
  await expect(summary).toHaveCount(0);
  await page.getByRole('button', { name: 'Enregistrer la version' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Téléservice « ${TITLE} »` })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/agents/conception/${SLUG}$`));
  await expect(page.getByRole('status').filter({ hasText: 'Téléservice créé. Version 1 enregistrée' })).toBeVisible();
  // What was saved is what the editor shows again, condition included.
  await expect(fieldBox(page, 2).getByLabel('Quand le champ')).toHaveValue(/.+/);
  await expect(fieldBox(page, 2).getByLabel('vaut').locator('option:checked')).toHaveText('Autre motif');
  const state = page.getByRole('region', { name: 'Mise en ligne' });
  await expect(state.getByText('Brouillon', { exact: true })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Versions' })).toContainText("Version 1 — en cours d'édition");

  // A pilot for a cohort of one resident, found by e-mail address.
  await state.getByLabel("Un panel d'usagers désignés").check();
  await state.getByLabel("Adresse e-mail d'un usager à ajouter").fill('personne-' + RUN + '@example.org');
  await state.getByRole('button', { name: 'Ajouter au panel' }).click();
  await expect(state.getByText("Aucun compte usager n'a cette adresse e-mail.")).toBeVisible();
  await state.getByLabel("Adresse e-mail d'un usager à ajouter").fill(inCohort.email);
  await state.getByRole('button', { name: 'Ajouter au panel' }).click();
  await expect(state.getByRole('status')).toHaveText(`Compte de Camille Essai (${inCohort.email}) ajouté au panel.`);
  await expect(state.getByLabel('Comptes des usagers du panel')).toHaveValue(inCohort.id);
  await state.getByRole('button', { name: 'Mettre en pilote' }).click();
  await expect(state.getByRole('status')).toHaveText(
    "Le téléservice est en pilote pour : un panel d'un usager (version 1 en ligne).",
  );
  await expect(state.getByText('Pilote', { exact: true })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Versions' })).toContainText('Version 1 — en ligne, figée');
  await expectAccessible(page, 'the editor of a piloted teleservice, with its state and versions');

  // The API says the same.
  const piloted = await expectJson<{ state: string; live_version: number; pilot: { mode: string; residents: string[] } }>(
    await call(`/api/v1/agent/teleservices/${SLUG}`, { token: designer.token }),
  );
  expect(piloted).toMatchObject({ state: 'pilot', live_version: 1, pilot: { mode: 'cohort', residents: [inCohort.id] } });

  // In the catalogue, with its audience.
  await page.getByRole('link', { name: 'Retour au catalogue des téléservices' }).click();
  await page.getByLabel('Rechercher un téléservice').fill(RUN);
  const row = page.getByRole('row', { name: new RegExp(TITLE) });
  await expect(row).toContainText('Pilote');
  await expect(row).toContainText("Un panel d'un usager");

  // The resident of the cohort finds it among the procedures and files it.
  const cohortContext = await portalAs(browser, inCohort);
  const portal = await cohortContext.newPage();
  await portal.goto('/demarches');
  await settled(portal);
  await portal.getByLabel('Rechercher une démarche').fill(TITLE);
  await portal.getByRole('link', { name: TITLE }).click();
  await expect(portal.getByRole('heading', { level: 1, name: TITLE })).toBeVisible();
  await settled(portal);
  await expect(portal.getByText('Cette démarche est en cours d\'essai')).toBeVisible();
  await expect(portal.getByLabel('Précisez le motif')).toHaveCount(0);
  await portal.getByRole('radio', { name: 'Autre motif' }).check();
  await expect(portal.getByLabel('Précisez le motif')).toBeVisible();
  await portal.getByLabel('Précisez le motif').fill('Carte égarée pendant un déménagement.');
  await portal.getByRole('button', { name: 'Continuer' }).click();
  await expect(portal.getByRole('heading', { name: /Vérifier et envoyer/ })).toBeVisible();
  await portal.getByRole('button', { name: 'Envoyer ma demande' }).click();
  await expect(portal.getByRole('heading', { name: 'Votre demande est enregistrée' })).toBeVisible();
  await cohortContext.close();

  // The other resident does not see it, and may not open it.
  const outsideContext = await portalAs(browser, outside);
  const other = await outsideContext.newPage();
  await other.goto('/demarches');
  await settled(other);
  await other.getByLabel('Rechercher une démarche').fill(TITLE);
  await expect(other.getByText(`Aucune démarche ne correspond à « ${TITLE} ».`)).toBeVisible();
  await outsideContext.close();
  const refusedToOther = await call(`/api/v1/teleservices/${SLUG}`, { token: outside.tokens.access_token });
  expect(refusedToOther.status).toBe(404);
  const openToCohort = await call(`/api/v1/teleservices/${SLUG}`, { token: inCohort.tokens.access_token });
  expect(openToCohort.status).toBe(200);
});
