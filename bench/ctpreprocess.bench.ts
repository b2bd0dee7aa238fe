/**
 * `npm run bench -- ctpreprocess`: fingerprint + plan + preprocess of CT-scale cases (the generator's
 * 512 x 512 x 300-450, anisotropic), side by side with nnU-Net's resampling done by Debian's skimage
 * (bench/ctpreprocess_reference.py), case by case (ours, then skimage, then the next case).
 *
 * Per case: ours as one preprocessing worker does it (read + crop + normalise + resample + write, its
 * own process: peak RSS is per worker), then the resampling alone, ours vs skimage on the same
 * normalised input, with the agreement (image max / mean abs difference, Dice per label).
 *
 * Environment: HNAS_CT_DATASET (an existing dataset; default: generate one in the temp folder, seed 0),
 * HNAS_CT_CASES (default 2), HNAS_CT_SHAPE (x,y,z; default the generator's full size).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/data/dataset.js';
import { computeFingerprint } from '../src/data/fingerprint.js';
import type { Vec3 } from '../src/data/plan-types.js';
import { planExperiment } from '../src/data/planner.js';
import { generateDataset } from '../src/data/synthetic-dataset.js';
import { PYTHON, SKIMAGE_MISSING, skimageAvailable } from '../test/helpers/skimage.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const TSX = resolve(here, '../node_modules/.bin/tsx');
/** Agreement the results must reach (float32 rounding of the same spline; ties at 0.5 for labels). */
const MAX_ABS_TOLERANCE = 1e-3;
const MIN_DICE = 0.99;

const mib = (kb: number): string => `${(kb / 1024).toFixed(0)} MiB`;

async function dataset(cases: number, shape: Vec3 | undefined): Promise<string> {
  if (process.env.HNAS_CT_DATASET) return resolve(process.env.HNAS_CT_DATASET);
  const dir = join(tmpdir(), `hnas-bench-ct-${cases}-${shape ? shape.join('x') : 'full'}-seed0`);
  if (!existsSync(join(dir, 'dataset.json'))) {
    rmSync(dir, { recursive: true, force: true });
    const t = performance.now();
    await generateDataset({ outDir: dir, kind: 'ct', cases, testCases: 0, seed: 0, shape });
    console.log(`generated ${cases} CT cases in ${dir} (${((performance.now() - t) / 1000).toFixed(0)} s)`);
  }
  return dir;
}

function child(args: string[]): Record<string, unknown> {
  const out = execFileSync(TSX, [join(here, 'ctpreprocess-case.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 22 });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

export async function run(): Promise<void> {
  const cases = Number(process.env.HNAS_CT_CASES ?? 2);
  const shape = process.env.HNAS_CT_SHAPE ? (process.env.HNAS_CT_SHAPE.split(',').map(Number) as Vec3) : undefined;
  const root = await dataset(cases, shape);
  const load = loadavg()[0]!.toFixed(1);
  const ds = loadDataset(root);
  const picked = { ...ds, cases: ds.cases.slice(0, cases) };
  let t = performance.now();
  const fingerprint = computeFingerprint(picked);
  const plan = planExperiment(fingerprint);
  const planSeconds = (performance.now() - t) / 1000;
  const work = mkdtempSync(join(tmpdir(), 'hnas-ctpp-'));
  const planFile = join(work, 'plans.json');
  writeFileSync(planFile, JSON.stringify(plan));
  console.log(`${root}: ${picked.cases.length} cases; load average ${load} at the start (${cpus().length} cores)`);
  console.log(`fingerprint + plan: ${planSeconds.toFixed(1)} s (in this process); target spacing [${plan.spacing.map((s) => +s.toFixed(4)).join(', ')}] mm, median shape [${plan.medianShape.join(', ')}], patch [${plan.network.patchSize.join(', ')}]`);
  const baselineKb = child(['baseline', root, planFile, '0', work]).maxRssKb as number;
  console.log(`a worker process's own footprint (modules, dataset, plan): ${mib(baselineKb)}; "RSS / float32" counts the peak above it`);
  const reference = skimageAvailable();
  if (!reference) console.log(`skimage reference skipped: ${SKIMAGE_MISSING}`);

  console.log('\n| case | shape -> resampled (plan order) | float32 in / out | ours: worker total (s) | ours: peak RSS | (peak RSS - footprint) / float32 (in, out) | resample ours (s) | resample skimage (s) | skimage / ours | skimage peak RSS | image max / mean abs diff | Dice per label (min) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  try {
    picked.cases.forEach((c, i) => {
      const dir = join(work, c.id);
      mkdirSync(dir);
      const full = child(['full', root, planFile, String(i), dir]);
      rmSync(join(dir, `${c.id}.hnpp`), { force: true });
      // Then the resampling alone, ours and skimage on the same normalised input, one after the other.
      const stages = child(['stages', root, planFile, String(i), dir]) as { channels: number; shape: Vec3; newShape: Vec3; spacing: Vec3; target: Vec3; secondsImage: number; secondsLabel: number };
      const runRef = (): Record<string, unknown> | undefined => {
        if (!reference) return undefined;
        const job = { image: join(dir, 'in-image.raw'), label: join(dir, 'in-label.raw'), channels: stages.channels, shape: stages.shape, new_shape: stages.newShape, spacing: stages.spacing, target: stages.target, threshold: plan.anisotropyThreshold, out_image: join(dir, 'ref-image.raw'), out_label: join(dir, 'ref-label.raw'), compare_image: join(dir, 'ours-image.raw'), compare_label: join(dir, 'ours-label.raw') };
        writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
        const r = spawnSync(PYTHON, [join(here, 'ctpreprocess_reference.py'), join(dir, 'job.json')], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`reference failed: ${r.stderr}`);
        return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      };
      const ref = runRef();
      const inKb = (stages.shape.reduce((a, b) => a * b, 1) * 4 * stages.channels) / 1024;
      const outKb = (stages.newShape.reduce((a, b) => a * b, 1) * 4 * stages.channels) / 1024;
      const rss = full.maxRssKb as number;
      const oursResample = stages.secondsImage + stages.secondsLabel;
      const refResample = ref ? (ref.seconds_image as number) + (ref.seconds_label as number) : NaN;
      const dice = ref ? Object.values(ref.dice as Record<string, number>) : [];
      const agree = ref ? `${(ref.max_abs_diff as number).toExponential(1)} / ${(ref.mean_abs_diff as number).toExponential(1)}` : '-';
      const ok = ref ? (ref.max_abs_diff as number) <= MAX_ABS_TOLERANCE && Math.min(...dice) >= MIN_DICE : true;
      console.log(
        `| ${c.id} | ${stages.shape.join('x')} -> ${stages.newShape.join('x')} | ${mib(inKb)} / ${mib(outKb)} | ${(full.seconds as number).toFixed(1)} | ${mib(rss)} | ${((rss - baselineKb) / inKb).toFixed(2)}x, ${((rss - baselineKb) / outKb).toFixed(2)}x | ${oursResample.toFixed(1)} (image ${stages.secondsImage.toFixed(1)}, labels ${stages.secondsLabel.toFixed(1)}) | ${ref ? `${refResample.toFixed(1)} (image ${(ref.seconds_image as number).toFixed(1)}, labels ${(ref.seconds_label as number).toFixed(1)})` : '-'} | ${ref ? (refResample / oursResample).toFixed(2) : '-'} | ${ref ? mib(ref.max_rss_kb as number) : '-'} | ${agree} | ${ref ? `${Math.min(...dice).toFixed(5)}${ok ? '' : ' FAILS'}` : '-'} |`,
      );
      rmSync(dir, { recursive: true, force: true });
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`\nTolerance: image max abs difference <= ${MAX_ABS_TOLERANCE} (z-scored units), Dice >= ${MIN_DICE} per label. Load average ${loadavg()[0]!.toFixed(1)} at the end.`);
}
