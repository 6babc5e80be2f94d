/**
 * What the city's staff set up before residents come: the starting catalogue of
 * teleservices, seeded by the administrator (idempotent, so a platform already seeded
 * by `infra/run` is left as it is).
 */
export default async function seed(): Promise<void> {
  const base = process.env.GUICHET_URL;
  // The test command's platform, or the local demo's (`infra/run`).
  const password = process.env.GUICHET_ADMIN_PASSWORD ?? 'guichet-admin-demo';
  const login = await fetch(`${base}/api/v1/agent/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'admin', password }),
  });
  if (!login.ok) throw new Error(`administrator login: ${login.status} ${await login.text()}`);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const seeded = await fetch(`${base}/api/v1/admin/teleservices/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{}',
  });
  if (!seeded.ok) throw new Error(`seeding the catalogue: ${seeded.status} ${await seeded.text()}`);
}
