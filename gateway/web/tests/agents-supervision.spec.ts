import { expect, test, type Locator, type Page } from '@playwright/test';
import { expectAccessible, screenshot, settled } from './helpers';
import { adminToken, call, createAgent, expectJson, fileComplaint, signIn } from './agents-helpers';

/** The department the test files in, and a category of it whose due date is the filing itself. */
const DEPARTMENT = 'PROPRETE';
/** How the dashboard names it (`GET /api/v1/agent/departments`). */
const NAME = 'Propreté';
const LATE_CATEGORY = 'ESSAI_SUPERVISION_RETARD';

interface Group {
  key: string;
  ratings: number;
}

interface Week {
  starts_on: string;
  received: number;
  answered: number;
}

/** The department's figures over four weeks, as its supervisor gets them from the API. */
async function figures(token: string): Promise<{ weeks: Week[]; departments: Group[] }> {
  return expectJson(await call(`/api/v1/agent/figures?department=${DEPARTMENT}&weeks=4`, { token }));
}

/** The current week's figures of the department. */
async function thisWeek(token: string): Promise<Week> {
  const week = (await figures(token)).weeks.at(-1);
  if (!week) throw new Error('no week in the figures');
  return week;
}

/** How many ratings the department's demands of the period have. */
async function ratings(token: string): Promise<number> {
  return (await figures(token)).departments.find((g) => g.key === DEPARTMENT)?.ratings ?? 0;
}

/** `30 novembre 2026`: how the dashboard names a week (by its Monday, Paris). */
function weekName(startsOn: string): string {
  return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' }).format(
    new Date(`${startsOn}T12:00:00Z`),
  );
}

/** A complaint of a category that is due at once (SLA of 0 days), so it is overdue as soon as filed. */
async function fileOverdueComplaint(): Promise<string> {
  const admin = await adminToken();
  const category = (active: boolean): Promise<Response> =>
    call(`/api/v1/admin/complaints/categories/${LATE_CATEGORY}`, {
      method: 'PUT',
      token: admin,
      body: JSON.stringify({
        label: 'Essai du tableau de supervision (à ignorer)',
        department: DEPARTMENT,
        priority: 'P3',
        sla_days: 0,
        competence: 'commune',
        active,
      }),
    });
  expect((await category(true)).ok).toBe(true);
  try {
    return await fileComplaint(LATE_CATEGORY, 'Essai : demande à traiter le jour même, restée sans réponse.');
  } finally {
    // Offered to residents only for the time of the filing.
    expect((await category(false)).ok).toBe(true);
  }
}

/** Opens every « Voir les chiffres » of `scope` not open yet. */
async function showNumbers(scope: Page | Locator): Promise<void> {
  const closed = scope.locator('details:not([open]) > summary');
  while ((await closed.count()) > 0) await closed.first().click();
}

/** The received and answered cells of the current week's row in the weekly table. */
async function shownWeek(page: Page, startsOn: string): Promise<{ received: number; answered: number }> {
  const weekly = page.getByRole('region', { name: 'Par semaine' });
  await showNumbers(weekly);
  const row = weekly.getByRole('row', { name: new RegExp(`^Semaine du ${weekName(startsOn)} \\(en cours\\)`) });
  const cells = row.getByRole('cell');
  return { received: Number(await cells.nth(0).textContent()), answered: Number(await cells.nth(1).textContent()) };
}

/** Demands a test left open, answered after it so no later run finds them overdue. */
const leftOpen: { number: string; token: string }[] = [];

test.afterEach(async () => {
  for (const { number, token } of leftOpen.splice(0)) {
    await call(`/api/v1/demands/${number}/status`, { method: 'POST', token, body: JSON.stringify({ status: 'resolved' }) });
  }
});

test("a supervisor's dashboard shows the figures of the demands the test filed", async ({ page }) => {
  const supervisor = await createAgent('Responsable Propreté', [DEPARTMENT], ['agent', 'supervisor']);
  const agent = await createAgent('Agent Propreté', [DEPARTMENT]);
  const categories = await expectJson<{ code: string; department: string }[]>(await call('/api/v1/complaints/categories'));
  const category = categories.find((c) => c.department === DEPARTMENT)?.code;
  if (!category) throw new Error(`no category of ${DEPARTMENT}`);
  const before = await thisWeek(supervisor.token);
  const ratedBefore = await ratings(supervisor.token);

  // Three complaints, two of them resolved by the department's agent; one more overdue at once.
  const filed: string[] = [];
  for (const street of ['rue Espariat', 'place des Prêcheurs', 'rue Mazarine']) {
    filed.push(await fileComplaint(category, `Essai de supervision : détritus répandus ${street}.`));
  }
  for (const number of filed.slice(0, 2)) {
    await expectJson(
      await call(`/api/v1/demands/${number}/status`, { method: 'POST', token: agent.token, body: JSON.stringify({ status: 'resolved' }) }),
    );
  }
  // Their residents rate the answers (the holder of the number may, without an account),
  // once the notifications service has taken the resolution in and invited them (the
  // e-mail that carries the invitation leaves at that same moment): until then, 409.
  for (const [i, number] of filed.slice(0, 2).entries()) {
    const rate = (): Promise<Response> =>
      call(`/api/v1/demands/${number}/rating`, { method: 'POST', body: JSON.stringify({ score: 5 - i }) });
    await expect.poll(async () => (await rate()).status, { timeout: 10_000 }).toBe(201);
  }
  const late = await fileOverdueComplaint();
  leftOpen.push({ number: late, token: agent.token }, { number: filed[2] ?? '', token: agent.token });

  // The figures are a read model fed by events: wait until they count the test's demands.
  await expect
    .poll(async () => {
      const week = await thisWeek(supervisor.token);
      const rated = await ratings(supervisor.token);
      return week.received - before.received >= 4 && week.answered - before.answered >= 2 && rated - ratedBefore >= 2;
    }, { timeout: 30_000 })
    .toBe(true);

  // The supervisor opens Supervision from the menu.
  await signIn(page, supervisor);
  await page.getByRole('link', { name: 'Supervision', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Supervision' })).toBeFocused();
  await settled(page);
  await expect(page.getByText(`Vos services : ${NAME}.`)).toBeVisible();

  // The overdue list: the late complaint, linked to its page, with how late it is.
  const overdue = page.getByRole('region', { name: 'Demandes en retard' });
  const lateRow = overdue.getByRole('row').filter({ hasText: late });
  await expect(lateRow).toContainText('en retard de');
  await expect(lateRow.getByRole('link', { name: late })).toHaveAttribute('href', `/agents/demandes/${late}`);
  for (const number of filed) await expect(overdue.getByRole('row').filter({ hasText: number })).toHaveCount(0);

  // The charts are there, named by what they show.
  await expect(page.getByRole('img', { name: /^Demandes reçues et traitées par semaine, sur 12 semaines/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /^Réponses au regard des échéances, par service/ })).toHaveAccessibleName(
    new RegExp(`${NAME} : \\d+ reçues?, \\d+ traitées?`),
  );

  // This week's received and answered, as the table shows them: what the API says, the test's demands included.
  await expect(async () => {
    const api = await thisWeek(supervisor.token);
    const shown = await shownWeek(page, api.starts_on);
    const again = await thisWeek(supervisor.token);
    if (api.received !== again.received || api.answered !== again.answered) {
      // Someone filed meanwhile: read the page afresh.
      await page.reload();
      await settled(page);
    }
    expect(shown).toEqual({ received: again.received, answered: again.answered });
  }).toPass({ timeout: 30_000 });
  const week = await thisWeek(supervisor.token);
  expect(week.received).toBeGreaterThanOrEqual(before.received + 4);
  expect(week.answered).toBeGreaterThanOrEqual(before.answered + 2);

  // Per department, the same numbers in words.
  const byDepartment = page.getByRole('region', { name: 'Par service' });
  await showNumbers(byDepartment);
  const propreté = byDepartment.getByRole('table', { name: /^Réponses au regard des échéances par service/ }).getByRole('row', { name: new RegExp(`^${NAME}`) });
  await expect(propreté.getByRole('cell').nth(0)).not.toHaveText('0');
  await expect(page.getByRole('img', { name: /^Satisfaction des usagers, note moyenne sur 5, par service/ })).toHaveAccessibleName(
    new RegExp(`${NAME} : [\\d,]+ sur 5`),
  );
  const rated = byDepartment.getByRole('table', { name: /^Satisfaction des usagers par service/ }).getByRole('row', { name: new RegExp(`^${NAME}`) });
  expect(Number(await rated.getByRole('cell').nth(1).textContent())).toBeGreaterThanOrEqual(ratedBefore + 2);

  await showNumbers(page);
  await expectAccessible(page, 'the supervision dashboard with its tables open');
  await screenshot(page, 'agents-supervision');

  // A shorter period: four weeks, one row each.
  await page.getByLabel('Période').selectOption('4');
  await page.getByRole('button', { name: 'Afficher' }).click();
  await settled(page);
  const weekly = page.getByRole('region', { name: 'Par semaine' });
  await expect(page.getByRole('img', { name: /^Demandes reçues et traitées par semaine, sur 4 semaines/ })).toBeVisible();
  await showNumbers(weekly);
  await expect(weekly.getByRole('table').locator('tbody tr')).toHaveCount(4);
});

test('the dashboard is for supervisors only', async ({ page }) => {
  const agent = await createAgent('Agent Propreté', [DEPARTMENT]);
  await signIn(page, agent);
  await expect(page.getByRole('link', { name: 'Supervision', exact: true })).toHaveCount(0);
  await page.goto('/agents/supervision');
  await expect(page.getByRole('heading', { level: 1, name: 'Supervision' })).toBeVisible();
  await expect(page.getByText('Cette page est réservée aux responsables de service.')).toBeVisible();
  await expectAccessible(page, 'the supervision page refused');
});
