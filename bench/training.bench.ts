/**
 * `npm run bench -- training`: one training step (forward, Dice+CE with deep supervision, backward,
 * clipping, SGD Nesterov update) of the same U-Net in our ONNX step graph on onnxruntime-node vs
 * PyTorch (bench/training_reference.py, Debian python3-torch), same weights, same batch, same threads.
 * Prints seconds per step, voxels/s and the ratio (ours / PyTorch, > 1 = faster), the peak RSS growth
 * during the steps, and a numerical cross-check of the first step (loss, gradient norm, and the
 * largest relative difference of the per-parameter update norms).
 * Set HNAS_BENCH_LOWERING='{"convWeightGrad":"dilated_conv"}' (JSON LoweringOptions) to try a lowering,
 * HNAS_BENCH_ARENA=1 for onnxruntime's CPU memory arena (off by default, as in the trainer),
 * HNAS_BENCH_SPIN=0 for intra-op threads that sleep instead of spinning while they wait,
 * HNAS_BENCH_CASE=<part of a case name>, HNAS_BENCH_REPEATS=<n> (default 5; medians are reported),
 * HNAS_BENCH_LOWERINGS=0 to skip the interleaved comparisons of lowering alternatives,
 * HNAS_BENCH_ALTERNATIVES=<name part>,... to compare the default with only those alternatives,
 * HNAS_BENCH_ONLY=input_grad for only the strided input gradient's lowerings, op alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile } from '../compiler/index.js';
import type { LoweringOptions } from '../compiler/onnx/context.js';
import { compileTrainingStep } from '../compiler/train/index.js';
import { Graph } from '../compiler/graph/graph.js';
import { emitOnnx } from '../compiler/onnx/emit.js';
import type { NetworkPlan } from '../src/data/plan-types.js';
import type { TreeNode } from '../src/grammar/tree-types.js';
import { Rng } from '../src/util/rng.js';
import { defaultTree, isoPlan } from '../test/compiler/trees.js';

const PYTHON = '/usr/bin/python3';
const THREADS = 2;
const REPEATS = Number(process.env.HNAS_BENCH_REPEATS ?? 5);
const LOWERING = JSON.parse(process.env.HNAS_BENCH_LOWERING ?? '{}') as Partial<LoweringOptions>;

interface Case { name: string; tree: TreeNode; plan: NetworkPlan }
const CASES: Case[] = [
  { name: 'nnU-Net default, 4 stages, [40,56,40], batch 2', tree: defaultTree(4), plan: isoPlan(4, [40, 56, 40], 1, 3, 2) },
  { name: 'nnU-Net default, 5 stages, [32,64,48], batch 2', tree: defaultTree(5), plan: isoPlan(5, [32, 64, 48], 1, 3, 2) },
].filter((c) => c.name.includes(process.env.HNAS_BENCH_CASE ?? ''));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** bench/training_reference.py as a server: first line = the cross-check of its first step, then one answer per command. */
function startReference(dir: string, model: ReturnType<typeof compile>, batch: number, image: Float32Array, labels: Float32Array) {
  writeFileSync(join(dir, 'ir.json'), JSON.stringify({ ...model.ir, benchBatch: batch }));
  writeFileSync(join(dir, 'weights.safetensors'), model.safetensors());
  writeFileSync(join(dir, 'input.bin'), Buffer.from(image.buffer));
  writeFileSync(join(dir, 'labels.bin'), Buffer.from(labels.buffer));
  const py = spawn(PYTHON, [join(import.meta.dirname, 'training_reference.py'), dir, '--threads', String(THREADS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`training_reference.py ended early (exit ${py.exitCode})`);
    return r.value as string;
  };
  return { next, ask: (cmd: string) => (py.stdin.write(`${cmd}\n`), next()), close: () => py.kill() };
}

const procStatus = (field: string) => Number(/\d+/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(field)) ?? '0')![0]) / 1024;
const resetPeak = () => { try { writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux: peak includes earlier work */ } };

export async function run(): Promise<void> {
  if (process.env.HNAS_BENCH_ONLY === 'input_grad') return compareInputGradLowerings();
  const havePython = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (!havePython) console.log(`(PyTorch not available at ${PYTHON}: the reference columns are empty)`);
  console.log(`threads ${THREADS}, median of ${REPEATS} steps each, ours and PyTorch alternating, after one warm-up step; lowering ${JSON.stringify(LOWERING)}`);
  const rows: string[][] = [];
  for (const c of CASES) {
    const model = compile(c.tree, c.plan, { seed: 0 });
    const step = compileTrainingStep(model);
    const sig = step.signature;
    const rng = Rng.seeded(1);
    const voxels = sig.image.shape.reduce((a, b) => a * b, 1);
    const image = Float32Array.from({ length: voxels }, () => rng.normal());
    const labels = Float32Array.from({ length: voxels }, () => rng.int(3));
    let first: ort.InferenceSession.OnnxValueMapType = {};
    let torch: { loss: number; grad_norm: number; update: Record<string, number>; peak_mib: number } | null = null;
    let peak = NaN;
    const [times, torchTimes]: number[][] = [[], []];

    // Ours and PyTorch side by side: after each side's first (warm-up, cross-checked) step, the
    // timed steps alternate (ours, torch, ours, ...) so both see the same load on a shared machine.
    const dir = mkdtempSync(join(tmpdir(), 'hnas-train-bench-'));
    const reference = havePython ? startReference(dir, model, sig.batchSize, image, labels) : null;
    try {
      resetPeak();
      const base = procStatus('VmRSS');
      const session = await ort.InferenceSession.create(step.onnx(LOWERING), { intraOpNumThreads: THREADS, interOpNumThreads: 1, graphOptimizationLevel: 'all', enableCpuMemArena: process.env.HNAS_BENCH_ARENA === '1', ...(process.env.HNAS_BENCH_SPIN === '0' ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}) });
      const feeds: Record<string, ort.Tensor> = {
        [sig.image.name]: new ort.Tensor('float32', image, sig.image.shape),
        [sig.labels.name]: new ort.Tensor('float32', labels, sig.labels.shape),
        [sig.lr]: new ort.Tensor('float32', Float32Array.of(1e-2), []),
      };
      for (const s of [...sig.params, ...sig.buffers]) feeds[s.name] = new ort.Tensor('float32', model.weights.get(s.name)!, s.shape);
      for (const s of sig.state) feeds[s.name] = new ort.Tensor('float32', new Float32Array(Math.max(1, s.shape.reduce((a, b) => a * b, 1))), s.shape);
      first = await session.run(feeds);
      const check = reference ? JSON.parse(await reference.next()) as { loss: number; grad_norm: number; update: Record<string, number> } : null;
      for (let r = 0; r < REPEATS; r++) {
        const t = performance.now();
        await session.run(feeds);
        times.push((performance.now() - t) / 1000);
        if (reference) torchTimes.push((JSON.parse(await reference.ask('step')) as { seconds: number }).seconds);
      }
      peak = procStatus('VmHWM') - base;
      await session.release();
      if (reference && check) torch = { ...check, peak_mib: (JSON.parse(await reference.ask('quit')) as { peak_mib: number }).peak_mib };
    } finally {
      reference?.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const ours = median(times);
    console.log(`${c.name}: ours ${times.map((t) => t.toFixed(2)).join(' ')} s; torch ${torchTimes.map((t) => t.toFixed(2)).join(' ')} s (alternating, in order)`);
    const updateNorm = (name: string) => {
      const a = first[`updated.${name}`]!.data as Float32Array;
      const b = model.weights.get(name)!;
      return Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
    };
    const ref = torch ? median(torchTimes) : NaN;
    const scalar = (k: string) => (first[k]!.data as Float32Array)[0]!;
    // Relative to the largest update, so parameters with (numerically) zero gradient do not dominate.
    const largest = torch ? Math.max(...Object.values(torch.update)) : NaN;
    const updDiff = torch ? Math.max(...sig.params.map((p) => Math.abs(updateNorm(p.name) - torch!.update[p.name]!) / largest)) : NaN;
    const vps = (s: number) => (sig.batchSize * sig.image.shape.slice(2).reduce((a, b) => a * b, 1)) / s;
    rows.push([
      c.name,
      ours.toFixed(3), ref.toFixed(3),
      vps(ours).toFixed(0), vps(ref).toFixed(0), torch ? median(times.map((t, i) => torchTimes[i]! / t)).toFixed(2) : '-',
      peak.toFixed(0), torch ? torch.peak_mib.toFixed(0) : '-',
      `${scalar(sig.loss).toFixed(5)} / ${torch?.loss.toFixed(5) ?? '-'}`,
      `${scalar(sig.gradNorm).toFixed(4)} / ${torch?.grad_norm.toFixed(4) ?? '-'}`,
      updDiff.toExponential(1),
    ]);
  }
  const head = ['case', 'ours s/step', 'torch s/step', 'ours vox/s', 'torch vox/s', 'ratio (median of pairs)', 'ours peak MiB', 'torch peak MiB', 'loss ours / torch', 'grad norm ours / torch', 'max update diff / largest update'];
  console.log([head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
  if (process.env.HNAS_BENCH_LOWERINGS !== '0') {
    await compareLowerings(process.env.HNAS_BENCH_ALTERNATIVES?.split(','));
    await compareInputGradLowerings();
  }
}

/** Lowering alternatives of the same step, run interleaved in one process (fair under a shared, busy CPU). */
const ALTERNATIVES: { name: string; lowering: Partial<LoweringOptions>; session?: ort.InferenceSession.SessionOptions }[] = [
  { name: 'default (GEMM weight gradient, per-phase-conv input gradient, 1x1x1-conv transposed conv)', lowering: {} },
  { name: 'strided input gradient as one Conv over all phases', lowering: { convInputGrad: 'phase_conv' } },
  { name: 'strided input gradient as ONNX ConvTranspose', lowering: { convInputGrad: 'conv_transpose' } },
  { name: 'weight gradient as dilated Conv (the naive identity)', lowering: { convWeightGrad: 'dilated_conv' } },
  { name: 'transposed conv as ONNX ConvTranspose', lowering: { convTranspose: 'native' } },
  { name: 'default lowering, onnxruntime CPU memory arena on', lowering: {}, session: { enableCpuMemArena: true } },
  { name: 'default lowering, intra-op threads do not spin', lowering: {}, session: { extra: { session: { intra_op: { allow_spinning: '0' } } } } },
];

export async function compareLowerings(only?: readonly string[]): Promise<void> {
  const alternatives = ALTERNATIVES.filter((a, i) => i === 0 || !only || only.some((o) => a.name.includes(o)));
  const c = CASES[0]!;
  const model = compile(c.tree, c.plan, { seed: 0 });
  const step = compileTrainingStep(model);
  const sig = step.signature;
  const rng = Rng.seeded(1);
  const voxels = sig.image.shape.reduce((a, b) => a * b, 1);
  const feeds: Record<string, ort.Tensor> = {
    [sig.image.name]: new ort.Tensor('float32', Float32Array.from({ length: voxels }, () => rng.normal()), sig.image.shape),
    [sig.labels.name]: new ort.Tensor('float32', Float32Array.from({ length: voxels }, () => rng.int(3)), sig.labels.shape),
    [sig.lr]: new ort.Tensor('float32', Float32Array.of(1e-2), []),
  };
  for (const p of [...sig.params, ...sig.buffers]) feeds[p.name] = new ort.Tensor('float32', model.weights.get(p.name)!, p.shape);
  for (const p of sig.state) feeds[p.name] = new ort.Tensor('float32', new Float32Array(Math.max(1, p.shape.reduce((a, b) => a * b, 1))), p.shape);
  const sessions = await Promise.all(alternatives.map((a) => ort.InferenceSession.create(step.onnx(a.lowering), { intraOpNumThreads: THREADS, interOpNumThreads: 1, graphOptimizationLevel: 'all', enableCpuMemArena: false, ...a.session })));
  for (const s of sessions) await s.run(feeds);
  const times: number[][] = sessions.map(() => []);
  for (let r = 0; r < REPEATS; r++)
    for (const [i, s] of sessions.entries()) {
      const t = performance.now();
      await s.run(feeds);
      times[i]!.push((performance.now() - t) / 1000);
    }
  const best = times.map(median);
  await Promise.all(sessions.map((s) => s.release()));
  console.log(`\nlowering alternatives, ${c.name}, interleaved, median of ${REPEATS}:`);
  const rows = alternatives.map((a, i) => [a.name, best[i]!.toFixed(3), (best[i]! / best[0]!).toFixed(2)]);
  console.log([['lowering', 's/step', 'time vs default'], ['---', '---', '---'], ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
}

/** The strided convs' input gradient of the 4-stage network alone, each lowering, interleaved (median of 9). */
export async function compareInputGradLowerings(): Promise<void> {
  const hows = ['phase_convs', 'phase_conv', 'conv_transpose'] as const;
  const rows: string[][] = [];
  for (const [o, c, gs, xs] of [[64, 32, [20, 28, 20], [40, 56, 40]], [128, 64, [10, 14, 10], [20, 28, 20]], [256, 128, [5, 7, 5], [10, 14, 10]]] as const) {
    const rng = Rng.seeded(o);
    const feeds = {
      g: new ort.Tensor('float32', Float32Array.from({ length: 2 * o * gs[0] * gs[1] * gs[2] }, () => rng.normal()), [2, o, ...gs]),
      w: new ort.Tensor('float32', Float32Array.from({ length: o * c * 27 }, () => rng.normal()), [o, c, 3, 3, 3]),
    };
    const sessions = await Promise.all(hows.map((how) => {
      const g = new Graph();
      const dx = g.op('conv_input_grad', 'dx', [g.input('g', [2, o, ...gs]), g.input('w', [o, c, 3, 3, 3])], { stride: [2, 2, 2], pads: [1, 1, 1], inputSize: [...xs] });
      g.output(dx);
      return ort.InferenceSession.create(emitOnnx(g, { params: 'inputs', lowering: { convInputGrad: how } }), { intraOpNumThreads: THREADS, interOpNumThreads: 1, enableCpuMemArena: false });
    }));
    for (const s of sessions) await s.run(feeds);
    const times: number[][] = sessions.map(() => []);
    for (let r = 0; r < 9; r++)
      for (const [i, s] of sessions.entries()) {
        const t = performance.now();
        await s.run(feeds);
        times[i]!.push(performance.now() - t);
      }
    await Promise.all(sessions.map((s) => s.release()));
    rows.push([`[2,${o},${gs.join(',')}] -> [2,${c},${xs.join(',')}]`, ...times.map((t) => median(t).toFixed(1))]);
  }
  console.log('\nstrided conv input gradient alone (k 3, s 2), interleaved, median of 9, ms:');
  const head = ['g -> dx', ...hows];
  console.log([head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
}
