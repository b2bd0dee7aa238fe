/**
 * `npm run bench -- auto`: the quality benchmark of `hnas auto` (issue 18). Holds out
 * HNAS_BENCH_HOLDOUT (40) of the shared Hippocampus cases, drawn by a fixed seed
 * (HOLDOUT_SEED, never seen by hnas auto), writes a dataset view of the other cases (symlinks),
 * runs `hnas auto <view> --time HNAS_BENCH_TIME` (default 1h) as a child process, predicts the
 * held-out cases with the model it wrote (mirroring as it decided) and evaluates their
 * foreground Dice. Prints where the time went and the load average sampled every minute.
 *
 *   HNAS_BENCH_TIME=45m HNAS_BENCH_OUT=/tmp/bench-auto npm run bench -- auto
 *   (HNAS_BENCH_DATASET: another copy of Task04_Hippocampus; HNAS_BENCH_ARGS: more flags for hnas auto)
 *
 * Rerunning with the same HNAS_BENCH_OUT resumes an interrupted `hnas auto`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/data/dataset.js';
import { evaluateFolders } from '../src/data/evaluate.js';
import { holdOut, HOLDOUT_SEED } from './holdout.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATASET = resolve(process.env.HNAS_BENCH_DATASET ?? join(root, '..', 'shared', 'datasets', 'Task04_Hippocampus'));

function hnas(args: string[], onLine: (line: string) => void = () => undefined): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'hnas.mjs'), ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
    let buffer = '';
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      lines.forEach(onLine);
    });
    const forward = () => child.kill('SIGINT');
    process.on('SIGINT', forward);
    child.on('exit', (code) => {
      process.off('SIGINT', forward);
      done(code ?? 1);
    });
  });
}

/** A dataset folder of symlinks to some cases of `src` (MSD layout). */
function writeView(dir: string, src: ReturnType<typeof loadDataset>, ids: readonly string[]): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'labelsTr'), { recursive: true });
  const json = JSON.parse(readFileSync(join(src.root, 'dataset.json'), 'utf8'));
  const byId = new Map(src.cases.map((c) => [c.id, c]));
  const training = ids.map((id) => {
    const c = byId.get(id)!;
    symlinkSync(c.images[0]!, join(dir, 'imagesTr', basename(c.images[0]!)));
    symlinkSync(c.label, join(dir, 'labelsTr', basename(c.label)));
    return { image: `./imagesTr/${basename(c.images[0]!)}`, label: `./labelsTr/${basename(c.label)}` };
  });
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ ...json, name: `${json.name}-bench`, numTraining: training.length, training }, null, 1));
}

export async function run(): Promise<void> {
  if (!existsSync(DATASET)) {
    console.log(`skipped: ${DATASET} is absent (the shared Hippocampus dataset)`);
    return;
  }
  const time = process.env.HNAS_BENCH_TIME ?? '1h';
  const out = resolve(process.env.HNAS_BENCH_OUT ?? '/tmp/hnas-bench-auto');
  const n = Number(process.env.HNAS_BENCH_HOLDOUT ?? 40);
  const extra = (process.env.HNAS_BENCH_ARGS ?? '').split(' ').filter(Boolean);
  const dataset = loadDataset(DATASET);
  const { heldOut, kept } = holdOut(dataset.cases.map((c) => c.id), n, HOLDOUT_SEED);
  const view = join(out, 'Task04_Hippocampus-bench');
  const held = join(out, 'held-out');
  if (!existsSync(join(view, 'dataset.json'))) writeView(view, dataset, kept);
  if (!existsSync(join(held, 'dataset.json'))) writeView(held, dataset, heldOut);
  console.log(`held out ${heldOut.length} of ${dataset.cases.length} cases (seed ${HOLDOUT_SEED}): ${heldOut.join(' ')}`);

  const loads: number[] = [];
  const sample = () => loads.push(loadavg()[0]!);
  sample();
  const ticker = setInterval(sample, 60_000);
  const t0 = performance.now();
  const autoOut = join(out, 'auto');
  const args = ['auto', view, '--time', time, '-o', autoOut, '--seed', '0', ...extra];
  console.log(`$ hnas ${args.join(' ')}`);
  const code = await hnas(args);
  const autoSeconds = (performance.now() - t0) / 1000;
  clearInterval(ticker);
  sample();
  if (code !== 0) throw new Error(`hnas auto exited with ${code}`);
  const state = JSON.parse(readFileSync(join(autoOut, 'auto.json'), 'utf8'));

  const pred = join(out, 'held-out-predictions');
  rmSync(pred, { recursive: true, force: true });
  const p0 = performance.now();
  const pargs = ['predict', join(autoOut, 'model'), join(held, 'imagesTr'), '-o', pred, '--no-progress', ...(state.tta.mirror ? ['--mirror'] : [])];
  console.log(`$ hnas ${pargs.join(' ')}`);
  if ((await hnas(pargs)) !== 0) throw new Error('hnas predict failed');
  const predictSeconds = (performance.now() - p0) / 1000;
  const summary = evaluateFolders(pred, join(held, 'labelsTr'));
  const budget = state.request.budgetSeconds as number;
  const rows = [
    ['budget (--time)', `${budget} s`],
    ['hnas auto wall (this run)', `${autoSeconds.toFixed(0)} s (${(autoSeconds - budget).toFixed(0)} s vs the budget; stated margin ${state.settings.marginSeconds.toFixed(0)} s)`],
    ['hnas auto spent (all runs)', `${state.spentSeconds.toFixed(0)} s`],
    ...Object.entries(state.phases as Record<string, number>).map(([k, v]) => [`  ${k}`, `${v.toFixed(0)} s`]),
    ['settings', `features ${state.settings.features.base}..${state.settings.features.max}, batch ${state.settings.batchSize}, search rungs ${state.settings.search.minEpochs}..${state.settings.search.maxEpochs} x ${state.settings.search.iterationsPerEpoch} it, final ${state.settings.final.iterationsPerEpoch} it/epoch`],
    ['measured step (8..64, batch 2)', `${state.measured.speed.stepSeconds.toFixed(3)} s`],
    ['search', `${state.search.trials} trials, incumbent ${state.search.incumbent.key} (Dice ${(100 * state.search.incumbent.dice).toFixed(2)} % after ${state.search.incumbent.budget} epochs)`],
    ...state.final.folds.map((f: { fold: number; epochs: number; steps: number; dice: number; diceMirror: number | null }) => [
      `final fold ${f.fold}`,
      `${f.epochs} epochs, ${f.steps} steps, validation Dice ${(100 * f.dice).toFixed(2)} %, with mirroring ${f.diceMirror === null ? '-' : `${(100 * f.diceMirror).toFixed(2)} %`}`,
    ]),
    ['test-time mirroring', `${state.tta.mirror ? 'on' : 'off'}: ${state.tta.reason}`],
    ['held-out predict', `${predictSeconds.toFixed(0)} s`],
    [`held-out foreground Dice (${summary.cases.length} cases)`, `${(100 * summary.foregroundMean).toFixed(2)} % (anterior ${(100 * summary.meanPerClass[1]!).toFixed(2)} %, posterior ${(100 * summary.meanPerClass[2]!).toFixed(2)} %)`],
    ['load average (1 min) during the run', `median ${loads.sort((a, b) => a - b)[Math.floor(loads.length / 2)]!.toFixed(1)}, min ${loads[0]!.toFixed(1)}, max ${loads.at(-1)!.toFixed(1)} (${loads.length} samples)`],
  ];
  console.log('\n| | |\n|---|---|');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  writeFileSync(join(out, 'bench-result.json'), JSON.stringify({ time, heldOut, autoSeconds, predictSeconds, loads, dice: summary.foregroundMean, meanPerClass: summary.meanPerClass, state }, null, 1));
}
