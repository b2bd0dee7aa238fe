/**
 * `npm run bench -- ctio`: CT-scale I/O (issue 16). On one preprocessed 400 x 512 x 512 case
 * (bench/ct-volume.ts, 1 channel, labelled):
 *   read     patch-read latency [128,128,128] from the case file (p50/p99, page cache warm) vs
 *            reading the whole case, and the in-memory copy as the floor;
 *   augment  each augmentation of src/data/augment.ts on one [128,128,128] patch;
 *   loader   batches/s of [128,128,128] x 2 with nnU-Net's augmentation (factor 1), in the main
 *            thread and with BatchLoader workers reading the case file;
 *   predict  sliding-window prediction of the case (bench/ctio-predict.ts in a child process each,
 *            for its peak RSS), with and without --mirror;
 *   network  the plan's own network (HNAS_BENCH_PLAN, a plans.json of a CT dataset): one patch's
 *            forward and one training step on this CPU, and from them the network time of the
 *            case's sliding window with and without --mirror (bench/ct-network.ts, a child process).
 * HNAS_BENCH_CTIO=read,augment,loader,predict,network picks parts (default: read,augment,loader; predict
 * takes tens of minutes at full size on 2 cores); HNAS_BENCH_SHAPE=Z,Y,X shrinks the case; HNAS_BENCH_BATCHES sets the loader's batches.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaseFile, readPreprocessedCase, writeCaseFile } from '../src/data/case-file.js';
import { BatchLoader } from '../src/data/loader.js';
import { batchRng } from '../src/data/loader-protocol.js';
import { memorySource } from '../src/data/patch-source.js';
import { chooseStart, sampleBatch, type PatchSamplerConfig } from '../src/data/patch-sampler.js';
import type { Vec3 } from '../src/data/plan-types.js';
import { Rng } from '../src/util/rng.js';
import { augmentProfile } from './augment-profile.js';
import { ctCase } from './ct-volume.js';

const PATCH: Vec3 = [128, 128, 128];
const parts = new Set((process.env.HNAS_BENCH_CTIO ?? 'read,augment,loader').split(','));
const shape = (process.env.HNAS_BENCH_SHAPE?.split(',').map(Number) ?? [400, 512, 512]) as Vec3;

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (t0: number): number => performance.now() - t0;
const median = (xs: number[]): number => quantile(xs, 0.5);

function readLatency(file: string, inMemory: ReturnType<typeof memorySource>): void {
  const READS = 60;
  const planeReads = CaseFile.open(file);
  const rowReads = CaseFile.open(file, { rowGapBytes: 0 });
  const rng = Rng.seeded(1);
  const times: Record<string, number[]> = { 'case file, one read per plane (default)': [], 'case file, one read per row': [], 'in memory (copy only)': [] };
  const sources = [planeReads, rowReads, inMemory] as const;
  for (let k = 0; k < READS; k++) {
    // Starts as the sampler draws them: anywhere, patches crossing the edge included.
    const start = chooseStart(inMemory, PATCH, false, rng);
    Object.values(times).forEach((list, i) => {
      const t0 = performance.now();
      sources[i]!.readRegion(start, PATCH);
      list.push(ms(t0));
    });
  }
  const whole: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    readPreprocessedCase(file);
    whole.push(ms(t0));
  }
  const mib = statSync(file).size / 2 ** 20;
  console.log(`\ncase [${shape.join(', ')}] float32 + int16 labels: ${mib.toFixed(0)} MiB file; patch [${PATCH.join(', ')}], ${READS} random starts (page cache warm)`);
  console.log('| read | p50 ms | p99 ms | whole case / p50 |');
  console.log('|---|---|---|---|');
  for (const [name, list] of Object.entries(times)) console.log(`| ${name} | ${median(list).toFixed(1)} | ${quantile(list, 0.99).toFixed(1)} | ${(median(whole) / median(list)).toFixed(1)}x |`);
  console.log(`| whole case (readPreprocessedCase, CRCs checked; 3 reads) | ${median(whole).toFixed(0)} | ${Math.max(...whole).toFixed(0)} | 1x |`);
}

async function loaderRate(file: string): Promise<void> {
  const sampler: PatchSamplerConfig = { patchSize: PATCH, batchSize: 2, oversampleForeground: 0.33, augmentationFactor: 1 };
  const BATCHES = Number(process.env.HNAS_BENCH_BATCHES ?? 12);
  const source = CaseFile.open(file);
  let t0 = performance.now();
  for (let k = 0; k < BATCHES; k++) sampleBatch([source], sampler, batchRng(0, k));
  const rows: [string, number][] = [['main thread, patches read from the case file', BATCHES / (ms(t0) / 1000)]];
  for (const workers of [1, 2]) {
    const loader = BatchLoader.start({ files: [file], sampler, seed: 0, workers, prefetch: 2 });
    await loader.next(); // start-up excluded
    t0 = performance.now();
    for (let k = 0; k < BATCHES; k++) await loader.next();
    rows.push([`BatchLoader, ${workers} worker(s)`, BATCHES / (ms(t0) / 1000)]);
    await loader.close();
  }
  console.log(`\nloader: [${PATCH.join(', ')}] x batch 2, augmentation factor 1, ${BATCHES} batches`);
  console.log('| loader | batches/s | s per batch |');
  console.log('|---|---|---|');
  for (const [name, rate] of rows) console.log(`| ${name} | ${rate.toFixed(3)} | ${(1 / rate).toFixed(2)} |`);
}

function predictChild(): void {
  const script = fileURLToPath(new URL('./ctio-predict.ts', import.meta.url));
  console.log(`\nsliding-window prediction of one [${shape.join(', ')}] case (child process each; network: see the script)`);
  console.log('| variant, network | seconds | peak RSS MiB | peak / one float32 case | |');
  console.log('|---|---|---|---|---|');
  for (const variant of ['plain', 'probabilities', 'mirror']) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, shape.join(','), variant], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    console.log(out.trim());
  }
}

function networkChild(): void {
  const planFile = process.env.HNAS_BENCH_PLAN;
  if (!planFile) throw new Error('part network needs HNAS_BENCH_PLAN=<plans.json of a CT dataset> (hnas generate-dataset, then hnas plan)');
  const script = fileURLToPath(new URL('./ct-network.ts', import.meta.url));
  console.log(`\nthe plan's network (${planFile}) on this CPU, child process`);
  console.log(execFileSync(process.execPath, ['--import', 'tsx', script, planFile, shape.join(','), 'both', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim());
}

export async function run(): Promise<void> {
  if (parts.has('network') && parts.size === 1) return networkChild(); // needs no case
  const dir = mkdtempSync(join(tmpdir(), 'hnas-ctio-'));
  try {
    const t0 = performance.now();
    const c = ctCase(shape);
    const file = join(dir, 'ct.hnpp');
    writeCaseFile(file, c);
    console.log(`made and wrote the case in ${(ms(t0) / 1000).toFixed(1)} s`);
    const inMemory = memorySource(c);
    if (parts.has('read')) readLatency(file, inMemory);
    if (parts.has('augment')) augmentProfile(c, PATCH);
    if (parts.has('loader')) await loaderRate(file);
    if (parts.has('predict')) predictChild();
    if (parts.has('network')) networkChild();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
