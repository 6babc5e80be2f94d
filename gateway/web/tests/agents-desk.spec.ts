import { join } from 'node:path';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';
import { adminToken, call, createAgent, expectJson, signIn, type TestAgent } from './agents-helpers';

const PHOTO = join(import.meta.dirname, 'fixtures', 'nid-de-poule.png');

interface Resident {
  accountId: string;
  email: string;
  password: string;
  name: string;
  /** As typed at sign-up: `06 12 34 56 78`. */
  phone: string;
}

/** A resident who signed up with a phone number in their profile (unique per run). */
async function residentWithPhone(given: string, surname: string): Promise<Resident> {
  // A family name of its own, so earlier runs' residents are not found with it.
  const family = `${surname}-${Array.from({ length: 6 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')}`;
  const digits = Array.from({ length: 8 }, () => Math.floor(Math.random() * 10)).join('');
  const phone = `07 ${digits.match(/../g)?.join(' ')}`;
  const email = `${given.toLowerCase()}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}@example.org`;
  const password = 'une phrase de passe solide';
  const created = await expectJson<{ account_id: string }>(
    await call('/api/v1/auth/signup', {
      method: 'POST',
      body: JSON.stringify({ email, password, attributes: { given_name: given, family_name: family, phone } }),
    }),
    201,
  );
  return { accountId: created.account_id, email, password, name: `${given} ${family}`, phone };
}

/** A counter workstation registered by the administrator: its set-up address. */
async function counterWorkstation(): Promise<string> {
  const device = await expectJson<{ device_id: string; secret: string }>(
    await call('/api/v1/admin/devices', {
      method: 'POST',
      token: await adminToken(),
      body: JSON.stringify({ kind: 'counter', label: `Accueil de test ${Date.now().toString(36)}` }),
    }),
    201,
  );
  return `/agents/?appareil=${encodeURIComponent(device.device_id)}&secret=${encodeURIComponent(device.secret)}`;
}

/** The contexts a test opened, closed after it whatever its outcome (each holds a live feed). */
const opened: BrowserContext[] = [];
test.afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

/** A page of a new browser context, so two agents work side by side. */
async function openPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  opened.push(context);
  return context.newPage();
}

/** The desk agent signed in at a counter workstation, on the desk's search. */
async function atTheCounter(browser: Browser, desk: TestAgent): Promise<Page> {
  const page = await openPage(browser);
  await page.goto(await counterWorkstation());
  await expect(page.getByText("Ce poste est un poste d'accueil")).toBeVisible();
  await signIn(page, desk);
  await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Accueil des usagers' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Accueil des usagers' })).toBeFocused();
  await expect(page.getByText('ce que vous déposez pour un usager porte le canal')).toContainText('accueil en mairie');
  return page;
}

async function search(page: Page, text: string): Promise<void> {
  await page.getByRole('searchbox', { name: 'Usager ou demande' }).fill(text);
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Résultats' })).toBeFocused();
}

test("a desk agent finds a resident by phone and files a complaint for them, which appears live in the roads agent's tab", async ({ browser }) => {
  test.setTimeout(120_000);
  const desk = await createAgent('Agent Accueil', ['MRU']);
  const roads = await createAgent('Agent Voirie', ['VOIRIE']);
  const resident = await residentWithPhone('Léonie', 'Desrousseaux');

  // The roads agent has the pothole tab open.
  const roadsPage = await openPage(browser);
  await signIn(roadsPage, roads);
  const pothole = roadsPage.getByRole('navigation', { name: 'Mes onglets' }).getByRole('link', { name: /^Nid-de-poule/ });
  await pothole.click();
  await expect(roadsPage.getByRole('heading', { level: 1, name: /Nid-de-poule/ })).toBeFocused();
  await settled(roadsPage);
  const unread = async (): Promise<number> =>
    Number((await pothole.locator('.count').textContent({ timeout: 500 }).catch(() => '0'))?.match(/\d+/)?.[0] ?? 0);
  const before = await unread();

  // The desk agent, at a counter, searches: nothing for a stranger, said so.
  const page = await atTheCounter(browser, desk);
  await expectAccessible(page, 'the desk search, empty');
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await expect(page.locator('#recherche-erreur')).toContainText('Saisissez un nom');
  await search(page, `Personne Introuvable ${Date.now().toString(36)}`);
  await expect(page.getByRole('status').filter({ hasText: 'Aucun usager ni aucune demande ne correspond' })).toBeVisible();

  // Found by phone, typed without spaces.
  await search(page, resident.phone.replace(/ /g, ''));
  const row = page.getByRole('row').filter({ hasText: resident.name });
  await expect(row).toContainText(resident.email);
  await expect(row).toContainText(resident.phone);
  await expectAccessible(page, 'the desk search with results');
  await screenshot(page, 'agents-guichet');

  // A complaint for them: every missing field said at its place first.
  await row.getByRole('link', { name: `Un signalement pour ${resident.name}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Signalement pour un usager' })).toBeFocused();
  await expect(page.getByRole('region', { name: 'Pour qui' })).toContainText(resident.name);
  await settled(page);
  await page.getByRole('button', { name: 'Enregistrer le signalement' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('#categorie-erreur')).toContainText('Choisissez une catégorie.');
  await expect(page.locator('#adresse-erreur')).toContainText("Indiquez l'emplacement");
  await expect(page.locator('#description-erreur')).toContainText('Décrivez le problème');
  await expectAccessible(page, 'the complaint form with errors');
  await page.getByLabel('Catégorie').selectOption('NID_DE_POULE');
  await page.getByLabel('Adresse ou repère').fill(`${Math.floor(Math.random() * 60) + 1} avenue Victor Hugo, devant la pharmacie`);
  await page.getByLabel('Description').fill("Nid-de-poule profond signalé au guichet par l'usagère, dangereux pour les deux-roues.");
  await page.getByRole('button', { name: 'Enregistrer le signalement' }).click();

  // The number, large, to read out; on the counter's channel.
  await expect(page.getByRole('heading', { level: 2, name: 'Signalement enregistré' })).toBeFocused();
  const number = (await page.locator('.tracking-number.large').textContent())?.trim() ?? '';
  expect(number).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}$/);
  await expect(page.getByText(`Déposé pour ${resident.name}, canal « accueil en mairie »`)).toBeVisible();
  await expectAccessible(page, 'the filed confirmation');
  await screenshot(page, 'agents-guichet-depot');

  // The roads agent's open tab shows it without reload, and counts it unread.
  const arrived = roadsPage.getByRole('listitem').filter({ hasText: number });
  await expect(arrived).toBeVisible();
  await expect(arrived).toContainText('Non lu');
  // Other agents' tests may file potholes meanwhile: at least this one more.
  await expect.poll(unread).toBeGreaterThanOrEqual(before + 1);

  // It is the resident's own, in their space, filed at the counter.
  const login = await expectJson<{ access_token: string }>(
    await call('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ email: resident.email, password: resident.password }) }),
  );
  const mine = await expectJson<{ tracking_number: string; channel: string }[]>(
    await call('/api/v1/me/demands', { token: login.access_token }),
  );
  expect(mine.find((d) => d.tracking_number === number)?.channel).toBe('counter');

  // A note and a photo the resident brought, on the demand.
  await page.getByRole('link', { name: 'Ajouter une pièce ou un message' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Demande ${number} — pour l'usager` })).toBeFocused();
  await settled(page);
  await page.getByRole('button', { name: 'Ajouter le message' }).click();
  await expect(page.locator('#message-erreur')).toContainText('Écrivez le message.');
  await page.getByLabel('Message', { exact: true }).fill("L'usagère a appelé : le trou s'agrandit depuis la pluie.");
  await page.getByRole('button', { name: 'Ajouter le message' }).click();
  await expect(page.getByText("Le message est ajouté à l'historique de la demande.")).toBeVisible();
  const history = page.getByRole('region', { name: 'Historique', exact: true });
  await expect(history).toContainText("le trou s'agrandit depuis la pluie");
  await expect(history).toContainText('Agent Accueil');
  await page.getByLabel('Photo à ajouter').setInputFiles(PHOTO);
  await page.getByRole('button', { name: 'Ajouter à la demande' }).click();
  await expect(page.getByText(`« nid-de-poule.png » est ajouté à la demande ${number}.`)).toBeVisible();
  await expect(history).toContainText('Photo ajoutée');
  await expectAccessible(page, 'a demand at the desk, a note added');

  // Found again by its number, with its status.
  await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Accueil des usagers' }).click();
  await search(page, number);
  await expect(page.getByRole('row').filter({ hasText: number })).toContainText('Déposée');

});

test('a counter agent certifies an attribute on a document the resident shows', async ({ browser }) => {
  const desk = await createAgent('Agent Guichet', ['MRU']);
  const resident = await residentWithPhone('Mathis', 'Bonnefoy');
  const page = await atTheCounter(browser, desk);

  await search(page, resident.email);
  await page.getByRole('link', { name: `Certifier une information de ${resident.name}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Certifier une information sur pièce' })).toBeFocused();
  await expect(page.getByText(resident.name)).toBeVisible();

  // Nothing chosen, nothing confirmed: said at each place.
  await page.getByRole('button', { name: 'Certifier' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('#information-erreur')).toBeVisible();
  await expect(page.locator('#verifie-erreur')).toContainText("l'original de la pièce");
  await expectAccessible(page, 'the certification with errors');

  // A date the service refuses comes back next to its field.
  await page.getByLabel('Information à certifier').selectOption('birthdate');
  await page.getByLabel('Valeur lue sur la pièce').fill('21/03/1984');
  await page.getByLabel("J'ai vérifié cette information").check();
  await page.getByRole('button', { name: 'Certifier' }).click();
  await expect(page.locator('#information-erreur')).toContainText('AAAA-MM-JJ');

  await page.getByLabel('Valeur lue sur la pièce').fill('1984-03-21');
  await page.getByRole('button', { name: 'Certifier' }).click();
  await expect(page.getByText('Date de naissance : « 1984-03-21 » est désormais vérifié(e) sur pièce justificative.')).toBeVisible();
  await expect(page.getByRole('row', { name: /Date de naissance/ })).toContainText('Vérifiée par un agent sur pièce justificative');
  await expect(page.getByRole('row', { name: /Prénom/ })).toContainText("Déclarée par l'usager");
  await expectAccessible(page, 'the certification done');

  // The resident's profile says so.
  const login = await expectJson<{ access_token: string }>(
    await call('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ email: resident.email, password: resident.password }) }),
  );
  const profile = await expectJson<{ attributes: { name: string; level: string }[] }>(await call('/api/v1/me', { token: login.access_token }));
  expect(profile.attributes.find((a) => a.name === 'birthdate')?.level).toBe('checked_at_counter');
});

test('away from a workstation, the desk says filings carry the web channel and certifying is not offered', async ({ page }) => {
  const desk = await createAgent('Agent Mairie Annexe', ['MRU']);
  const resident = await residentWithPhone('Inès', 'Chabert');
  await signIn(page, desk);
  await page.goto('/agents/guichet');
  await expect(page.getByRole('heading', { level: 1, name: 'Accueil des usagers' })).toBeVisible();
  await expect(page.getByText('portera le canal « site web »')).toBeVisible();
  await search(page, resident.name);
  await page.getByRole('link', { name: `Certifier une information de ${resident.name}` }).click();
  await expect(page.getByText("Votre session n'a pas été ouverte depuis un poste d'accueil enregistré")).toBeVisible();
  await expect(page.getByRole('button', { name: 'Certifier' })).toHaveCount(0);
  await expectAccessible(page, 'certifying away from a counter');
});

test('a counter agent files a procedure for a caller without account, with the residents’ own form', async ({ browser }) => {
  const desk = await createAgent('Agent Accueil Démarches', ['MRU']);
  const page = await atTheCounter(browser, desk);

  await page.getByRole('link', { name: 'Une démarche', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Démarche pour un usager' })).toBeFocused();
  await settled(page);
  await page.getByRole('searchbox', { name: 'Filtrer les démarches' }).fill('legalisation');
  await expect(page.getByRole('status').filter({ hasText: /^Une démarche\.$/ })).toBeVisible();
  await expectAccessible(page, 'the desk catalogue');
  await page.getByRole('link', { name: /Légalisation de signature/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Légalisation de signature/ })).toBeFocused();

  // The same steps and checks as on the portal.
  await page.getByRole('button', { name: 'Continuer' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await page.getByLabel('Nom et prénoms du signataire').fill('Paul Arnaud');
  await page.getByLabel('Nature du document').fill('Attestation sur l’honneur');
  await page.getByRole('button', { name: 'Continuer' }).click();
  await page.getByLabel('Nom', { exact: true }).fill('Arnaud');
  await page.getByLabel('Prénom', { exact: true }).fill('Paul');
  await page.getByLabel('Adresse e-mail', { exact: true }).fill('paul.arnaud@example.org');
  await page.getByRole('button', { name: 'Continuer' }).click();

  // The last step: the caller's contact, taken from the answers.
  await expect(page.getByRole('heading', { name: /Vérifier et envoyer/ })).toBeFocused();
  await expect(page.locator('#usager-courriel')).toHaveValue('paul.arnaud@example.org');
  await page.locator('#usager-telephone').fill('12');
  await page.getByRole('button', { name: 'Enregistrer la démarche' }).click();
  await expect(page.locator('#usager-telephone-erreur')).toContainText('téléphone');
  await expectAccessible(page, 'a procedure for a caller, refused');
  await page.locator('#usager-telephone').fill('04 42 00 00 00');
  await page.getByRole('button', { name: 'Enregistrer la démarche' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Démarche enregistrée' })).toBeFocused();
  await expect(page.getByText('Déposé pour un usager sans compte, canal « accueil en mairie »')).toBeVisible();
  const number = (await page.locator('.tracking-number.large').textContent())?.trim() ?? '';
  const demand = await expectJson<{ channel: string; dossier?: { contact: { phone: string } } }>(
    await call(`/api/v1/demands/${number}`, { token: desk.token }),
  );
  expect(demand.channel).toBe('counter');
  expect(demand.dossier?.contact.phone).toContain('04 42');
});

test('a parking-fine dispute for a resident: holder filled in, pieces checked, the service’s refusal at its field', async ({ browser }) => {
  const desk = await createAgent('Agent Accueil Recours', ['MRU']);
  const resident = await residentWithPhone('Yanis', 'Mercier');
  const page = await atTheCounter(browser, desk);
  await search(page, resident.phone);
  await page.getByRole('link', { name: `Un recours FPS pour ${resident.name}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Recours contre un forfait post-stationnement' })).toBeFocused();
  await expect(page.getByLabel('Nom du titulaire')).toHaveValue(resident.name);
  await expect(page.getByLabel('Téléphone')).toHaveValue(resident.phone);

  await page.getByRole('button', { name: 'Enregistrer le recours' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('#numero-avis-erreur')).toBeVisible();
  await expect(page.locator('#piece-avis-erreur')).toBeVisible();
  await expectAccessible(page, 'the dispute form with errors');

  // A notice the registry does not know: refused by the service, next to the number.
  await page.getByLabel("Numéro de l'avis de paiement").fill('99999999999999999999999999');
  await page.getByRole('textbox', { name: 'Immatriculation' }).fill('ZZ-999-ZZ');
  await page.getByLabel('Les faits').fill('Stationné devant le domicile, ticket payé à l’horodateur.');
  await page.getByLabel('Les motifs').fill('Le ticket couvrait toute la durée du stationnement.');
  await page.getByLabel("Copie de l'avis de paiement").setInputFiles(join(import.meta.dirname, 'fixtures', 'justificatif.pdf'));
  await page.getByLabel("Copie du certificat d'immatriculation").setInputFiles(join(import.meta.dirname, 'fixtures', 'justificatif.pdf'));
  await page.getByRole('button', { name: 'Enregistrer le recours' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('#numero-avis-erreur')).not.toBeEmpty();

  // The police's registry holds the notice, notified today: filed, on the counter's channel.
  const police = await createAgent('Agent Police', ['POLICE_MUN']);
  const notice = `2027${String(Date.now()).padStart(19, '0')}${Math.floor(Math.random() * 1000).toString().padStart(3, '0')}`;
  const plate = `DK-${100 + Math.floor(Math.random() * 900)}-GU`;
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
  const imported = await call('/api/v1/rapo/fps/import', {
    method: 'POST',
    token: police.token,
    headers: { 'content-type': 'text/csv' },
    body: [
      'notice_number;plate;offence_at;place;amount_cents;issuing_agent;notified_on;notification_channel',
      `${notice};${plate};${today} 09:40;Place des Prêcheurs;3500;AG-4321;${today};pare_brise`,
    ].join('\n'),
  });
  expect(await imported.json()).toMatchObject({ imported: 1, rejected: [] });
  await page.getByLabel("Numéro de l'avis de paiement").fill(notice);
  await page.getByRole('textbox', { name: 'Immatriculation' }).fill(plate);
  await page.getByRole('button', { name: 'Enregistrer le recours' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Recours enregistré' })).toBeFocused();
  await expect(page.getByText(`Déposé pour ${resident.name}, canal « accueil en mairie »`)).toBeVisible();
  await expect(page.getByText('La Ville doit répondre au plus tard le')).toBeVisible();
  await expectAccessible(page, 'a dispute filed for a resident');

  // Filed for their account: the resident finds it in their own demands at once.
  const number = (await page.locator('.tracking-number.large').textContent())?.trim() ?? '';
  const signedIn = await expectJson<{ access_token: string }>(
    await call('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ email: resident.email, password: resident.password }) }),
  );
  const mine = await expectJson<{ tracking_number: string; kind: string }[]>(
    await call('/api/v1/me/demands', { token: signedIn.access_token }),
  );
  expect(mine.find((d) => d.tracking_number === number)?.kind).toBe('rapo');
});
