/**
 * What the intranet's browser tests share: calls to the platform as admin, agents made
 * for one test, and signing an agent in at `/agents/`. Each test makes its own agents
 * (unique logins), so tests never depend on demo data or on each other.
 */

import { expect, type Page } from '@playwright/test';
import { settled } from './helpers';

const BASE = process.env.GUICHET_URL ?? '';
export const ADMIN_PASSWORD = process.env.GUICHET_ADMIN_PASSWORD ?? 'guichet-admin-demo';

/** A call to the platform's API, JSON by default, with a bearer token when given. */
export async function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(`${BASE}${path}`, { ...init, headers });
}

/** The JSON answer of a call that must succeed with `status`. */
export async function expectJson<T>(answer: Response, status = 200): Promise<T> {
  const text = await answer.text();
  expect(answer.status, `${answer.url}: ${text}`).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function agentToken(login: string, password: string): Promise<string> {
  const answer = await call('/api/v1/agent/login', { method: 'POST', body: JSON.stringify({ login, password }) });
  return (await expectJson<{ access_token: string }>(answer)).access_token;
}

export function adminToken(): Promise<string> {
  return agentToken('admin', ADMIN_PASSWORD);
}

export interface TestAgent {
  id: string;
  login: string;
  password: string;
  name: string;
  token: string;
}

/** A new agent of `departments` with `roles`, created by the administrator and signed in. */
export async function createAgent(
  name: string,
  departments: string[],
  roles: string[] = ['agent'],
): Promise<TestAgent> {
  const admin = await adminToken();
  const login = `${name.toLowerCase().replace(/[^a-z]+/g, '-')}-${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
  const password = `${login}-mot-de-passe`;
  const created = await expectJson<{ id: string }>(
    await call('/api/v1/admin/agents', {
      method: 'POST',
      token: admin,
      body: JSON.stringify({ login, password, name, departments, roles }),
    }),
    201,
  );
  return { id: created.id, login, password, name, token: await agentToken(login, password) };
}

/** Signs `agent` in at `/agents/` through the login form; ends on "Mon travail". */
export async function signIn(page: Page, agent: { login: string; password: string }): Promise<void> {
  await page.goto('/agents/');
  await page.getByLabel('Identifiant').fill(agent.login);
  await page.getByLabel('Mot de passe').fill(agent.password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mon travail' })).toBeVisible();
  await expect(page.getByText('Fil en direct connecté')).toBeVisible();
  await settled(page);
}

/** A complaint filed without account through the API; answers its tracking number. */
export async function fileComplaint(category: string, description: string, email = 'usager@example.org'): Promise<string> {
  const answer = await call('/api/v1/complaints', {
    method: 'POST',
    body: JSON.stringify({
      category,
      description,
      // Spread over the centre, so earlier runs' complaints are not taken for duplicates.
      location: { latitude: 43.52 + Math.random() * 0.02, longitude: 5.44 + Math.random() * 0.02, address: 'Cours Mirabeau' },
      contact: { email },
    }),
  });
  return (await expectJson<{ tracking_number: string }>(answer, 201)).tracking_number;
}
