import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** `docs/screens/` at the repository's root: the README shows them. */
const SCREENS = join(import.meta.dirname, '..', '..', '..', 'docs', 'screens');

/** Saves the whole page as `docs/screens/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  // Fixed-size previews keep the README's pictures comparable run to run.
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** Every axe-core rule (WCAG A/AA and best practices) passes on the page as shown. */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const readable = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  expect(readable, `axe-core violations on ${state}`).toEqual([]);
}

/** The portal has loaded the city and the page's data (no "Chargement…" left). */
export async function settled(page: Page): Promise<void> {
  await expect(page.getByText(/^Chargement/)).toHaveCount(0);
}

/** Where the platform's mail lands (`mail/*.json`): the test command's, or `infra/run`'s. */
const OUTBOX = process.env.GUICHET_OUTBOX ?? join(import.meta.dirname, '..', '..', '..', '.guichet', 'outbox');

interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** The path and query of the first link to `page` in the newest mail sent to `to`. */
export async function linkInMail(to: string, page: string): Promise<string> {
  let found = '';
  await expect
    .poll(
      () => {
        const dir = join(OUTBOX, 'mail');
        const mails = readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .reverse()
          .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Mail);
        const mail = mails.find((m) => m.to === to && m.text.includes(page));
        const url = mail?.text.match(new RegExp(`https?://\\S*${page}\\?\\S+`))?.[0];
        found = url ? new URL(url).pathname + new URL(url).search : '';
        return found;
      },
      { message: `a mail to ${to} with a link to ${page}`, timeout: 20_000 },
    )
    .not.toBe('');
  return found;
}

/** The token of the address-confirmation link last mailed to `to`. */
export async function verificationToken(to: string): Promise<string> {
  const link = await linkInMail(to, '/compte/verifier-email');
  return new URL(link, 'http://localhost').searchParams.get('jeton') ?? '';
}
