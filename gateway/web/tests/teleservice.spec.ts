import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type APIRequestContext, type Page, type Response } from '@playwright/test';
import { expectAccessible, screenshot, settled, verificationToken } from './helpers';

/**
 * Teleservice forms rendered from their definitions: a form designer publishes two
 * teleservices through the API (a small one, and one with every field type of the
 * generator); residents fill them, with and without an account.
 */

const PDF = join(import.meta.dirname, 'fixtures', 'justificatif.pdf');
const ADMIN_PASSWORD = process.env.GUICHET_ADMIN_PASSWORD ?? 'guichet-admin-demo';
/** Teleservices and accounts stay on the platform: each run has its own. */
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
const DOCUMENTS = ['application/pdf', 'image/jpeg', 'image/png'];

const SMALL = {
  slug: `essai-brouillon-${RUN}`,
  title: `Essai : déclaration de perte ${RUN}`,
  theme: 'ETAT_CIVIL',
  department: 'ETAT_CIVIL',
  description: 'Une démarche d’essai des tests du portail.',
  audience: { access: 'anonymous' },
  channels: ['web', 'app', 'kiosk', 'counter', 'phone'],
  sla_days: 10,
  pages: [
    {
      title: 'Votre demande',
      fields: [
        {
          id: 'motif',
          type: 'choice',
          label: 'Motif de la demande',
          required: true,
          options: [
            { value: 'perte', label: 'Perte' },
            { value: 'vol', label: 'Vol' },
            { value: 'autre', label: 'Autre motif' },
          ],
        },
        {
          id: 'precisions',
          type: 'long_text',
          label: 'Précisez le motif',
          required: true,
          max_length: 500,
          visible_if: { eq: { field: 'motif', value: 'autre' } },
        },
        { id: 'date_faits', type: 'date', label: 'Date des faits', required: true, max: 'today' },
        { id: 'urgent', type: 'yes_no', label: 'Est-ce urgent ?' },
      ],
    },
    {
      title: 'Pièces et coordonnées',
      fields: [
        { id: 'piece', type: 'file', label: 'Justificatif', required: true, accept: DOCUMENTS, max_size: 1048576, max_files: 2 },
        { id: 'courriel', type: 'email', label: 'Votre adresse e-mail', required: true },
        { id: 'attestation', type: 'checkbox', label: "J'atteste l'exactitude de ces informations.", required: true },
      ],
    },
  ],
};

/** Every field type of the generator (`FieldKind`), a page shown on a condition. */
const EVERY = {
  ...SMALL,
  slug: `essai-tous-champs-${RUN}`,
  title: `Essai : tous les champs ${RUN}`,
  pages: [
    {
      title: 'Identité',
      fields: [
        { id: 's_identite', type: 'section_title', label: 'Identité du demandeur' },
        { id: 'a_savoir', type: 'explanation', label: 'À savoir', body: 'Les copies sont gratuites.' },
        { id: 'nom', type: 'short_text', label: 'Nom de famille', required: true, prefill: 'family_name' },
        { id: 'commentaire', type: 'long_text', label: 'Commentaire', max_length: 1000 },
        { id: 'copies', type: 'integer', label: "Nombre d'exemplaires", required: true, min: 1, max: 5 },
        { id: 'montant', type: 'decimal', label: 'Montant payé', min: 0, max_decimals: 2 },
        { id: 'courriel', type: 'email', label: 'Adresse e-mail' },
        { id: 'telephone', type: 'phone', label: 'Numéro de téléphone' },
        { id: 'naissance', type: 'date', label: 'Date de naissance', max: 'today' },
      ],
    },
    {
      title: 'Situation',
      fields: [
        { id: 'a_enfants', type: 'yes_no', label: 'Avez-vous des enfants ?', required: true },
        {
          id: 'enfants',
          type: 'repeatable',
          label: 'Enfants',
          min_entries: 1,
          max_entries: 4,
          entry_label: 'un enfant',
          visible_if: { eq: { field: 'a_enfants', value: true } },
          fields: [
            { id: 'prenom', type: 'short_text', label: 'Prénom', required: true },
            { id: 'age', type: 'integer', label: 'Âge', min: 0, max: 25 },
          ],
        },
        { id: 'civilite', type: 'choice', label: 'Civilité', options: [{ value: 'mme', label: 'Madame' }, { value: 'm', label: 'Monsieur' }] },
        {
          id: 'quartier',
          type: 'choice',
          label: 'Quartier',
          options: ['Centre', 'Jas de Bouffan', 'Encagnane', 'Les Milles', 'Luynes', 'Puyricard', 'La Duranne'].map((label, i) => ({
            value: `q${i}`,
            label,
          })),
        },
        {
          id: 'jours',
          type: 'multiple_choice',
          label: 'Jours de disponibilité',
          max_selected: 2,
          options: [
            { value: 'lundi', label: 'Lundi' },
            { value: 'mardi', label: 'Mardi' },
            { value: 'jeudi', label: 'Jeudi' },
          ],
        },
        { id: 'adresse', type: 'address', label: 'Adresse du logement', required: true, postcodes: ['13100', '13090'] },
        { id: 'siret', type: 'siret', label: 'Numéro SIRET' },
        { id: 'iban', type: 'iban', label: 'IBAN', countries: ['FR'] },
        { id: 'piece', type: 'file', label: 'Pièce justificative', accept: DOCUMENTS, max_size: 1048576 },
        { id: 'accord', type: 'checkbox', label: "J'accepte d'être recontacté(e)." },
      ],
    },
    {
      title: 'Scolarité',
      visible_if: { eq: { field: 'a_enfants', value: true } },
      fields: [{ id: 'ecole', type: 'short_text', label: 'École fréquentée' }],
    },
  ],
};

function as(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

async function tokenOf(request: APIRequestContext, path: string, data: object): Promise<string> {
  const answer = await request.post(path, { data });
  expect(answer.status(), `${path}: ${await answer.text()}`).toBe(200);
  return ((await answer.json()) as { access_token: string }).access_token;
}

/** A form designer of the civil registry, created by the administrator for this run. */
async function designer(request: APIRequestContext): Promise<string> {
  const admin = await tokenOf(request, '/api/v1/agent/login', { login: 'admin', password: ADMIN_PASSWORD });
  const login = `concepteur-${RUN}`;
  const password = 'concepteur formulaires essai';
  const created = await request.post('/api/v1/admin/agents', {
    headers: as(admin),
    data: { login, password, name: 'Concepteur essai', departments: ['ETAT_CIVIL'], roles: ['agent', 'form_designer'] },
  });
  expect(created.status(), await created.text()).toBe(201);
  return tokenOf(request, '/api/v1/agent/login', { login, password });
}

async function publish(request: APIRequestContext, token: string, definition: { slug: string }): Promise<void> {
  const saved = await request.post('/api/v1/agent/teleservices', { headers: as(token), data: definition });
  expect(saved.status(), await saved.text()).toBe(201);
  const published = await request.post(`/api/v1/agent/teleservices/${definition.slug}/state`, {
    headers: as(token),
    data: { state: 'published' },
  });
  expect(published.status(), await published.text()).toBe(200);
}

let designerToken = '';

test.beforeAll(async ({ request }) => {
  designerToken = await designer(request);
  await publish(request, designerToken, SMALL);
  await publish(request, designerToken, EVERY);
});

test.afterAll(async ({ request }) => {
  // Retired, so that the city's catalogue does not fill up with test teleservices.
  for (const { slug } of [SMALL, EVERY]) {
    await request.post(`/api/v1/agent/teleservices/${slug}/state`, { headers: as(designerToken), data: { state: 'retired' } });
  }
});

/** `AAAA-MM-JJ` of `days` ago (UTC, as the service counts). */
function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Clicks « Envoyer ma demande » and answers the sending's response. Filings are limited
 * per address: on a platform shared with other runs, the resident is told to wait, waits
 * as told and sends again — with the same `Idempotency-Key`.
 */
async function send(page: Page): Promise<Response> {
  let key = '';
  for (let tries = 0; ; tries++) {
    const sending = page.waitForResponse((r) => /\/api\/v1\/drafts\/[^/]+\/submit$/.test(r.url()));
    await page.getByRole('button', { name: 'Envoyer ma demande' }).click();
    const answer = await sending;
    const sent = answer.request().headers()['idempotency-key'] ?? '';
    if (key) expect(sent, 'a retry carries the same key').toBe(key);
    key = sent;
    if (answer.status() !== 429 || tries >= 3) return answer;
    await expect(page.locator('.error-summary')).toContainText('Trop de demandes en peu de temps');
    const wait = Number(answer.headers()['retry-after'] ?? '10');
    await page.waitForTimeout(Math.min(wait + 1, 60) * 1000);
  }
}

async function open(page: Page, slug: string, title: string): Promise<void> {
  await page.goto(`/demarches/${slug}`);
  await settled(page);
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

test('a resident without account starts a teleservice, resumes it in another browser, and sends it', async ({ page, browser }) => {
  // Sending may have to wait for the platform's limit (see `send`).
  test.slow();
  await open(page, SMALL.slug, SMALL.title);
  await expect(page.getByText('Étape 1 sur 3')).toBeVisible();

  // A condition: the details show only for « Autre motif ».
  const details = page.getByLabel('Précisez le motif');
  await expect(details).toHaveCount(0);
  await page.getByRole('radio', { name: 'Autre motif' }).check();
  await expect(details).toBeVisible();
  await details.fill('Carte perdue lors d’un déménagement.');
  await page.getByLabel('Date des faits').fill(daysAgo(3));
  await page.getByRole('radio', { name: 'Non' }).check();
  await page.getByRole('button', { name: 'Continuer' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /Pièces et coordonnées/ })).toBeFocused();

  // The file goes to the draft with its progress shown (the answer held back a moment).
  await page.route('**/api/v1/drafts/*/attachments', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  await page.getByLabel('Justificatif').setInputFiles(PDF);
  await expect(page.getByRole('progressbar', { name: 'Envoi de « justificatif.pdf »' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: '« justificatif.pdf » est joint' })).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Envoi de « justificatif.pdf »' })).toHaveCount(0);
  await page.unroute('**/api/v1/drafts/*/attachments');
  await expect(page.getByRole('link', { name: 'Télécharger justificatif.pdf' })).toBeVisible();
  await page.getByLabel('Votre adresse e-mail').fill('dominique@example.org');

  // Saved on demand; the resume link is shown, and is now the page's address.
  await page.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Brouillon enregistré le/ })).toBeVisible();
  const link = await page.getByLabel('Lien pour reprendre ce brouillon').inputValue();
  expect(link).toMatch(new RegExp(`/demarches/${SMALL.slug}\\?brouillon=[0-9a-f-]{36}$`));
  expect(page.url()).toBe(link);
  await page.close();

  // Another browser, without anything of the first: the link alone.
  const elsewhere = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const other = await elsewhere.newPage();
  await other.goto(link);
  await settled(other);
  await expect(other.getByRole('radio', { name: 'Autre motif' })).toBeChecked();
  await expect(other.getByLabel('Précisez le motif')).toHaveValue('Carte perdue lors d’un déménagement.');
  await expect(other.getByLabel('Date des faits')).toHaveValue(daysAgo(3));
  await other.getByRole('button', { name: 'Continuer' }).click();
  await expect(other.getByLabel('Votre adresse e-mail')).toHaveValue('dominique@example.org');
  const file = other.getByRole('link', { name: 'Télécharger justificatif.pdf' });
  await expect(file).toBeVisible();
  const [download] = await Promise.all([other.waitForEvent('download'), file.click()]);
  expect(download.suggestedFilename()).toBe('justificatif.pdf');
  expect(readFileSync(await download.path())).toEqual(readFileSync(PDF));

  // A file taken out is deleted where it was stored, not only from the answers.
  const stored = await file.getAttribute('href');
  await other.getByRole('button', { name: /^Retirer « justificatif\.pdf »/ }).click();
  await expect(other.getByText('« justificatif.pdf » est retiré.')).toBeVisible();
  await expect.poll(async () => (await other.request.get(stored ?? '')).status()).toBe(404);
  await other.getByLabel('Justificatif').setInputFiles(PDF);
  await expect(other.getByRole('link', { name: 'Télécharger justificatif.pdf' })).toBeVisible();

  // Sending: the sworn statement first, then the answers read back.
  await other.getByRole('button', { name: 'Continuer' }).click();
  await expect(other.locator('#champ-attestation-erreur')).toHaveText(/Cochez cette case pour continuer/);
  await other.getByLabel("J'atteste l'exactitude de ces informations.").check();
  await other.getByRole('button', { name: 'Continuer' }).click();
  await expect(other.getByRole('heading', { level: 2, name: /Vérifier et envoyer/ })).toBeFocused();
  await expect(other.getByText('Autre motif', { exact: true })).toBeVisible();
  await expect(other.getByText('justificatif.pdf', { exact: true })).toBeVisible();
  // The contact is suggested from the form's e-mail.
  const contact = other.getByRole('group', { name: /Pour être informé\(e\) de la suite/ });
  await expect(contact.getByLabel(/^Adresse e-mail/)).toHaveValue('dominique@example.org');
  const answer = await send(other);
  expect(answer.status()).toBe(201);
  expect(answer.request().headers()['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  await expect(other.getByRole('heading', { name: 'Votre demande est enregistrée' })).toBeFocused();
  const number = (await other.locator('.tracking-number').textContent())?.trim() ?? '';
  expect(number).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$/);
  await expectAccessible(other, 'the teleservice sent');
  await expect(other.getByRole('heading', { name: 'Votre demande est enregistrée' })).toBeVisible();
  await screenshot(other, 'demarche-envoyee');

  await other.getByRole('link', { name: 'Suivre cette demande' }).click();
  await expect(other).toHaveURL(`/suivi/${number}`);
  await expect(other.locator('.tracking-number')).toHaveText(number);
  await expect(other.getByText(SMALL.title).first()).toBeVisible();

  // The draft, sent, now says what it became.
  await other.goto(link);
  await expect(other.getByText('Ce brouillon a déjà été envoyé')).toBeVisible();
  await expect(other.locator('.tracking-number')).toHaveText(number);
  await elsewhere.close();
});

test('every field type of the generator renders with its label, and conditions show and hide fields', async ({ page }) => {
  await open(page, EVERY.slug, EVERY.title);
  // Page 3 shows only for residents with children: two pages, then the last step.
  await expect(page.getByText('Étape 1 sur 3')).toBeVisible();
  await expectAccessible(page, 'a teleservice form, empty');
  await screenshot(page, 'demarche-formulaire');

  await expect(page.getByRole('heading', { name: 'Identité du demandeur' })).toBeVisible(); // section_title
  await expect(page.getByText('Les copies sont gratuites.')).toBeVisible(); // explanation
  await expect(page.getByRole('textbox', { name: 'Nom de famille' })).toBeVisible(); // short_text
  await expect(page.getByRole('textbox', { name: /^Commentaire/ })).toHaveJSProperty('tagName', 'TEXTAREA'); // long_text
  await expect(page.getByLabel("Nombre d'exemplaires")).toHaveAttribute('inputmode', 'numeric'); // integer
  await expect(page.getByLabel(/^Montant payé/)).toHaveAttribute('inputmode', 'decimal'); // decimal
  await expect(page.getByLabel(/^Adresse e-mail/)).toHaveAttribute('type', 'email'); // email
  await expect(page.getByLabel(/^Numéro de téléphone/)).toHaveAttribute('type', 'tel'); // phone
  await expect(page.getByLabel(/^Date de naissance/)).toHaveAttribute('type', 'date'); // date
  await expect(page.getByLabel(/^Commentaire/)).toBeVisible();

  // The browser's checks before moving on, next to each field and in a summary.
  await page.getByRole('button', { name: 'Continuer' }).click();
  const summary = page.locator('.error-summary');
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('Nom de famille : Ce champ est obligatoire.');
  await expect(page.getByLabel('Nom de famille')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Nom de famille')).toHaveAttribute('aria-describedby', /champ-nom-erreur/);
  await page.getByLabel("Nombre d'exemplaires").fill('9');
  await page.getByLabel(/^Numéro de téléphone/).fill('12 34');
  await page.getByRole('button', { name: 'Continuer' }).click();
  await expect(page.locator('#champ-copies-erreur')).toHaveText(/La valeur doit être au plus 5\./);
  await expect(page.locator('#champ-telephone-erreur')).toHaveText(/Ce numéro de téléphone n'est pas valide/);
  await expectAccessible(page, 'a teleservice form with errors');
  await screenshot(page, 'demarche-erreurs');
  // A summary link brings the focus to its field.
  await summary.getByRole('link', { name: /Nombre d'exemplaires/ }).click();
  await expect(page.getByLabel("Nombre d'exemplaires")).toBeFocused();

  await page.getByLabel('Nom de famille').fill('Martin');
  await page.getByLabel("Nombre d'exemplaires").fill('2');
  await page.getByLabel(/^Numéro de téléphone/).fill('06 12 34 56 78');
  await page.getByLabel(/^Montant payé/).fill('12,50');
  await page.getByLabel(/^Date de naissance/).fill('1990-05-17');
  await page.getByRole('button', { name: 'Continuer' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /Situation/ })).toBeFocused();

  const yesNo = page.getByRole('group', { name: 'Avez-vous des enfants ?' }); // yes_no
  await expect(yesNo.getByRole('radio', { name: 'Oui' })).toBeVisible();
  const children = page.getByRole('group', { name: /^Enfants/ }).first(); // repeatable
  await expect(children).toHaveCount(0);
  await yesNo.getByRole('radio', { name: 'Oui' }).check();
  await expect(children).toBeVisible();
  await expect(page.getByRole('group', { name: 'Enfants n° 1' })).toBeVisible();
  await expect(page.getByText('Étape 2 sur 4')).toBeVisible();
  await yesNo.getByRole('radio', { name: 'Non' }).check();
  await expect(children).toHaveCount(0);
  await expect(page.getByText('Étape 2 sur 3')).toBeVisible();
  await yesNo.getByRole('radio', { name: 'Oui' }).check();
  await page.getByRole('group', { name: 'Enfants n° 1' }).getByLabel('Prénom').fill('Léa');
  await page.getByRole('button', { name: /Ajouter un enfant/ }).click();
  await expect(page.getByRole('group', { name: 'Enfants n° 2' }).getByLabel('Prénom')).toBeFocused();
  await page.getByRole('button', { name: /Retirer Enfants n° 2/ }).click();
  await expect(page.getByRole('group', { name: 'Enfants n° 2' })).toHaveCount(0);

  await expect(page.getByRole('group', { name: /^Civilité/ }).getByRole('radio', { name: 'Madame' })).toBeVisible(); // choice
  await expect(page.getByRole('combobox', { name: /^Quartier/ })).toBeVisible(); // choice with many options
  const days = page.getByRole('group', { name: /^Jours de disponibilité/ }); // multiple_choice
  await expect(days.getByRole('checkbox')).toHaveCount(3);
  const address = page.getByRole('group', { name: /^Adresse du logement/ }); // address
  await expect(address.getByLabel('Numéro et voie')).toBeVisible();
  await expect(page.getByLabel(/^Numéro SIRET/)).toBeVisible(); // siret
  await expect(page.getByLabel(/^IBAN/)).toBeVisible(); // iban
  await expect(page.getByLabel(/^Pièce justificative/)).toHaveAttribute('type', 'file'); // file
  await expect(page.getByRole('checkbox', { name: "J'accepte d'être recontacté(e)." })).toBeVisible(); // checkbox

  // Checked here as the service does: a postcode of the commune, a valid IBAN and SIRET.
  await address.getByLabel('Numéro et voie').fill('12 cours Mirabeau');
  await address.getByLabel('Code postal').fill('75001');
  await address.getByLabel('Commune').fill('Aix-en-Provence');
  await page.getByLabel(/^IBAN/).fill('FR76 3000 6000 0112 3456 7890 188');
  await page.getByLabel(/^Numéro SIRET/).fill('732 829 320 00074');
  await days.getByRole('checkbox', { name: 'Lundi' }).check();
  await days.getByRole('checkbox', { name: 'Mardi' }).check();
  await days.getByRole('checkbox', { name: 'Jeudi' }).check();
  await page.getByRole('button', { name: 'Continuer' }).click();
  await expect(page.locator('#champ-adresse-postcode-erreur')).toHaveText(/codes postaux acceptés 13100, 13090/);
  await expect(page.locator('#champ-iban-erreur')).toHaveText(/Cet IBAN n'est pas valide/);
  await expect(page.locator('#champ-jours-erreur')).toHaveText(/Choisissez au plus 2 options/);
  await expect(page.locator('#champ-siret-erreur')).toHaveCount(0);
  await address.getByLabel('Code postal').fill('13100');
  await page.getByLabel(/^IBAN/).fill('FR76 3000 6000 0112 3456 7890 189');
  await days.getByRole('checkbox', { name: 'Jeudi' }).uncheck();
  await page.getByRole('combobox', { name: /^Quartier/ }).selectOption({ label: 'Les Milles' });
  await page.getByLabel(/^Pièce justificative/).setInputFiles(PDF);
  await expect(page.getByRole('link', { name: 'Télécharger justificatif.pdf' })).toBeVisible();
  await expectAccessible(page, 'a teleservice form, filled');
  await screenshot(page, 'demarche-remplie');

  await page.getByRole('button', { name: 'Continuer' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /Scolarité/ })).toBeFocused();
  await page.getByLabel(/^École fréquentée/).fill('École Mignet');
  await page.getByRole('button', { name: 'Continuer' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /Vérifier et envoyer/ })).toBeFocused();
  await expect(page.getByText('Prénom : Léa ; Âge : Non renseigné')).toBeVisible();
  await expect(page.getByText('12 cours Mirabeau, 13100 Aix-en-Provence')).toBeVisible();
  await expectAccessible(page, 'a teleservice form read back');
  await screenshot(page, 'demarche-relecture');
});

test("the service's refusals appear next to their fields, on their step", async ({ page }) => {
  test.slow();
  await open(page, EVERY.slug, EVERY.title);
  await page.getByLabel('Nom de famille').fill('Martin');
  await page.getByLabel("Nombre d'exemplaires").fill('1');
  await page.getByLabel(/^Date de naissance/).fill('1990-05-17');
  await page.getByRole('button', { name: 'Continuer' }).click();
  await page.getByRole('radio', { name: 'Oui' }).check();
  await page.getByRole('group', { name: 'Enfants n° 1' }).getByLabel('Prénom').fill('Léa');
  const address = page.getByRole('group', { name: /^Adresse du logement/ });
  await address.getByLabel('Numéro et voie').fill('12 cours Mirabeau');
  await address.getByLabel('Code postal').fill('13100');
  await address.getByLabel('Commune').fill('Aix-en-Provence');
  await page.getByRole('button', { name: 'Continuer' }).click();
  await page.getByRole('button', { name: 'Continuer' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /Vérifier et envoyer/ })).toBeFocused();

  // What the browser cannot know, the service judges: here answers the service refuses
  // reach it (as from an outdated copy of the form), whatever the browser checked.
  await page.route('**/api/v1/drafts/*/submit', async (route) => {
    const body = JSON.parse(route.request().postData() ?? '{}') as { data: Record<string, unknown> };
    body.data['naissance'] = '2999-01-01';
    body.data['adresse'] = { street: '12 cours Mirabeau', postcode: '75001', city: 'Paris' };
    body.data['enfants'] = [{ prenom: '', age: 4 }];
    await route.continue({ postData: JSON.stringify(body) });
  });
  expect((await send(page)).status()).toBe(422);

  // Taken to the first step with a refusal, the summary listing all three.
  const summary = page.locator('.error-summary');
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('Le formulaire contient 3 erreurs');
  await expect(page.getByRole('heading', { level: 2, name: /Identité/ })).toBeVisible();
  await expect(page.getByLabel(/^Date de naissance/)).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#champ-naissance-erreur')).toHaveText(/La date ne peut pas être dans le futur\./);
  await expectAccessible(page, "a teleservice form with the service's refusals");

  // The others are on the next step: the summary's link goes there, to the field.
  await summary.getByRole('link', { name: /Enfants n° 1 — Prénom/ }).click();
  await expect(page.getByRole('heading', { level: 2, name: /Situation/ })).toBeVisible();
  const firstName = page.getByRole('group', { name: 'Enfants n° 1' }).getByLabel('Prénom');
  await expect(firstName).toBeFocused();
  await expect(firstName).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#champ-enfants-0-prenom-erreur')).toHaveText(/Ce champ est obligatoire\./);
  await expect(address.getByLabel('Code postal')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#champ-adresse-postcode-erreur')).toHaveText(/codes postaux acceptés 13100, 13090/);
  await screenshot(page, 'demarche-refus');
});

// ------------------------------------------------------------------ with an account


/** Signs a new resident up and in through the API; the tokens go where the portal keeps them. */
async function signedIn(page: Page, request: APIRequestContext): Promise<void> {
  const email = `brouillons-${RUN}@example.org`;
  const password = 'une phrase de passe solide';
  const signUp = () =>
    request.post('/api/v1/auth/signup', {
      data: { email, password, attributes: { given_name: 'Camille', family_name: 'Martin' } },
    });
  let created = await signUp();
  // Sign-ups are limited per address; on a platform shared with other runs, wait as told.
  for (let tries = 0; created.status() === 429 && tries < 3; tries++) {
    const wait = Number(created.headers()['retry-after'] ?? '10');
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 60) * 1000));
    created = await signUp();
  }
  expect(created.status(), await created.text()).toBe(201);
  const verified = await request.post('/api/v1/auth/verify-email', { data: { token: await verificationToken(email) } });
  expect(verified.status(), await verified.text()).toBe(204);
  const login = await request.post('/api/v1/auth/login', { data: { email, password } });
  expect(login.status(), await login.text()).toBe(200);
  const tokens = (await login.json()) as { access_token: string; refresh_token: string; expires_in: number };
  await page.addInitScript((stored) => {
    sessionStorage.setItem('guichet.session', JSON.stringify(stored));
  }, {
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    until: Date.now() + tokens.expires_in * 1000 - 30_000,
  });
}

test('a signed-in resident has the form prefilled, and finds a draft with its file in « Mes brouillons »', async ({ page, request }) => {
  // A sign-up may have to wait for the platform's limit (see `signedIn`).
  test.slow();
  await signedIn(page, request);

  // The profile fills what it knows.
  await open(page, EVERY.slug, EVERY.title);
  await expect(page.getByLabel('Nom de famille')).toHaveValue('Martin');
  await expect(page.getByText('Certaines réponses sont reprises de votre profil : vérifiez-les.')).toBeVisible();
  // As for a resident whose name FranceConnect certified: the service lists it read-only.
  await page.route(`**/api/v1/teleservices/${EVERY.slug}`, async (route) => {
    const headers = { ...route.request().headers() };
    delete headers['if-none-match'];
    const response = await route.fetch({ headers });
    const form = (await response.json()) as Record<string, unknown>;
    await route.fulfill({ response, json: { ...form, read_only: ['nom'] } });
  });
  await page.reload();
  await settled(page);
  await expect(page.getByLabel('Nom de famille')).toHaveValue('Martin');
  await expect(page.getByLabel('Nom de famille')).toHaveAttribute('readonly', '');
  await expect(page.getByText('Information certifiée par FranceConnect : elle ne peut pas être modifiée ici.')).toBeVisible();
  await expectAccessible(page, 'a teleservice form with a certified answer');
  await page.unroute(`**/api/v1/teleservices/${EVERY.slug}`);

  // A draft with a file, sent with the resident's token.
  await open(page, SMALL.slug, SMALL.title);
  await page.getByRole('radio', { name: 'Vol' }).check();
  await page.getByLabel('Date des faits').fill(daysAgo(1));
  await page.getByRole('button', { name: 'Continuer' }).click();
  await page.getByLabel('Justificatif').setInputFiles(PDF);
  await expect(page.getByRole('link', { name: 'Télécharger justificatif.pdf' })).toBeVisible();
  await page.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Brouillon enregistré le/ })).toBeVisible();
  await page.getByRole('link', { name: 'Mes brouillons' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Mes brouillons' })).toBeFocused();
  await settled(page);
  const entry = page.getByRole('link', { name: SMALL.title });
  await expect(entry).toBeVisible();
  await expect(page.getByText(/depuis : site web/).first()).toBeVisible();
  await expect(page.getByText('1 fichier joint.')).toBeVisible();
  await expectAccessible(page, '« Mes brouillons »');
  await screenshot(page, 'brouillons');

  await entry.click();
  await settled(page);
  await expect(page.getByRole('radio', { name: 'Vol' })).toBeChecked();
  await expect(page.getByText('Retrouvez-le sur tous vos appareils')).toBeVisible();
  await page.getByRole('button', { name: 'Continuer' }).click();
  // The resident's file comes back with the resident's token.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Télécharger justificatif.pdf' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('justificatif.pdf');
  expect(readFileSync(await download.path())).toEqual(readFileSync(PDF));

  // A wrong link is refused next to the field.
  await page.goto('/brouillons');
  await settled(page);
  await page.getByLabel('Lien du brouillon').fill('pas un lien');
  await page.getByRole('button', { name: 'Reprendre' }).click();
  await expect(page.getByLabel('Lien du brouillon')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#lien-erreur')).toContainText('Collez le lien du brouillon en entier');
  await expectAccessible(page, '« Mes brouillons » with an error');
});

test('answers kept on the device are offered back after a lost connection', async ({ page, context }) => {
  await open(page, SMALL.slug, SMALL.title);
  await context.setOffline(true);
  await page.getByRole('radio', { name: 'Perte' }).check();
  await page.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Pas de connexion : vos réponses sont gardées sur cet appareil/ })).toBeVisible();
  await context.setOffline(false);

  await page.goto(`/demarches/${SMALL.slug}`);
  await settled(page);
  await expect(page.getByRole('heading', { name: 'Reprendre là où vous en étiez ?' })).toBeVisible();
  await expectAccessible(page, 'a teleservice offered back from the device');
  await page.getByRole('button', { name: 'Reprendre mes réponses' }).click();
  await expect(page.getByRole('radio', { name: 'Perte' })).toBeChecked();
  // Back online, the answers reach a draft on the platform.
  await page.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
  await expect(page.getByLabel('Lien pour reprendre ce brouillon')).toHaveValue(/\?brouillon=[0-9a-f-]{36}$/);
});
