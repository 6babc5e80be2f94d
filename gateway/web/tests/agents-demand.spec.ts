/**
 * The intranet's demand page (issue 16): a RAPO dispute arriving live in the police's
 * tab, its dossier and decision, what the resident then reads in the portal; and a
 * complaint taken, put to its resident, answered live and resolved by a roads agent.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';
import { adminToken, call, createAgent, expectJson, fileComplaint, signIn } from './agents-helpers';

/** `%PDF-1.4` and a comment: a PDF as far as the service's sniffing goes. */
const PDF = Buffer.from('%PDF-1.4\n%avis de paiement\n').toString('base64');
const PHOTO = readFileSync(join(import.meta.dirname, 'fixtures', 'nid-de-poule.png')).toString('base64');

/** Today in Paris, `YYYY-MM-DD`: a notice notified today can be disputed for a month. */
function parisToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
}

/** `samedi 5 décembre 2026`: a Paris day as the dossier writes it. */
function frenchDay(date: string): string {
  return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'full', timeZone: 'Europe/Paris' }).format(new Date(`${date}T12:00:00Z`));
}

interface Notice {
  number: string;
  plate: string;
  day: string;
}

/** An FPS notice of 35 € issued today at 10:15, imported by the administrator (the police's CSV). */
async function importNotice(): Promise<Notice> {
  const number = `2027${String(Date.now())}${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`.slice(0, 26);
  const plate = `DM-${String(100 + Math.floor(Math.random() * 900))}-RX`;
  const day = parisToday();
  const csv = [
    'notice_number;plate;offence_at;place;amount_cents;issuing_agent;notified_on;notification_channel',
    `${number};${plate};${day} 10:15;Cours Mirabeau;3500;AG-4242;${day};pare_brise`,
  ].join('\n');
  const imported = await expectJson<{ imported: number; rejected: unknown[] }>(
    await call('/api/v1/rapo/fps/import', {
      method: 'POST',
      token: await adminToken(),
      headers: { 'content-type': 'text/csv' },
      body: csv,
    }),
  );
  expect(imported).toMatchObject({ imported: 1, rejected: [] });
  return { number, plate, day };
}

/** A dispute filed without account, as the portal files it; its number. */
async function fileDispute(notice: Notice, email: string): Promise<string> {
  const piece = (filename: string) => ({ filename, content_base64: PDF });
  const filed = await expectJson<{ tracking_number: string }>(
    await call('/api/v1/rapo/disputes', {
      method: 'POST',
      headers: { 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({
        notice_number: notice.number,
        plate: notice.plate,
        holder: { name: 'Jeanne Martin', address: '3 rue Espariat, 13100 Aix-en-Provence' },
        contact: { email },
        facts: "Garée cours Mirabeau de 10 h à 11 h, ticket pris à l'horodateur à 9 h 58.",
        grounds: "Stationnement payé jusqu'à 10 h 30 : le ticket est joint.",
        pieces: { payment_notice: piece('avis.pdf'), registration_certificate: piece('carte-grise.pdf') },
      }),
    }),
    201,
  );
  return filed.tracking_number;
}

/** The label of the agent's tab `code`, as `GET /api/v1/agent/tabs` gives it. */
async function tabLabel(token: string, code: string): Promise<string> {
  const { tabs } = await expectJson<{ tabs: { code: string; label: string }[] }>(await call('/api/v1/agent/tabs', { token }));
  const tab = tabs.find((t) => t.code === code);
  expect(tab, `tab ${code}`).toBeTruthy();
  return tab?.label ?? '';
}

/** The value of the fact `term` in the page's `dl.facts`. */
function fact(page: Page, term: string | RegExp) {
  return page.locator('dl.facts > dt').filter({ hasText: term }).locator('xpath=following-sibling::dd[1]');
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('a police agent sees a RAPO dispute arrive live, messages the resident and decides partially; the resident reads both', async ({ page }) => {
  const police = await createAgent('Agent de police', ['POLICE_MUN']);
  const notice = await importNotice();
  const label = await tabLabel(police.token, 'rapo');

  await signIn(page, police);
  const tab = page.getByRole('navigation', { name: 'Mes onglets' }).getByRole('link', { name: new RegExp(`^${escaped(label)}`) });
  await tab.click();
  await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible();
  await settled(page);

  // Filed while the tab is open: it shows without reload.
  const email = `jeanne.${Date.now().toString(36)}@example.org`;
  const number = await fileDispute(notice, email);
  const arrived = page.locator('ul.feed li').filter({ hasText: number });
  await expect(arrived).toBeVisible();
  await arrived.getByRole('link').click();
  await expect(page).toHaveURL(`/agents/demandes/${number}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Recours RAPO');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(number);
  await settled(page);

  // The due date and the time left, at the top; the dossier with the offence's day and time.
  await expect(page.locator('.due')).toContainText(/Échéance :.*reste/);
  await expect(page.locator('.due')).toContainText('Déposée');
  await expect(fact(page, "Jour et heure de l'infraction")).toHaveText(`le ${frenchDay(notice.day)} à 10 h 15`);
  await expect(fact(page, 'Avis de paiement')).toHaveText(`n° ${notice.number}`);
  await expect(fact(page, 'Montant')).toHaveText('35,00 €');
  await expect(fact(page, 'Agent verbalisateur')).toHaveText('AG-4242');
  await expect(fact(page, 'Réponse due au plus tard le')).toContainText(/reste \d+ jours/);
  await expect(fact(page, 'Adresse e-mail')).toHaveText(email);
  await expect(page.getByRole('link', { name: 'carte-grise.pdf' })).toBeVisible();
  // The acknowledgement of filing went to that address: the agents see it, masked.
  await expect(page.getByRole('table', { name: "Envois à l'usager" })).toContainText(/j•••@example\.org/);
  // Opening it marked its feed items read.
  await expect
    .poll(async () => {
      const feed = await expectJson<{ items: { tracking_number: string }[] }>(
        await call('/api/v1/agent/feed?unread=true&limit=500', { token: police.token }),
      );
      return feed.items.filter((i) => i.tracking_number === number).length;
    })
    .toBe(0);
  await expectAccessible(page, 'the RAPO dossier');
  await screenshot(page, 'agents-rapo-dossier');

  // A message to the resident, in the history at once.
  const message = 'Bonjour, pouvez-vous nous transmettre une photo lisible du ticket ?';
  await page.getByLabel("Message à l'usager", { exact: true }).fill(message);
  await page.getByRole('button', { name: 'Envoyer le message' }).click();
  await expect(page.getByRole('status').filter({ hasText: "Message envoyé à l'usager" })).toBeVisible();
  const history = page.locator('ol.timeline');
  await expect(history).toContainText(message);
  await expect(history.locator('li').filter({ hasText: message })).toContainText("Message à l'usager");

  // A partial cancellation: an amount above the notice's and no reasons are refused at their fields.
  await page.getByLabel('Annulation partielle : montant rectifié').check();
  const amount = page.getByLabel('Montant rectifié, en euros');
  await amount.fill('50');
  await page.getByRole('button', { name: 'Prévisualiser la lettre' }).click();
  await expect(page.locator('#montant-rectifie-erreur')).toContainText('inférieur au montant du forfait');
  await expect(page.locator('#motifs-erreur')).toContainText('Motivez la décision');
  await expect(amount).toHaveAttribute('aria-invalid', 'true');

  await amount.fill('17,50');
  await page.getByLabel('Motifs de la décision').fill('Le ticket couvre la première demi-heure : seul le reste est dû.');
  await page.getByRole('button', { name: 'Prévisualiser la lettre' }).click();
  const preview = page.getByRole('heading', { name: /Aperçu de la lettre/ });
  await expect(preview).toBeFocused();
  await expect(page.locator('pre.letter')).toContainText('le montant du forfait est ramené de 35,00 € à 17,50 €');
  await expect(page.locator('pre.letter')).toContainText('Jeanne Martin');
  await expectAccessible(page, 'the decision form with the letter previewed');

  await page.getByRole('button', { name: 'Envoyer la décision' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Décision envoyée' })).toContainText('17,50 €');
  await expect(page.locator('.due')).toContainText('Résolue');
  await expect(page.getByRole('heading', { name: 'La décision' })).toBeVisible();
  await expect(fact(page, 'Décision')).toHaveText('Forfait partiellement annulé');
  await expect(fact(page, 'Montant rectifié')).toContainText('17,50 €');
  const letterLink = page.getByRole('link', { name: /Télécharger la lettre de décision/ });
  await expect(letterLink).toBeVisible();
  const download = page.waitForEvent('download');
  await letterLink.click();
  expect((await download).suggestedFilename()).toBe(`decision-rapo-${number}.txt`);
  // Decided: no more status actions nor messages.
  await expect(page.getByRole('button', { name: 'Envoyer le message' })).toHaveCount(0);
  await expect(page.getByText('son statut ne change plus')).toBeVisible();

  // The resident, by number in the portal: the message in the history, then the letter.
  await page.goto(`/suivi/${number}`);
  await settled(page);
  await expect(page.getByText(message)).toBeVisible();
  await expect(page.locator('dl.facts')).toContainText('Résolue');
  // From the follow page, the way to the decision: the dispute's own page.
  await page.getByRole('link', { name: 'Voir le recours, la décision et sa lettre' }).click();
  await expect(page).toHaveURL(`/contester/${number}`);
  await settled(page);
  await expect(page.getByText('Forfait partiellement annulé').first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Télécharger la lettre de décision' })).toBeVisible();
});

test('a roads agent takes a complaint, asks the resident, sees the answer live and resolves it; a rejection needs its reason', async ({ page }) => {
  const agent = await createAgent('Agent Voirie', ['VOIRIE']);
  const number = await fileComplaint('NID_DE_POULE', 'Nid-de-poule profond devant le n° 12, dangereux pour les vélos.', 'paul@example.org');
  await expectJson(
    await call(`/api/v1/demands/${number}/photos`, {
      method: 'POST',
      body: JSON.stringify({ filename: 'trou.png', content_base64: PHOTO }),
    }),
    201,
  );

  await signIn(page, agent);
  await page.goto(`/agents/demandes/${number}`);
  await settled(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(number);
  await expect(page.locator('.due')).toContainText(/Échéance :.*reste/);
  await expect(page.locator('.due')).toContainText('Déposée');
  await expect(fact(page, 'Service')).toHaveText('Voirie');
  await expect(fact(page, 'Canal de dépôt')).toHaveText('site web');
  await expect(fact(page, 'Adresse e-mail')).toHaveText('paul@example.org');
  await expect(page.getByText('Nid-de-poule profond devant le n° 12')).toBeVisible();
  // The photo needs the agent's token: shown from a blob.
  const photo = page.getByRole('img', { name: /Photo 1 jointe au signalement/ });
  await expect(photo).toBeVisible();
  expect(await photo.getAttribute('src')).toMatch(/^blob:/);
  expect(await photo.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(page.getByRole('application', { name: /Carte du lieu/ })).toBeVisible();
  await expectAccessible(page, "a complaint's page");
  await screenshot(page, 'agents-demande');

  const save = page.getByRole('button', { name: 'Enregistrer le changement' });
  const reason = page.getByLabel("Motif, lu par l'usager");

  // A rejection without its reason: the fault at the field, the summary focused.
  await page.getByLabel('Rejeter la demande').check();
  await save.click();
  await expect(page.locator('#motif-erreur')).toContainText('Indiquez le motif du rejet');
  await expect(reason).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('.error-summary')).toBeFocused();
  await expectAccessible(page, 'a rejection without its reason');

  // Taken.
  await page.getByLabel('Prendre en charge').check();
  await save.click();
  await expect(page.getByRole('status').filter({ hasText: 'Statut enregistré' })).toContainText('en cours de traitement');
  await expect(page.locator('.due')).toContainText('En cours de traitement');
  await expect(page.getByLabel('Prendre en charge')).toHaveCount(0);

  // The resident is asked; their answer comes back live and hands the complaint back.
  await page.getByLabel("Demander un complément à l'usager").check();
  await reason.fill('Le trou est-il côté trottoir ou au milieu de la chaussée ?');
  await save.click();
  await expect(page.locator('.due')).toContainText("En attente de l'usager");
  const answer = 'Au milieu de la chaussée, à hauteur du passage piéton.';
  await expectJson(await call(`/api/v1/demands/${number}/messages`, { method: 'POST', body: JSON.stringify({ text: answer }) }));
  const answered = page.locator('ol.timeline li').filter({ hasText: answer });
  await expect(answered).toBeVisible();
  await expect(answered).toContainText("Message de l'usager");
  await expect(page.locator('.due')).toContainText('En cours de traitement');

  // Resolved: nothing more to do.
  await page.getByLabel('Résoudre la demande').check();
  await page.getByLabel('Précision').selectOption({ label: 'Réparé' });
  await reason.fill('Trou rebouché ce matin.');
  await save.click();
  await expect(page.getByRole('status').filter({ hasText: 'Statut enregistré' })).toContainText('résolue');
  await expect(page.locator('.due')).toContainText('Résolue — Réparé');
  await expect(page.getByText('son statut ne change plus')).toBeVisible();
  await expect(page.locator('ol.timeline')).toContainText('Trou rebouché ce matin.');
});

test('a demand outside the agent\'s services is said to be out of reach', async ({ page }) => {
  const agent = await createAgent('Agent Propreté', ['PROPRETE']);
  const number = await fileComplaint('NID_DE_POULE', 'Chaussée défoncée rue Espariat, à reprendre.');
  await signIn(page, agent);
  await page.goto(`/agents/demandes/${number}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Demande introuvable ou hors de vos services' })).toBeVisible();
  await expectAccessible(page, 'a demand out of reach');
});
