import { join } from 'node:path';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';

const PASSWORD = 'une phrase de passe solide';
const PIECE = join(import.meta.dirname, 'fixtures', 'nid-de-poule.png');

/** A unique suffix per run: agents, forms and accounts stay on the platform. */
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

async function tokenOf(answer: Awaited<ReturnType<APIRequestContext['post']>>, what: string): Promise<string> {
  expect(answer.status(), `${what}: ${await answer.text()}`).toBe(200);
  return ((await answer.json()) as { access_token: string }).access_token;
}

/** A call as someone: the token in `Authorization`. */
function as(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/**
 * What the city's staff do before and while a resident files: the administrator creates
 * an agent of the civil-status department who also designs forms; the agent publishes
 * a small procedure and later handles its demands.
 */
async function civilStatusAgent(request: APIRequestContext): Promise<{ token: string; slug: string }> {
  const admin = await tokenOf(
    await request.post('/api/v1/agent/login', {
      data: { login: 'admin', password: process.env.GUICHET_ADMIN_PASSWORD ?? 'guichet-admin-demo' },
    }),
    'administrator login',
  );
  const login = `etatcivil${RUN}`;
  const password = `${login}-mot-de-passe`;
  const created = await request.post('/api/v1/admin/agents', {
    headers: as(admin),
    data: { login, password, name: 'Agent état civil', departments: ['ETAT_CIVIL'], roles: ['agent', 'form_designer'] },
  });
  expect(created.status(), await created.text()).toBe(201);
  const token = await tokenOf(await request.post('/api/v1/agent/login', { data: { login, password } }), 'agent login');

  const slug = `attestation-${RUN}`;
  const saved = await request.post('/api/v1/agent/teleservices', {
    headers: as(token),
    data: {
      slug,
      title: 'Attestation de domicile (essai)',
      theme: 'ETAT_CIVIL',
      department: 'ETAT_CIVIL',
      description: "Demande d'attestation de domicile.",
      audience: { access: 'anonymous' },
      channels: ['web', 'app', 'kiosk', 'counter', 'phone'],
      sla_days: 10,
      pages: [
        {
          title: 'La demande',
          fields: [
            { id: 'nom', type: 'short_text', label: 'Nom de naissance', required: true },
            {
              id: 'usage',
              type: 'choice',
              label: "Usage de l'attestation",
              options: [
                { value: 'banque', label: 'Ouverture de compte bancaire' },
                { value: 'autre', label: 'Autre' },
              ],
            },
          ],
        },
      ],
    },
  });
  expect(saved.ok(), await saved.text()).toBe(true);
  const published = await request.post(`/api/v1/agent/teleservices/${slug}/state`, {
    headers: as(token),
    data: { state: 'published' },
  });
  expect(published.ok(), await published.text()).toBe(true);
  return { token, slug };
}

/** The resident of these tests, signed up once (sign-ups are few per hour and address). */
const email = `louise-${RUN}@example.org`;
let signedUp: Promise<void> | null = null;

async function resident(request: APIRequestContext): Promise<string> {
  signedUp ??= (async () => {
    const signed = await request.post('/api/v1/auth/signup', {
      data: { email, password: PASSWORD, attributes: { given_name: 'Louise', family_name: 'Bernard' } },
    });
    expect(signed.status(), await signed.text()).toBe(201);
  })();
  await signedUp;
  return tokenOf(await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } }), 'resident login');
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

test('a resident answers the service, adds a piece, sees the decision and rates it', async ({ page, request }) => {
  const agent = await civilStatusAgent(request);
  const token = await resident(request);

  const filing = await request.post(`/api/v1/teleservices/${agent.slug}/demands`, {
    headers: as(token),
    data: { data: { nom: 'Bernard', usage: 'banque' } },
  });
  expect(filing.status(), await filing.text()).toBe(201);
  const { tracking_number: number } = (await filing.json()) as { tracking_number: string };

  // The service asks for a piece.
  const asked = await request.post(`/api/v1/demands/${number}/status`, {
    headers: as(agent.token),
    data: { status: 'awaiting_resident', reason: 'Merci de joindre un justificatif de domicile de moins de trois mois.' },
  });
  expect(asked.ok(), await asked.text()).toBe(true);

  // The list, opened signed out, asks to sign in and then shows itself.
  await page.goto('/mes-demandes');
  await settled(page);
  await signIn(page, email);
  await expect(page.getByRole('heading', { level: 1, name: 'Mes demandes' })).toBeFocused();
  const card = page.getByRole('listitem').filter({ hasText: number });
  await expect(card).toContainText('Le service attend votre réponse.');
  await expect(card).toContainText('Démarche en ligne');
  await expectAccessible(page, 'my demands');
  await screenshot(page, 'mes-demandes');

  await card.getByRole('link', { name: 'Attestation de domicile (essai)' }).click();
  await expect(page).toHaveURL(`/mes-demandes/${number}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Attestation de domicile (essai)' })).toBeFocused();
  await expect(page.getByRole('heading', { name: 'Le service attend votre réponse' })).toBeVisible();
  await expect(page.getByText('Merci de joindre un justificatif de domicile de moins de trois mois.').first()).toBeVisible();
  await expect(page.locator('.status')).toHaveText('En attente de votre réponse');
  await expect(page.getByText('Réponse attendue au plus tard le')).toBeVisible();
  // The dossier in words, and the channel of each step.
  await expect(page.getByText('Ouverture de compte bancaire')).toBeVisible();
  await expect(page.locator('.timeline li').first()).toContainText('canal : site web');
  await expectAccessible(page, 'a demand awaiting the resident');
  await screenshot(page, 'mes-demandes-attente');

  // An empty message is refused next to its field.
  await page.getByRole('button', { name: 'Envoyer ma réponse' }).click();
  await expect(page.locator('#message')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#message')).toBeFocused();
  await expectAccessible(page, 'the answer with an error');

  // The answer hands the demand back to the agents.
  await page.getByLabel('Votre message').fill('Je vous envoie mon justificatif ci-joint.');
  await page.getByRole('button', { name: 'Envoyer ma réponse' }).click();
  await expect(page.getByText('le service reprend le traitement')).toBeVisible();
  await expect(page.locator('.status')).toHaveText('En cours de traitement');
  await expect(page.getByRole('heading', { name: 'Le service attend votre réponse' })).toHaveCount(0);

  // The piece.
  await page.getByLabel('Document', { exact: true }).setInputFiles(PIECE);
  await page.getByLabel('Quelques mots pour accompagner le document').fill('Facture d’électricité');
  await page.getByRole('button', { name: 'Envoyer le document' }).click();
  await expect(page.getByText('« nid-de-poule.png » est envoyé au service.')).toBeVisible();
  await expect(page.locator('.pieces')).toContainText('nid-de-poule.png');
  await expect(page.locator('.timeline')).toContainText('nid-de-poule.png');

  // The service decides; the resident sees the decision and rates it.
  const resolved = await request.post(`/api/v1/demands/${number}/status`, {
    headers: as(agent.token),
    data: { status: 'resolved', reason: 'Votre attestation est disponible à l’accueil de la mairie.' },
  });
  expect(resolved.ok(), await resolved.text()).toBe(true);
  await page.reload();
  await expect(page.locator('.status')).toHaveText('Résolue');
  const decision = page.getByRole('region', { name: 'Décision' });
  await expect(decision).toContainText('Votre attestation est disponible à l’accueil de la mairie.');
  await expect(page.getByRole('button', { name: 'Envoyer le message' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Donner mon avis' }).click();
  await expect(page.locator('#note-erreur')).toBeVisible();
  await expectAccessible(page, 'the rating with an error');
  await page.getByLabel('4 — Satisfait').check();
  await page.getByLabel('Commentaire').fill('Rapide et clair.');
  await screenshot(page, 'mes-demandes-decision');
  await page.getByRole('button', { name: 'Donner mon avis' }).click();
  await expect(page.getByText('Merci pour votre avis.')).toBeVisible();
  await expect(page.getByText(/la note de 4 sur 5/)).toBeVisible();
  await expectAccessible(page, 'a resolved demand, rated');

  // The rating shows as given from then on.
  await page.reload();
  await expect(page.getByText(/la note de 4 sur 5/)).toBeVisible();
  await expect(page.getByText('Votre commentaire : « Rapide et clair. »')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Donner mon avis' })).toHaveCount(0);
});

test('my demands come a page at a time, newest first', async ({ page, request }) => {
  const token = await resident(request);
  const numbers: string[] = [];
  for (let i = 0; i < 12; i += 1) {
    const filed = await request.post('/api/v1/complaints', {
      headers: as(token),
      data: {
        category: 'TAGS_GRAFFITIS',
        description: `Tag numéro ${i + 1} sur le mur de l'école.`,
        location: { latitude: 43.52 + i / 1000, longitude: 5.44, address: `${i + 1} rue de l'École` },
      },
    });
    expect(filed.status(), await filed.text()).toBe(201);
    numbers.push(((await filed.json()) as { tracking_number: string }).tracking_number);
  }

  await page.goto('/compte');
  await signIn(page, email);
  await page.getByRole('navigation', { name: 'Mon espace' }).getByRole('link', { name: 'Mes demandes' }).click();
  const items = page.locator('ol.demands > li');
  await expect(items).toHaveCount(10);
  await expect(items.first()).toContainText(numbers[11] ?? '');
  await expect(items.nth(9)).toContainText(numbers[2] ?? '');
  await page.getByRole('button', { name: 'Afficher les demandes plus anciennes' }).click();
  // The other test's demand, when it ran first, is older than these.
  await expect(items.nth(11)).toContainText(numbers[0] ?? '');
  await expect(items.nth(10)).toContainText(numbers[1] ?? '');
  await expect(items.nth(10).getByRole('link')).toBeFocused();
  await expect(page.getByRole('button', { name: 'Afficher les demandes plus anciennes' })).toHaveCount(0);
});
