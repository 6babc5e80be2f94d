import { mkdirSync } from 'node:fs';
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
