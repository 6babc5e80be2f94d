import { defineConfig } from '@playwright/test';

// The portal to test: a gateway serving it, or `vite preview` in front of one.
const baseURL = process.env.GUICHET_URL;
if (!baseURL) {
  throw new Error(
    'GUICHET_URL is not set: give the address the portal is served at, e.g. ' +
      'GUICHET_URL=http://127.0.0.1:4173 npm run test:browser',
  );
}

export default defineConfig({
  testDir: 'tests',
  // The starting catalogue, as the city's administrator loads it.
  globalSetup: './tests/global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // Tests share one platform on a 2-core machine; one browser at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  reporter: [['list']],
  use: {
    baseURL,
    browserName: 'chromium',
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    // Debian's Chromium (`apt-get install chromium`): Playwright never downloads one.
    launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    trace: 'retain-on-failure',
  },
});
