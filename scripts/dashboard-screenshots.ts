/**
 * `npm run screenshots`: the dashboard's pictures in docs/ (PNG), made with the tests' own
 * tooling: a synthetic-objective study (test/dashboard/fixtures.ts), a one-iteration model folder
 * with validation cases, the built front end, and Debian's Chromium (test/helpers/browser.ts).
 *
 *   docs/dashboard-overview.png   study facts, schedule, the report's plots, trials
 *   docs/dashboard-trial.png      a trial: configuration, U-Net diagram, cost
 *   docs/dashboard-viewer.png     a validation case with ground truth and prediction overlays
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildDashboard } from './build-dashboard.mjs';
import { startDashboard } from '../src/dashboard/server.js';
import { launchChromium } from '../test/helpers/browser.js';
import { TINY } from '../test/helpers/tiny-model.js';
import { syntheticStudy, trainValidatedModel } from '../test/dashboard/fixtures.js';

const DOCS = resolve(import.meta.dirname, '..', 'docs');

async function main(): Promise<void> {
  await buildDashboard();
  const chromium = await launchChromium({ width: 1280, height: 1000 });
  if (!chromium.browser) throw new Error(chromium.reason);
  const dir = mkdtempSync(join(tmpdir(), 'hnas-screenshots-'));
  try {
    const { study } = await syntheticStudy(dir, 1000);
    const model = await trainValidatedModel(dir);
    const dashboard = await startDashboard({ study, models: [model], dataset: TINY, port: 0 });
    try {
      const page = await chromium.browser.newPage();
      await page.goto(dashboard.url);
      await page.waitForSelector('#chart-distributions svg');
      await page.screenshot({ path: join(DOCS, 'dashboard-overview.png'), fullPage: true });
      const incumbent = await page.getAttribute('#incumbent', 'data-trial');
      await page.goto(`${dashboard.url}#/trial/${incumbent}`);
      await page.waitForSelector('#architecture');
      await page.screenshot({ path: join(DOCS, 'dashboard-trial.png'), fullPage: true });
      await page.goto(`${dashboard.url}#/viewer/model/0`);
      await page.waitForSelector('#viewer-status[data-loaded]');
      await page.click('button[data-view="all"]');
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(DOCS, 'dashboard-viewer.png') });
      process.stdout.write(`screenshots written to ${DOCS}/dashboard-{overview,trial,viewer}.png\n`);
    } finally {
      await dashboard.close();
    }
  } finally {
    await chromium.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
