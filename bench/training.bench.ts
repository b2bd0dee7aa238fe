/**
 * `npm run bench -- training`: one training step (forward, Dice+CE with deep supervision, backward,
 * clipping, SGD Nesterov update) of the same U-Net in our ONNX step graph on onnxruntime-node vs
 * PyTorch (bench/training_reference.py, Debian python3-torch), same weights, same batch, same threads.
 * Prints seconds per step, voxels/s and the ratio (ours / PyTorch, > 1 = faster), the peak RSS growth
 * during the steps, and a numerical cross-check of the first step (loss, gradient norm, and the
 * largest relative difference of the per-parameter update norms).
 * Set HNAS_BENCH_LOWERING='{"convWeightGrad":"im2col"}' (JSON LoweringOptions) to try a lowering,
 * Sessions take the trainer's options (src/runtime/providers.ts: no memory arena, no memory pattern,
 * intra-op threads that sleep instead of spinning); HNAS_BENCH_ARENA=1 turns onnxruntime's CPU memory arena on,
 * HNAS_BENCH_SPIN=1 lets the intra-op threads spin while they wait (onnxruntime's default),
 * HNAS_BENCH_CASE=<part of a case name>, HNAS_BENCH_REPEATS=<n> (default 5; medians are reported),
 * HNAS_BENCH_LOWERINGS=0 to skip the interleaved comparisons of lowering alternatives,
 * HNAS_BENCH_ALTERNATIVES=<name part>,... to compare the default with only those alternatives,
 * HNAS_BENCH_ONLY=input_grad | weight_grad for only the conv input / weight gradient's lowerings, op alone,
 * HNAS_BENCH_ONLY=profile for the 4-stage step's kernel time per op type (onnxruntime's profiler),
 * HNAS_BENCH_ONLY=kernels for one conv's forward, input gradient and weight gradient alone, ours vs PyTorch (CPU ms),
 * HNAS_BENCH_ONLY=memory for the step's peak memory under lowering and session alternatives, each in its own process,
 * HNAS_BENCH_ONLY=lowerings for only the interleaved comparison of whole-step alternatives.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile } from '../compiler/index.js';
import { INPUT_GRAD_LOWERINGS } from '../compiler/graph/ops/conv-input-grad.js';
import type { LoweringOptions } from '../compiler/onnx/context.js';
import { compileTrainingStep } from '../compiler/train/index.js';
import { Graph } from '../compiler/graph/graph.js';
import { emitOnnx } from '../compiler/onnx/emit.js';
import type { NetworkPlan } from '../src/data/plan-types.js';
import type { TreeNode } from '../src/grammar/tree-types.js';
import { timeInterleaved, type Timing } from '../src/runtime/calibrate.js';
import { sessionOptions } from '../src/runtime/providers.js';
import { Rng } from '../src/util/rng.js';
import { defaultTree, isoPlan } from '../test/compiler/trees.js';

const PYTHON = '/usr/bin/python3';
const THREADS = 2;
/** The trainer's own session options (src/runtime), so the bench measures what `hnas train` runs. */
const TRAINER_SESSION = sessionOptions('cpu', THREADS);
const REPEATS = Number(process.env.HNAS_BENCH_REPEATS ?? 5);
const LOWERING = JSON.parse(process.env.HNAS_BENCH_LOWERING ?? '{}') as Partial<LoweringOptions>;

interface Case { name: string; tree: TreeNode; plan: NetworkPlan }
export const CASES: Case[] = [
  { name: 'nnU-Net default, 4 stages, [40,56,40], batch 2', tree: defaultTree(4), plan: isoPlan(4, [40, 56, 40], 1, 3, 2) },
  { name: 'nnU-Net default, 5 stages, [32,64,48], batch 2', tree: defaultTree(5), plan: isoPlan(5, [32, 64, 48], 1, 3, 2) },
].filter((c) => c.name.includes(process.env.HNAS_BENCH_CASE ?? ''));

/** The machine, so figures from different CPUs are never compared as if they were one. */
export function machineHeader(): string {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(info)?.[1]?.split(' ') ?? []);
  const isa = ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx512_bf16', 'amx_tile', 'amx_bf16'].filter((f) => flags.has(f));
  return `CPU ${cpus()[0]?.model ?? '?'} x ${cpus().length}; ISA ${isa.join(' ') || 'none of avx2/avx512/amx'}; onnxruntime-node ${ort.env.versions.node}; ${THREADS} intra-op threads; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

/** Wall and CPU seconds (all threads of this process) of one call. */
async function timed<T>(f: () => Promise<T>): Promise<{ wall: number; cpu: number; value: T }> {
  const [t, c] = [performance.now(), process.cpuUsage()];
  const value = await f();
  const u = process.cpuUsage(c);
  return { wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6, value };
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
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
  if (process.env.HNAS_BENCH_ONLY === 'weight_grad') return compareWeightGradLowerings();
  if (process.env.HNAS_BENCH_ONLY === 'profile') return profileStep();
  if (process.env.HNAS_BENCH_ONLY === 'kernels') return compareConvKernels();
  if (process.env.HNAS_BENCH_ONLY === 'memory') return compareMemory();
  if (process.env.HNAS_BENCH_ONLY === 'lowerings') return compareLowerings(process.env.HNAS_BENCH_ALTERNATIVES?.split(','));
  const havePython = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (!havePython) console.log(`(PyTorch not available at ${PYTHON}: the reference columns are empty)`);
  console.log(machineHeader());
  console.log(`threads ${THREADS}, median of ${REPEATS} steps each, ours and PyTorch alternating, after one warm-up step; lowering ${JSON.stringify(LOWERING)}`);
  const rows: string[][] = [];
  const forwardRows: string[][] = [];
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
    const [times, torchTimes, cpuTimes, torchCpuTimes]: number[][] = [[], [], [], []];
    const forward = { ours: [] as { wall: number; cpu: number }[], torch: [] as { wall: number; cpu: number }[], oursNorm: NaN, torchNorm: NaN };

    // Ours and PyTorch side by side: after each side's first (warm-up, cross-checked) step, the
    // timed steps alternate (ours, torch, ours, ...) so both see the same load on a shared machine.
    const dir = mkdtempSync(join(tmpdir(), 'hnas-train-bench-'));
    const reference = havePython ? startReference(dir, model, sig.batchSize, image, labels) : null;
    try {
      resetPeak();
      const base = procStatus('VmRSS');
      const session = await ort.InferenceSession.create(step.onnx(LOWERING), {
        ...TRAINER_SESSION,
        ...(process.env.HNAS_BENCH_ARENA === '1' ? { enableCpuMemArena: true } : {}),
        ...(process.env.HNAS_BENCH_SPIN === '1' ? { extra: {} } : {}),
      });
      const feeds = stepFeeds(model, step, image, labels);
      first = await session.run(feeds);
      const check = reference ? JSON.parse(await reference.next()) as { loss: number; grad_norm: number; update: Record<string, number> } : null;
      for (let r = 0; r < REPEATS; r++) {
        const t = await timed(() => session.run(feeds));
        times.push(t.wall);
        cpuTimes.push(t.cpu);
        if (reference) {
          const answer = JSON.parse(await reference.ask('step')) as { seconds: number; cpu_seconds: number };
          torchTimes.push(answer.seconds);
          torchCpuTimes.push(answer.cpu_seconds);
        }
      }
      peak = procStatus('VmHWM') - base;
      await session.release();
      // Inference: the trained model's forward pass (weights as initializers) on the same batch of
      // patches, as the sliding-window predictor runs it, alternating with PyTorch's eval forward.
      const inference = await ort.InferenceSession.create(model.onnx(), TRAINER_SESSION);
      const input = { [inference.inputNames[0]!]: new ort.Tensor('float32', image, sig.image.shape) };
      const head0 = (await inference.run(input))[inference.outputNames[0]!]!.data as Float32Array;
      forward.oursNorm = Math.sqrt(head0.reduce((a, v) => a + v * v, 0));
      if (reference) forward.torchNorm = (JSON.parse(await reference.ask('forward')) as { head0_norm: number }).head0_norm;
      for (let r = 0; r < REPEATS; r++) {
        const t = await timed(() => inference.run(input));
        forward.ours.push(t);
        if (reference) {
          const answer = JSON.parse(await reference.ask('forward')) as { seconds: number; cpu_seconds: number };
          forward.torch.push({ wall: answer.seconds, cpu: answer.cpu_seconds });
        }
      }
      await inference.release();
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
      median(cpuTimes).toFixed(3), torch ? median(torchCpuTimes).toFixed(3) : '-',
      vps(ours).toFixed(0), vps(ref).toFixed(0), torch ? median(times.map((t, i) => torchTimes[i]! / t)).toFixed(2) : '-',
      peak.toFixed(0), torch ? torch.peak_mib.toFixed(0) : '-',
      `${scalar(sig.loss).toFixed(5)} / ${torch?.loss.toFixed(5) ?? '-'}`,
      `${scalar(sig.gradNorm).toFixed(4)} / ${torch?.grad_norm.toFixed(4) ?? '-'}`,
      updDiff.toExponential(1),
    ]);
    const fw = (xs: { wall: number; cpu: number }[], k: 'wall' | 'cpu') => (xs.length ? median(xs.map((x) => x[k])).toFixed(3) : '-');
    forwardRows.push([
      c.name, fw(forward.ours, 'wall'), fw(forward.torch, 'wall'), fw(forward.ours, 'cpu'), fw(forward.torch, 'cpu'),
      forward.torch.length ? median(forward.ours.map((t, i) => forward.torch[i]!.wall / t.wall)).toFixed(2) : '-',
      (Math.abs(forward.oursNorm - forward.torchNorm) / forward.torchNorm).toExponential(1),
    ]);
  }
  const head = ['case', 'ours s/step', 'torch s/step', 'ours CPU s/step', 'torch CPU s/step', 'ours vox/s', 'torch vox/s', 'ratio (median of pairs)', 'ours peak MiB', 'torch peak MiB', 'loss ours / torch', 'grad norm ours / torch', 'max update diff / largest update'];
  console.log([head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
  console.log('\ninference forward (eval, no gradients) of the same batch of patches, alternating, medians:');
  const forwardHead = ['case', 'ours s', 'torch s', 'ours CPU s', 'torch CPU s', 'ratio (median of pairs)', 'head 0 norm rel. diff'];
  console.log([forwardHead, forwardHead.map(() => '---'), ...forwardRows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
  console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (process.env.HNAS_BENCH_LOWERINGS !== '0') {
    await compareLowerings(process.env.HNAS_BENCH_ALTERNATIVES?.split(','));
    await compareInputGradLowerings();
  }
}

/** Interleaved timing (src/runtime/calibrate.ts, the trainer's calibration uses it too); releases the sessions. */
async function timeAndRelease(sessions: ort.InferenceSession[], feeds: Record<string, ort.Tensor>, repeats: number): Promise<Timing[]> {
  const times = await timeInterleaved(sessions, feeds, repeats);
  await Promise.all(sessions.map((s) => s.release()));
  return times;
}

/** A step's inputs: the model's weights, zero optimiser state, lr 1e-2, and a seeded random batch unless given. */
export function stepFeeds(model: ReturnType<typeof compile>, step: ReturnType<typeof compileTrainingStep>, image?: Float32Array, labels?: Float32Array): Record<string, ort.Tensor> {
  const sig = step.signature;
  const rng = Rng.seeded(1);
  const voxels = sig.image.shape.reduce((a, b) => a * b, 1);
  const feeds: Record<string, ort.Tensor> = {
    [sig.image.name]: new ort.Tensor('float32', image ?? Float32Array.from({ length: voxels }, () => rng.normal()), sig.image.shape),
    [sig.labels.name]: new ort.Tensor('float32', labels ?? Float32Array.from({ length: voxels }, () => rng.int(3)), sig.labels.shape),
    [sig.lr]: new ort.Tensor('float32', Float32Array.of(1e-2), []),
  };
  for (const p of [...sig.params, ...sig.buffers]) feeds[p.name] = new ort.Tensor('float32', model.weights.get(p.name)!, p.shape);
  for (const p of sig.state) feeds[p.name] = new ort.Tensor('float32', new Float32Array(Math.max(1, p.shape.reduce((a, b) => a * b, 1))), p.shape);
  return feeds;
}

/** Which part of the step an ONNX node belongs to, from its name (`<graph node>.<hint>/<OpType>`, gradients `<node>.grad...`). */
export function stepPart(node: string): string {
  if (/\.grad\.dw[./]/.test(node)) return 'conv weight gradient';
  if (/\.grad\.dx[./]/.test(node)) return 'conv input gradient';
  if (node.startsWith('optimizer')) return 'clipping + optimiser';
  if (node.startsWith('loss_fn')) return 'loss + its gradient';
  if (/\.norm\.grad/.test(node)) return 'norm backward';
  if (/\.(act|nonlin)\.grad/.test(node)) return 'activation backward';
  if (/\.up\.grad/.test(node)) return 'transposed conv backward';
  if (node.includes('.grad')) return 'other backward';
  if (/\.norm[./]/.test(node)) return 'norm forward';
  if (/\.conv\/Conv$/.test(node)) return 'conv forward';
  return 'other forward';
}

const COPIES = new Set(['Slice', 'Concat', 'Transpose', 'Pad', 'Gather', 'Expand', 'Identity', 'Tile']);

/**
 * Where a step's time and allocations go: onnxruntime's profile of `steps` steps after a warm-up,
 * kernel time and output bytes per op type and per part of the step (stepPart), copies separately.
 */
export async function profileStep(steps = 3): Promise<void> {
  const c = CASES[0]!;
  const model = compile(c.tree, c.plan, { seed: 0 });
  const step = compileTrainingStep(model);
  const feeds = stepFeeds(model, step);
  const dir = mkdtempSync(join(tmpdir(), 'hnas-profile-'));
  const session = await ort.InferenceSession.create(step.onnx(LOWERING), { ...TRAINER_SESSION, enableProfiling: true, profileFilePrefix: join(dir, 'step') });
  await session.run(feeds);
  const runs: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < steps; i++) runs.push(await timed(() => session.run(feeds)));
  session.endProfiling();
  await session.release();
  type Event = { cat: string; name: string; ts: number; dur: number; args: { op_name?: string; output_size?: string } };
  const events = readdirSync(dir).flatMap((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Event[]);
  rmSync(dir, { recursive: true, force: true });
  // Skip the warm-up run: kernels that start after the first model_run ends.
  const firstRunEnd = Math.min(...events.filter((e) => e.name === 'model_run').map((e) => e.ts + e.dur));
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= firstRunEnd);
  const tally = (key: (e: Event) => string) => {
    const m = new Map<string, { ms: number; mib: number; nodes: number }>();
    for (const e of kernels) {
      const k = key(e);
      const t = m.get(k) ?? { ms: 0, mib: 0, nodes: 0 };
      m.set(k, { ms: t.ms + e.dur / 1000 / steps, mib: t.mib + Number(e.args.output_size ?? 0) / 2 ** 20 / steps, nodes: t.nodes + 1 / steps });
    }
    return [...m].sort((a, b) => b[1].ms - a[1].ms);
  };
  const total = kernels.reduce((a, e) => a + e.dur / 1000 / steps, 0);
  const table = (title: string, rows: [string, { ms: number; mib: number; nodes: number }][]) => {
    console.log(`\n${title}`);
    const body = rows.map(([k, t]) => [k, t.nodes.toFixed(0), t.ms.toFixed(0), `${((100 * t.ms) / total).toFixed(1)} %`, t.mib.toFixed(0)]);
    console.log([['', 'nodes', 'kernel ms/step', 'share', 'output MiB/step'], ['---', '---', '---', '---', '---'], ...body].map((r) => `| ${r.join(' | ')} |`).join('\n'));
  };
  console.log(`\n${machineHeader()}`);
  console.log(`${c.name}, lowering ${JSON.stringify(LOWERING)}: ${median(runs.map((r) => r.wall)).toFixed(3)} s/step wall, ${median(runs.map((r) => r.cpu)).toFixed(3)} CPU s/step (median of ${steps} profiled steps after a warm-up); kernel time ${total.toFixed(0)} ms/step`);
  const opName = (e: Event) => e.args.op_name ?? '?';
  table('per op type:', tally(opName));
  table('per part of the step:', tally((e) => stepPart(e.name.replace(/_kernel_time$/, ''))));
  table('copies (Slice, Concat, Transpose, Pad, ...) per part of the step:', tally((e) => (COPIES.has(opName(e)) ? `${stepPart(e.name.replace(/_kernel_time$/, ''))}: ${opName(e)}` : 'not a copy')));
}

/** Lowering alternatives of the same step, run interleaved in one process (fair under a shared, busy CPU). */
const ALTERNATIVES: { name: string; lowering: Partial<LoweringOptions>; session?: ort.InferenceSession.SessionOptions }[] = [
  { name: 'default (shifted-copy GEMM weight gradient, per-phase-conv input gradient, 1x1x1-conv transposed conv)', lowering: {} },
  { name: 'strided input gradient as ONNX ConvTranspose', lowering: { convInputGrad: 'conv_transpose' } },
  { name: 'weight gradient as one GEMM per chunk over stacked offset slices (im2col)', lowering: { convWeightGrad: 'im2col' } },
  ...[4, 8, 32, 64].map((mib) => ({ name: `weight gradient chunks of ${mib} MiB (default 16)`, lowering: { weightGradChunkMiB: mib } })),
  { name: 'transposed conv as ONNX ConvTranspose', lowering: { convTranspose: 'native' } },
  { name: 'default lowering, onnxruntime CPU memory arena on', lowering: {}, session: { enableCpuMemArena: true } },
  { name: 'default lowering, intra-op threads spin (onnxruntime default)', lowering: {}, session: { extra: {} } },
  { name: 'default lowering, graph optimisation level extended (no layout transforms)', lowering: {}, session: { graphOptimizationLevel: 'extended' } },
  { name: 'default lowering, graph optimisation level basic', lowering: {}, session: { graphOptimizationLevel: 'basic' } },
  { name: 'default lowering, memory pattern on (onnxruntime default)', lowering: {}, session: { enableMemPattern: true } },
  { name: 'default lowering, 1 intra-op thread', lowering: {}, session: { intraOpNumThreads: 1 } },
  { name: 'default lowering, parallel executor (2 inter-op threads)', lowering: {}, session: { executionMode: 'parallel', interOpNumThreads: 2 } },
];

export async function compareLowerings(only?: readonly string[]): Promise<void> {
  const alternatives = ALTERNATIVES.filter((a, i) => i === 0 || !only || only.some((o) => a.name.includes(o)));
  const c = CASES[0]!;
  const model = compile(c.tree, c.plan, { seed: 0 });
  const step = compileTrainingStep(model);
  const feeds = stepFeeds(model, step);
  const sessions = await Promise.all(alternatives.map((a) => ort.InferenceSession.create(step.onnx(a.lowering), { ...TRAINER_SESSION, ...a.session })));
  const times = await timeAndRelease(sessions, feeds, REPEATS);
  const [wall, cpu] = [times.map((t) => median([...t.wall])), times.map((t) => median([...t.cpu]))];
  console.log(`\n${machineHeader()}\nlowering alternatives, ${c.name}, interleaved, median of ${REPEATS}:`);
  const rows = alternatives.map((a, i) => [a.name, wall[i]!.toFixed(3), (wall[i]! / wall[0]!).toFixed(2), cpu[i]!.toFixed(3), (cpu[i]! / cpu[0]!).toFixed(2)]);
  console.log([['lowering', 's/step', 'time vs default', 'CPU s/step', 'CPU vs default'], ['---', '---', '---', '---', '---'], ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
  console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

/** The strided convs' input gradient of the 4-stage network alone, each lowering, interleaved (median of 9). */
export async function compareInputGradLowerings(): Promise<void> {
  const hows = Object.keys(INPUT_GRAD_LOWERINGS) as LoweringOptions['convInputGrad'][];
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
    const times = await timeAndRelease(sessions, feeds, 9);
    rows.push([`[2,${o},${gs.join(',')}] -> [2,${c},${xs.join(',')}]`, ...times.map((t) => (1e3 * median([...t.wall])).toFixed(1))]);
  }
  console.log('\nstrided conv input gradient alone (k 3, s 2), interleaved, median of 9, ms:');
  const head = ['g -> dx', ...hows];
  console.log([head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
}

/** The 4-stage network's largest convs' weight gradient alone, each lowering, interleaved (median of 9). */
export async function compareWeightGradLowerings(): Promise<void> {
  const hows: { name: string; lowering: Partial<LoweringOptions> }[] = [
    { name: 'im2col 16 MiB', lowering: { convWeightGrad: 'im2col', weightGradChunkMiB: 16 } },
    ...[4, 16, 64].map((mib) => ({ name: `shifted ${mib} MiB`, lowering: { convWeightGrad: 'shifted' as const, weightGradChunkMiB: mib } })),
  ];
  const rows: string[][] = [];
  const convs = [[32, 32, [40, 56, 40], 1], [32, 64, [40, 56, 40], 2], [64, 32, [40, 56, 40], 1], [64, 64, [20, 28, 20], 1], [256, 256, [5, 7, 5], 1]] as const;
  for (const [c, o, xs, s] of convs) {
    const gs = xs.map((d) => Math.ceil(d / s));
    const rng = Rng.seeded(c + o + s);
    const feeds = {
      x: new ort.Tensor('float32', Float32Array.from({ length: 2 * c * xs[0] * xs[1] * xs[2] }, () => rng.normal()), [2, c, ...xs]),
      g: new ort.Tensor('float32', Float32Array.from({ length: 2 * o * gs[0]! * gs[1]! * gs[2]! }, () => rng.normal()), [2, o, ...gs]),
    };
    const sessions = await Promise.all(hows.map(({ lowering }) => {
      const g = new Graph();
      const dw = g.op('conv_weight_grad', 'dw', [g.input('x', [2, c, ...xs]), g.input('g', [2, o, ...gs])], { stride: [s, s, s], pads: [1, 1, 1], kernel: [3, 3, 3] });
      g.output(dw);
      return ort.InferenceSession.create(emitOnnx(g, { params: 'inputs', lowering: { ...lowering } }), { intraOpNumThreads: THREADS, interOpNumThreads: 1, enableCpuMemArena: false });
    }));
    const times = await timeAndRelease(sessions, feeds, 9);
    rows.push([`x [2,${c},${xs.join(',')}], g [2,${o},${gs.join(',')}], stride ${s}`, ...times.map((t) => (1e3 * median([...t.wall])).toFixed(1))]);
  }
  console.log('\nconv weight gradient alone (k 3), interleaved, median of 9, ms:');
  const head = ['x, g', ...hows.map((h) => h.name)];
  console.log([head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
}

/**
 * One 3x3x3 conv of the 4-stage network alone, ours (onnxruntime: Conv, and our conv_input_grad /
 * conv_weight_grad lowerings) vs PyTorch (bench/conv_reference.py: oneDNN), medians of 5, wall and
 * CPU ms: separates the kernels' speed from the rest of the step.
 */
export async function compareConvKernels(): Promise<void> {
  console.log(machineHeader());
  const rows: string[][] = [];
  const convs = [[32, 32, [40, 56, 40], 1], [32, 64, [40, 56, 40], 2], [64, 64, [20, 28, 20], 1], [256, 256, [5, 7, 5], 1]] as const;
  for (const [c, o, xs, s] of convs) {
    const gs = xs.map((d) => Math.ceil(d / s));
    const rng = Rng.seeded(c + o + s);
    const random = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const tensors = {
      x: new ort.Tensor('float32', random(2 * c * prod(xs)), [2, c, ...xs]),
      w: new ort.Tensor('float32', random(o * c * 27), [o, c, 3, 3, 3]),
      g: new ort.Tensor('float32', random(2 * o * prod(gs)), [2, o, ...gs]),
    };
    const attrs = { stride: [s, s, s], pads: [1, 1, 1] };
    const graphs = {
      forward: (g: Graph) => g.op('conv', 'y', [g.input('x', [2, c, ...xs]), g.input('w', [o, c, 3, 3, 3])], attrs),
      input_grad: (g: Graph) => g.op('conv_input_grad', 'dx', [g.input('g', [2, o, ...gs]), g.input('w', [o, c, 3, 3, 3])], { ...attrs, inputSize: [...xs] }),
      weight_grad: (g: Graph) => g.op('conv_weight_grad', 'dw', [g.input('x', [2, c, ...xs]), g.input('g', [2, o, ...gs])], { ...attrs, kernel: [3, 3, 3] }),
    };
    const ours: Record<string, [number, number]> = {};
    for (const [name, build] of Object.entries(graphs)) {
      const g = new Graph();
      g.output(build(g));
      const session = await ort.InferenceSession.create(emitOnnx(g, { params: 'inputs', lowering: LOWERING }), TRAINER_SESSION);
      const feeds = Object.fromEntries(session.inputNames.map((n) => [n, tensors[n as keyof typeof tensors]]));
      await session.run(feeds);
      const runs: { wall: number; cpu: number }[] = [];
      for (let r = 0; r < 5; r++) runs.push(await timed(() => session.run(feeds)));
      await session.release();
      ours[name] = [1e3 * median(runs.map((r) => r.wall)), 1e3 * median(runs.map((r) => r.cpu))];
    }
    const py = spawnSync(PYTHON, [join(import.meta.dirname, 'conv_reference.py'), '2', String(c), String(o), ...xs.map(String), String(s), '5', '--threads', String(THREADS)], { encoding: 'utf8' });
    const torch = py.status === 0 ? JSON.parse(py.stdout) as Record<string, [number, number]> : null;
    for (const name of Object.keys(graphs)) {
      const [ow, oc] = ours[name]!;
      const [tw, tc] = torch?.[name] ?? [NaN, NaN];
      rows.push([`${name}, x [2,${c},${xs.join(',')}] -> ${o} ch, stride ${s}`, ow.toFixed(0), tw.toFixed(0), oc.toFixed(0), tc.toFixed(0), (tc / oc).toFixed(2)]);
    }
  }
  console.log(`\none 3x3x3 conv alone, ours (lowering ${JSON.stringify(LOWERING)}) vs PyTorch, median of 5, ms:`);
  const head = ['op', 'ours wall', 'torch wall', 'ours CPU', 'torch CPU', 'CPU ratio (torch / ours)'];
  console.log([head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
  console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

/** Peak RSS growth of one step per alternative, each in a fresh process (bench/step-memory.ts), every case. */
export async function compareMemory(): Promise<void> {
  const alternatives: { name: string; lowering: Partial<LoweringOptions>; session: ort.InferenceSession.SessionOptions }[] = [
    { name: 'default', lowering: {}, session: {} },
    ...[4, 64].map((mib) => ({ name: `weight gradient chunks of ${mib} MiB`, lowering: { weightGradChunkMiB: mib }, session: {} })),
    { name: 'transposed conv as ONNX ConvTranspose', lowering: { convTranspose: 'native' as const }, session: {} },
    { name: 'memory pattern on (onnxruntime default)', lowering: {}, session: { enableMemPattern: true } },
    { name: 'CPU memory arena on', lowering: {}, session: { enableCpuMemArena: true } },
  ];
  console.log(machineHeader());
  const rows: string[][] = [];
  for (const c of CASES)
    for (const a of alternatives) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'step-memory.ts'), c.name, JSON.stringify(a.lowering), JSON.stringify(a.session)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`step-memory.ts failed: ${r.stderr}`);
      const { peakMiB, seconds } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { peakMiB: number; seconds: number };
      rows.push([c.name, a.name, peakMiB.toFixed(0), seconds.toFixed(2)]);
    }
  const head = ['case', 'alternative', 'peak MiB (RSS growth)', 's/step (one step, not interleaved)'];
  console.log([head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
}
