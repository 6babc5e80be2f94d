import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';

const BASE = process.env.GUICHET_URL ?? '';
const ADMIN_PASSWORD = process.env.GUICHET_ADMIN_PASSWORD ?? 'guichet-admin-demo';
const PHOTO = join(import.meta.dirname, 'fixtures', 'nid-de-poule.png');
/** `%PDF-1.4` and a comment: a PDF as far as the service's sniffing goes. */
const PDF = Buffer.from('%PDF-1.4\n%avis de paiement\n');

async function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(`${BASE}${path}`, { ...init, headers });
}

async function login(path: string, body: object): Promise<string> {
  const answer = await call(path, { method: 'POST', body: JSON.stringify(body) });
  expect(answer.status, `${path}: ${await answer.clone().text()}`).toBe(200);
  return ((await answer.json()) as { access_token: string }).access_token;
}

/** A municipal police agent, created by the administrator, signed in. */
async function policeAgent(): Promise<string> {
  const admin = await login('/api/v1/agent/login', { login: 'admin', password: ADMIN_PASSWORD });
  const name = `police-${Date.now().toString(36)}`;
  const password = `${name}-mot-de-passe`;
  const created = await call('/api/v1/admin/agents', {
    method: 'POST',
    token: admin,
    body: JSON.stringify({ login: name, password, name: 'Agent de police', departments: ['POLICE_MUN'], roles: ['agent'] }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  return login('/api/v1/agent/login', { login: name, password });
}

/** Today in Paris, `YYYY-MM-DD`: a notice notified today can be disputed for a month. */
function parisToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
}

test('a resident files a RAPO with its pieces, follows it, and downloads the decision letter', async ({ page }) => {
  // The police import the notice from their system (`tests/tests/rapo.rs`'s format).
  const police = await policeAgent();
  const notice = `2026${String(Date.now()).padStart(22, '0')}`;
  const plate = 'FP-' + String(100 + Math.floor(Math.random() * 900)) + '-RX';
  const today = parisToday();
  const csv = [
    'notice_number;plate;offence_at;place;amount_cents;issuing_agent;notified_on;notification_channel',
    `${notice};${plate};${today} 10:15;Cours Mirabeau;3500;AG-1234;${today};pare_brise`,
  ].join('\n');
  const imported = await call('/api/v1/rapo/fps/import', {
    method: 'POST',
    token: police,
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
  expect(await imported.json()).toMatchObject({ imported: 1, rejected: [] });

  // From the home page; admissibility is explained before anything is typed.
  await page.goto('/');
  await settled(page);
  await page.getByRole('link', { name: 'Contester un forfait post-stationnement (FPS)' }).click();
  await expect(page).toHaveURL('/contester');
  await expect(page.getByRole('heading', { level: 1, name: 'Contester un forfait post-stationnement' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Dans quel délai' })).toBeVisible();
  await expect(page.getByText(/Un mois à compter de la notification/)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Les pièces à joindre' })).toBeVisible();
  await expectAccessible(page, 'the RAPO explanation');
  await screenshot(page, 'contester-conditions');

  await page.getByRole('button', { name: 'Commencer mon recours' }).click();
  await expect(page.getByRole('heading', { name: 'Votre recours' })).toBeFocused();
  await expectAccessible(page, 'the empty RAPO form');
  await screenshot(page, 'contester-formulaire');

  // Nothing filled: every missing thing is said next to its field.
  await page.getByRole('button', { name: 'Envoyer le recours' }).click();
  const summary = page.locator('.error-summary');
  await expect(summary).toBeFocused();
  await expect(page.getByLabel("Numéro de l'avis de paiement")).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#piece-avis-erreur')).toContainText("copie de l'avis de paiement");
  await expect(page.locator('#piece-certificat-erreur')).toContainText("certificat d'immatriculation");
  await expectAccessible(page, 'the RAPO form with errors');
  await screenshot(page, 'contester-erreurs');

  // A file that is not a PDF, JPEG or PNG is refused before anything is sent.
  await page.getByLabel("Copie de l'avis de paiement").setInputFiles({
    name: 'avis.docx',
    mimeType: 'application/pdf',
    buffer: Buffer.from('PK\u0003\u0004 pas un PDF'),
  });
  await expect(page.locator('#piece-avis-erreur')).toContainText("n'est ni un PDF");

  await page.getByLabel("Numéro de l'avis de paiement").fill(notice);
  // Not the notice's plate: the service's admissibility refusal comes back on the field.
  await page.getByLabel('Immatriculation du véhicule').fill('ZZ-999-ZZ');
  await page.getByLabel('Nom du titulaire').fill('Jeanne Martin');
  await page.getByLabel('Adresse du titulaire').fill('3 rue Espariat, 13100 Aix-en-Provence');
  await page.getByLabel('Adresse e-mail').fill('jeanne.martin@example.org');
  await page.getByLabel('Les faits').fill("Garée cours Mirabeau de 10 h à 11 h, ticket pris à l'horodateur à 9 h 58.");
  await page.getByLabel('Les motifs').fill('Stationnement payé : le ticket est joint.');
  await page.getByLabel("Copie de l'avis de paiement").setInputFiles({ name: 'avis.pdf', mimeType: 'application/pdf', buffer: PDF });
  await expect(page.locator('#piece-avis-erreur')).toHaveCount(0);
  await page.getByLabel("Copie du certificat d'immatriculation").setInputFiles({ name: 'carte-grise.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.getByLabel('Pièces justificatives').setInputFiles(PHOTO);
  await expect(page.getByText(/Fichier joint : avis\.pdf/)).toBeVisible();
  await expect(page.getByText('nid-de-poule.png (1 ko)')).toBeVisible();
  await expectAccessible(page, 'the RAPO form filled');
  await screenshot(page, 'contester-rempli');

  const attempts: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/v1/rapo/disputes') && r.method() === 'POST') attempts.push(r.headers()['idempotency-key'] ?? '');
  });
  await page.getByRole('button', { name: 'Envoyer le recours' }).click();
  const plateField = page.getByLabel('Immatriculation du véhicule');
  await expect(plateField).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#immatriculation-erreur')).toContainText("ne correspond pas à celle de l'avis");
  await expect(summary).toBeFocused();

  await plateField.fill(plate.toLowerCase().replaceAll('-', ' '));
  const filing = page.waitForResponse((r) => r.url().endsWith('/api/v1/rapo/disputes') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Envoyer le recours' }).click();
  const answer = await filing;
  expect(answer.status()).toBe(201);
  const filed = page.getByRole('heading', { name: 'Votre recours est enregistré' });
  await expect(filed).toBeFocused();
  // One key per attempt: the corrected dispute is a new one.
  expect(attempts).toHaveLength(2);
  expect(attempts[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(attempts[1]).toMatch(/^[0-9a-f-]{36}$/);
  expect(attempts[1]).not.toBe(attempts[0]);
  const body = (await answer.json()) as { tracking_number: string; pieces: { role: string }[]; answer_by: string };
  expect(body.pieces.map((p) => p.role).sort()).toEqual(['payment_notice', 'registration_certificate', 'supporting']);
  const number = (await page.locator('.tracking-number').textContent())?.trim() ?? '';
  expect(number).toBe(body.tracking_number);
  await expect(page.getByText(/La Ville doit vous répondre au plus tard le/)).toBeVisible();
  await expect(page.getByRole('link', { name: 'Voir son historique' })).toHaveAttribute('href', `/suivi/${number}`);
  await expectAccessible(page, 'the filed RAPO');
  await screenshot(page, 'contester-enregistre');

  // The police decide.
  const decided = await call(`/api/v1/rapo/disputes/${number}/decision`, {
    method: 'POST',
    token: police,
    body: JSON.stringify({ decision: 'rejet', reasons: "Le ticket joint a été pris après l'heure du contrôle." }),
  });
  expect(decided.status, await decided.clone().text()).toBe(200);

  await page.getByRole('link', { name: 'Suivre ce recours' }).click();
  await expect(page).toHaveURL(`/contester/${number}`);
  await expect(page.getByRole('heading', { name: 'La décision' })).toBeVisible();
  await expect(page.getByText('Recours rejeté', { exact: true })).toBeVisible();
  await expect(page.getByText(/tribunal du stationnement payant/i).first()).toBeVisible();
  await expectAccessible(page, 'the decided dispute');
  await screenshot(page, 'contester-decision');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Télécharger la lettre de décision' }).click();
  const letter = await download;
  expect(letter.suggestedFilename()).toBe(`decision-rapo-${number}.txt`);
  const text = readFileSync(await letter.path(), 'utf8');
  expect(text).toContain('Jeanne Martin');
  expect(text).toContain(notice);
  // What the API serves: French plain text.
  const served = await call(`/api/v1/rapo/disputes/${number}/letter`);
  expect(served.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  expect(await served.text()).toBe(text);
});

test('an unknown dispute number is said so, with a way to type another', async ({ page }) => {
  await page.goto('/contester/ZZZZ-ZZZZ-ZZZZ-ZZ');
  await settled(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Suivre un recours' })).toBeVisible();
  await expect(page.getByLabel('Numéro de suivi')).toHaveValue('ZZZZ-ZZZZ-ZZZZ-ZZ');
  await expectAccessible(page, 'an unknown dispute');
});
