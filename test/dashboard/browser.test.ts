/// <reference lib="dom" />
/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core): a study of the
 * synthetic objective, a model folder with validation cases. Checked against the study's database
 * and `hnas predict`, not against the server's own answers.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../scripts/build-dashboard.mjs';
import { niftiValues, readNifti } from '../../src/data/nifti.js';
import { type Dashboard, startDashboard } from '../../src/dashboard/server.js';
import { launchChromium } from '../helpers/browser.js';
import { REPO } from '../helpers/imports.js';
import { runCli } from '../helpers/cli.js';
import { skipAllUnless } from '../helpers/skip.js';
import { TINY } from '../helpers/tiny-model.js';
import { syntheticStudy, trainValidatedModel } from './fixtures.js';

const chromium = await launchChromium();
const dir = mkdtempSync(join(tmpdir(), 'hnas-dashboard-'));
let dashboard: Dashboard;
let study: Awaited<ReturnType<typeof syntheticStudy>>;
let model: string;
let page: Page;
const errors: string[] = [];

interface Row { number: number; key: string; loss: number | null; cost: number | null; status: string }
/** The trials as the database holds them (independent of the server's code). */
function storedTrials(): Row[] {
  const db = new Database(join(study.study, 'study.db'), { readonly: true });
  try {
    return db.prepare('SELECT number, key, loss, cost, status FROM trials ORDER BY number').all() as Row[];
  } finally {
    db.close();
  }
}

/** Pixels of a screenshot (decoded by the browser itself) that are grey (the image), red (ground truth) or cyan (prediction). */
async function pixelClasses(p: Page, png: Buffer): Promise<{ grey: number; red: number; cyan: number; n: number }> {
  return p.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const d = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let grey = 0, red = 0, cyan = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i]!, d[i + 1]!, d[i + 2]!];
      if (r > 30 && Math.abs(r - g) < 8 && Math.abs(g - b) < 8) grey++;
      if (r > 150 && g < 110 && b < 110) red++;
      if (b > 150 && g > 100 && r < 120) cyan++;
    }
    return { grey, red, cyan, n: bitmap.width * bitmap.height };
  }, png.toString('base64'));
}

beforeAll(async () => {
  // The one test file that builds the front end (files run in parallel: two builds would collide).
  await buildDashboard();
  study = await syntheticStudy(dir, 6);
  if (!chromium.browser) return;
  model = await trainValidatedModel(dir);
  dashboard = await startDashboard({ study: study.study, models: [model], dataset: TINY, port: 0, pollMs: 200 });
  page = await chromium.browser.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} (${m.location().url})`));
  page.on('response', (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} ${r.url()}`));
  page.on('pageerror', (e) => errors.push(e.message));
}, 400_000); // a stale front end is rebuilt first (minutes on a loaded machine; npm ci builds it)

afterAll(async () => {
  await dashboard?.close();
  await chromium.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hnas dashboard (the command)', () => {
  it('serves the study on loopback until Ctrl-C', async () => {
    const child = spawn(process.execPath, [join(REPO, 'bin/hnas.mjs'), 'dashboard', study.study, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout.on('data', (c) => {
          out += String(c);
          const m = /(http:\/\/\S+\/)/.exec(out);
          if (m) ok(m[1]!);
        });
        child.on('exit', (code) => fail(new Error(`exited with ${code} before serving`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const s = (await (await fetch(`${url}api/study`)).json()) as { counts: { total: number } };
      expect(s.counts.total).toBe(storedTrials().length);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
      const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('hnas dashboard in Chromium', () => {
  skipAllUnless(!!chromium.browser, chromium.reason);

  it('shows the trial count and the incumbent the database holds, and the report plots', async () => {
    await page.goto(dashboard.url);
    await page.waitForSelector('#chart-pareto-front svg');
    const rows = storedTrials();
    const best = rows.filter((r) => r.status === 'complete').sort((a, b) => a.loss! - b.loss!)[0]!;
    expect(await page.getAttribute('#trial-count', 'data-total')).toBe(String(rows.length));
    expect(Number(await page.getAttribute('#incumbent', 'data-trial'))).toBe(best.number);
    expect(await page.locator('#trials tbody tr').count()).toBe(rows.length);
    expect(await page.locator('#chart-cost-over-time svg').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('updates when more trials finish', async () => {
    const before = storedTrials().length;
    await study.more(3);
    const after = storedTrials().length;
    expect(after).toBeGreaterThan(before);
    await page.waitForSelector(`#trial-count[data-total="${after}"]`, { timeout: 15_000 });
    expect(await page.locator('#trials tbody tr').count()).toBe(after);
  });

  it('a click on a Pareto-front point opens that trial, whose page draws its U-Net', async () => {
    const rows = storedTrials().filter((r) => r.status === 'complete' && r.cost !== null);
    const front = rows.filter((r) => !rows.some((o) => o.loss! <= r.loss! && o.cost! <= r.cost! && (o.loss! < r.loss! || o.cost! < r.cost!)));
    await page.waitForSelector('#chart-pareto-front svg');
    // The symbols of the points layer (not the legend's); Vega labels each with its tooltip fields.
    const points = page.locator('#chart-pareto-front .mark-symbol.role-mark path');
    expect(await points.count()).toBe(rows.length);
    const labels = await points.evaluateAll((ps) => ps.map((p) => p.getAttribute('aria-label') ?? ''));
    const trialOf = (label: string) => Number(/trial: (\d+)/.exec(label)?.[1]);
    const index = labels.findIndex((l) => front.some((f) => f.number === trialOf(l)) && !l.includes('role: default'));
    const target = points.nth(index >= 0 ? index : 0);
    const expected = trialOf(labels[index >= 0 ? index : 0]!);
    await target.scrollIntoViewIfNeeded();
    const box = (await target.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction((n) => location.hash === `#/trial/${n}`, expected);
    await page.waitForSelector('#architecture');
    expect(await page.textContent('#trial-title')).toBe(`Trial ${expected}`);
    // Stages drawn = the derivation tree's 'down' terminals + 1.
    const tree = await page.textContent('#tree');
    const stages = (tree!.match(/\bdown\b/g) ?? []).length + 1;
    expect(await page.locator('#architecture .encoder-stage').count()).toBe(stages);
    expect(await page.locator('#architecture .decoder-stage').count()).toBe(stages - 1);
  });

  it('the case viewer draws the image with the ground truth and prediction overlays', async () => {
    await page.goto(`${dashboard.url}#/viewer/model/0`);
    await page.waitForSelector('#viewer-status[data-loaded]', { timeout: 30_000 });
    await page.click('button[data-view="axial"]');
    await page.waitForTimeout(300);
    const { grey, red, cyan, n } = await pixelClasses(page, await page.locator('#viewer-canvas').screenshot());
    expect(grey / n).toBeGreaterThan(0.01);
    expect(red).toBeGreaterThan(20);
    const caseId = await page.getAttribute('#viewer-status', 'data-loaded');
    const predicted = niftiValues(readNifti(join(model, 'fold_0', 'validation', `${caseId}.nii.gz`))).some((v) => v > 0);
    if (predicted) expect(cyan).toBeGreaterThan(20);
    expect(errors).toEqual([]);
  });

  it('in-browser inference gives the segmentation `hnas predict` writes', async () => {
    const images = join(dir, 'images');
    mkdirSync(images);
    const image = join(images, 'tiny_001.nii.gz');
    copyFileSync(join(TINY, 'imagesTr', 'tiny_001.nii.gz'), image);
    const out = join(dir, 'predicted');
    expect((await runCli('predict', model, images, '-o', out, '--no-progress')).code).toBe(0);
    const expected = niftiValues(readNifti(join(out, 'tiny_001.nii.gz')));
    await page.goto(`${dashboard.url}#/infer/model/0`);
    await page.setInputFiles('#image-input', image);
    await page.waitForSelector('#inference-status[data-done]', { timeout: 30_000 });
    expect(await page.locator('#inference-error').count()).toBe(0);
    const got = await page.evaluate(() => Array.from((window as unknown as { hnasInference: { segmentation: Int16Array } }).hnasInference.segmentation));
    expect(got.length).toBe(expected.length);
    const differing = got.filter((v, i) => v !== expected[i]).length;
    expect(differing).toBe(0);
    expect(errors).toEqual([]);
  });
});
