/**
 * `npm run bench -- compiler`: the compiler against PyTorch.
 * 1. Agreement and speed: compiled U-Nets run by onnxruntime-node vs the same networks built
 *    by bench/unet_reference.py in PyTorch (Debian python3-torch) from the same IR JSON and the
 *    same safetensors weights (norm scales, shifts and statistics randomised so every parameter
 *    matters). Both on 2 threads, best of the repeats (the machine is shared); outputs of every head compared.
 * 2. The two lowerings of the transposed conv, alone, at the default U-Net's decoder shapes.
 * 3. Compile time of the largest grammar architectures (n_max 7, s_max 2, all max blocks).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph } from '../compiler/graph/graph.js';
import { compile, emitOnnx, type CompiledModel } from '../compiler/index.js';
import type { NetworkPlan, Vec3 } from '../src/data/plan-types.js';
import type { TreeNode } from '../src/grammar/tree-types.js';
import { Rng } from '../src/util/rng.js';
import { defaultTree, isoPlan, unetTree } from '../test/compiler/trees.js';

const PYTHON = '/usr/bin/python3';
const THREADS = 2;
const ROUNDS = 2;

interface Case {
  name: string;
  tree: TreeNode;
  plan: NetworkPlan;
  repeats: number;
}

const CASES: Case[] = [
  { name: 'nnU-Net default conv U-Net, Hippocampus plan [40,56,40], batch 2', tree: defaultTree(4), plan: isoPlan(4, [40, 56, 40], 1, 3, 2), repeats: 5 },
  {
    name: 'ResEnc M + batch norm, PReLU / ELU, [32,32,32], batch 2',
    tree: unetTree({ encoder: 'res_encoder', encoderBlocks: [1, 3, 4, 6], decoderBlocks: [1, 1, 1], enorm: 'batch_norm', enonlin: 'prelu', dnorm: 'batch_norm', dnonlin: 'elu' }),
    plan: isoPlan(4, [32, 32, 32], 2, 4, 2),
    repeats: 3,
  },
  {
    name: 'GELU / ReLU + dropout, anisotropic [16,64,64], batch 2',
    tree: unetTree({ encoderBlocks: [1, 2, 3, 1], decoderBlocks: [3, 1, 2], enonlin: 'gelu', edropout: 'dropout', dnonlin: 'relu', ddropout: 'dropout' }),
    plan: { inputChannels: 1, numClasses: 2, patchSize: [16, 64, 64], batchSize: 2, kernelSizes: [[1, 3, 3], [1, 3, 3], [3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [1, 2, 2], [2, 2, 2], [2, 2, 2]] },
    repeats: 3,
  },
];

/** Weights with every constant-initialised parameter randomised, so the comparison exercises norms and slopes. */
function perturbed(model: CompiledModel, seed: number): Map<string, Float32Array> {
  const rng = Rng.seeded(seed);
  const out = new Map<string, Float32Array>();
  for (const p of model.graph.params.values()) {
    const w = model.weights.get(p.name)!;
    if (p.init.kind === 'he') out.set(p.name, w);
    else if (p.name.endsWith('running_var')) out.set(p.name, w.map(() => 0.5 + rng.float()));
    else if (p.name.endsWith('.act.weight')) out.set(p.name, w.map(() => 0.1 + 0.3 * rng.float()));
    else out.set(p.name, w.map((v) => v + 0.2 * (2 * rng.float() - 1)));
  }
  return out;
}

async function timeOrt(bytes: Uint8Array, input: ort.Tensor, repeats: number): Promise<{ ms: number; outputs: Float32Array[] }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: THREADS, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  let result = await session.run({ input }); // warm-up
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    result = await session.run({ input });
    times.push(performance.now() - t);
  }
  const outputs = session.outputNames.map((n) => result[n]!.data as Float32Array);
  await session.release();
  return { ms: Math.min(...times), outputs };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / scale;
}

async function agreementAndSpeed(): Promise<void> {
  const havePython = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (!havePython) console.log(`(PyTorch not available at ${PYTHON}: the reference columns are empty)`);
  console.log(`\nForward pass on CPU, ${THREADS} threads, best of ${ROUNDS} alternating rounds x repeats after a warm-up; load average ${loadavg()[0]!.toFixed(1)} at the start. ORT = onnxruntime-node ${ort.env.versions.common}; ratio = PyTorch time / ORT time (> 1: ORT faster).`);
  const rows: string[][] = [['network', 'params', 'GFLOP/batch', 'ORT conv1x1 ms', 'ORT native ms', 'PyTorch ms', 'ratio', 'ORT Mvoxel/s', 'max rel diff']];
  for (const c of CASES) {
    const base = compile(c.tree, c.plan, { seed: 1 });
    const model = compile(c.tree, c.plan, { weights: perturbed(base, 2) });
    const dir = mkdtempSync(join(tmpdir(), 'hnas-bench-'));
    try {
      const shape = [c.plan.batchSize, c.plan.inputChannels, ...c.plan.patchSize];
      const rng = Rng.seeded(3);
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const input = new ort.Tensor('float32', x, shape);
      const fastBytes = model.onnx();
      const nativeBytes = compile(c.tree, c.plan, { weights: model.weights, lowering: { convTranspose: 'native' } }).onnx();
      if (havePython) {
        writeFileSync(join(dir, 'ir.json'), JSON.stringify({ ...model.ir, benchBatch: c.plan.batchSize }));
        writeFileSync(join(dir, 'weights.safetensors'), model.safetensors());
        writeFileSync(join(dir, 'input.bin'), new Uint8Array(x.buffer));
      }
      // The machine is shared: alternate the three contenders for ROUNDS rounds and keep each one's best time.
      let [fastMs, nativeMs, torchMs, diff] = [Infinity, Infinity, havePython ? Infinity : NaN, 0];
      for (let round = 0; round < ROUNDS; round++) {
        const fast = await timeOrt(fastBytes, input, c.repeats);
        const native = await timeOrt(nativeBytes, input, c.repeats);
        fastMs = Math.min(fastMs, fast.ms);
        nativeMs = Math.min(nativeMs, native.ms);
        if (!havePython) continue;
        const py = spawnSync(PYTHON, [join(import.meta.dirname, 'unet_reference.py'), dir, '--threads', String(THREADS), '--repeats', String(c.repeats)], { encoding: 'utf8', maxBuffer: 1 << 24 });
        if (py.status !== 0) throw new Error(`PyTorch reference failed:\n${py.stderr}`);
        const report = JSON.parse(py.stdout.trim().split('\n').pop()!) as { parameters: number; seconds: number[] };
        if (report.parameters !== model.cost.parameters) throw new Error(`parameter counts differ: PyTorch ${report.parameters}, hnas ${model.cost.parameters}`);
        torchMs = Math.min(torchMs, 1000 * Math.min(...report.seconds));
        diff = Math.max(diff, ...fast.outputs.map((o, k) => {
          const t = floatsOf(readFileSync(join(dir, `out${k}.bin`)));
          if (t.length !== o.length) throw new Error(`head ${k}: ${t.length} PyTorch values vs ${o.length}`);
          return Math.max(maxRelDiff(o, t), maxRelDiff(native.outputs[k]!, t));
        }));
      }
      if (!havePython) diff = NaN;
      const voxels = c.plan.batchSize * c.plan.patchSize.reduce((a, b) => a * b, 1);
      rows.push([c.name, model.cost.parameters.toLocaleString('en-US'), (model.cost.flopsPerSample * c.plan.batchSize / 1e9).toFixed(1),
        fastMs.toFixed(0), nativeMs.toFixed(0), torchMs.toFixed(0), (torchMs / fastMs).toFixed(2), (voxels / fastMs / 1e3).toFixed(2), diff.toExponential(1)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  printTable(rows);
}

async function compileTime(): Promise<void> {
  console.log('\nCompile time of the largest architectures (n_max 7, s_max 2, every stage at its maximum block count), patch [64,64,64]:');
  const plan = isoPlan(7, [64, 64, 64], 1, 3, 2);
  const rows: string[][] = [['network', 'params', 'IR + graph ms', 'weight init ms', 'ONNX emit ms', 'ONNX MB', 'ORT session ms']];
  const largest: [string, TreeNode][] = [
    ['residual, blocks 2,6,8,12,12,12,12, decoder 4 each', unetTree({ encoder: 'res_encoder', encoderBlocks: [2, 6, 8, 12, 12, 12, 12], decoderBlocks: [4, 4, 4, 4, 4, 4] })],
    ['conv, 4 blocks per stage, decoder 4 each', unetTree({ encoderBlocks: [4, 4, 4, 4, 4, 4, 4], decoderBlocks: [4, 4, 4, 4, 4, 4] })],
  ];
  for (const [name, tree] of largest) {
    let t = performance.now();
    const lap = () => {
      const now = performance.now();
      const d = now - t;
      t = now;
      return d.toFixed(0);
    };
    const model = compile(tree, plan);
    const graphMs = lap();
    void model.weights;
    const initMs = lap();
    const bytes = model.onnx();
    const emitMs = lap();
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: THREADS });
    const sessionMs = lap();
    await session.release();
    rows.push([name, model.cost.parameters.toLocaleString('en-US'), graphMs, initMs, emitMs, (bytes.length / 2 ** 20).toFixed(0), sessionMs]);
  }
  printTable(rows);
}

/** The transposed conv alone (kernel = stride = 2), both lowerings, at the default U-Net's decoder shapes. */
async function upsamplingLowering(): Promise<void> {
  console.log('\nTransposed conv (kernel = stride = 2) alone, batch 2, best of 3 alternating rounds x 5 runs:');
  const rows: string[][] = [['channels', 'input', 'ORT ConvTranspose ms', 'ORT 1x1 conv + depth-to-space ms', 'speed-up']];
  const shapes: [number, number, Vec3][] = [[256, 128, [5, 7, 5]], [128, 64, [10, 14, 10]], [64, 32, [20, 28, 20]], [320, 320, [4, 8, 8]]];
  for (const [c, o, sp] of shapes) {
    const best = { native: Infinity, conv1x1: Infinity };
    const g = new Graph();
    g.input('x', ['N', c, ...sp]);
    g.param('w', [c, o, 2, 2, 2], { kind: 'fill', value: 0 });
    g.param('b', [o], { kind: 'fill', value: 0 });
    g.output(g.op('conv_transpose', 'y', ['x', 'w', 'b'], { stride: [2, 2, 2] }));
    const rng = Rng.seeded(4);
    const weights = new Map([['w', Float32Array.from({ length: c * o * 8 }, () => rng.normal())], ['b', new Float32Array(o)]]);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 2 * c * sp[0] * sp[1] * sp[2] }, () => rng.normal()), [2, c, ...sp]);
    for (let round = 0; round < 3; round++) {
      for (const lowering of ['native', 'conv1x1'] as const) {
        const session = await ort.InferenceSession.create(emitOnnx(g, { weights, lowering: { convTranspose: lowering } }), { intraOpNumThreads: THREADS, interOpNumThreads: 1 });
        await session.run({ x });
        for (let i = 0; i < 5; i++) {
          const t = performance.now();
          await session.run({ x });
          best[lowering] = Math.min(best[lowering], performance.now() - t);
        }
        await session.release();
      }
    }
    rows.push([`${c} -> ${o}`, sp.join('x'), best.native.toFixed(1), best.conv1x1.toFixed(1), (best.native / best.conv1x1).toFixed(2)]);
  }
  printTable(rows);
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  rows.forEach((r, k) => {
    console.log(`| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
    if (k === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  });
}

export async function run(): Promise<void> {
  await agreementAndSpeed();
  await upsamplingLowering();
  await compileTime();
}

/** A file's bytes as float32 (a copy: small Buffers share Node's pool). */
function floatsOf(b: Buffer): Float32Array {
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
