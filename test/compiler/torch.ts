/**
 * Shared by the PyTorch agreement tests: whether Debian's PyTorch is there, weights that make every
 * parameter matter, and running a reference script on a folder of inputs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile, type CompiledModel, type CompileSource } from '../../compiler/index.js';
import type { CompileOptions } from '../../compiler/index.js';
import type { NetworkPlan } from '../../compiler/ir/plan.js';
import { Rng } from '../../src/util/rng.js';

export const PYTHON = '/usr/bin/python3';
export const haveTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
export const NO_TORCH = `needs PyTorch for ${PYTHON} (apt-get install python3-torch)`;
export const benchScript = (name: string) => join(import.meta.dirname, '../../bench', name);

/**
 * The network compiled with seeded He weights and every constant-initialised parameter (norm
 * scales and shifts, running statistics, PReLU slopes, the zero-initialised last norm of a
 * residual block) randomised, so none of them is invisible in the logits.
 */
export function randomisedModel(source: CompileSource, plan: NetworkPlan, options: CompileOptions = {}): CompiledModel {
  const base = compile(source, plan, { ...options, seed: 1 });
  const rng = Rng.seeded(2);
  const weights = new Map([...base.graph.params.values()].map((p) => {
    const w = base.weights.get(p.name)!;
    if (p.init.kind === 'he') return [p.name, w] as const;
    return [p.name, w.map(() => (p.name.endsWith('running_var') ? 0.5 + rng.float() : 0.2 + 0.6 * rng.float()))] as const;
  }));
  return compile(source, plan, { ...options, weights });
}

/** Runs `script DIR ...args` in a fresh folder that `prepare` fills; returns its last stdout line as JSON and reads outputs back. */
export function runReference<T>(script: string, args: string[], prepare: (dir: string) => void): { report: T; output: (k: number) => Float32Array; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hnas-torch-'));
  prepare(dir);
  const py = spawnSync(PYTHON, [script, dir, ...args], { encoding: 'utf8' });
  if (py.status !== 0 || py.stderr !== '') {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${script} exited ${py.status}: ${py.stderr}`);
  }
  return {
    report: JSON.parse(py.stdout.trim().split('\n').pop()!) as T,
    output: (k) => floatsOf(readFileSync(join(dir, `out${k}.bin`))),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The compiled model's outputs on `x` (onnxruntime, CPU). */
export async function runOnnx(model: CompiledModel, x: Float32Array, shape: number[]): Promise<{ dims: number[][]; data: Float32Array[] }> {
  const session = await ort.InferenceSession.create(model.onnx());
  try {
    const result = await session.run({ input: new ort.Tensor('float32', x, shape) });
    const outs = session.outputNames.map((n) => result[n]!);
    return { dims: outs.map((t) => [...t.dims]), data: outs.map((t) => t.data as Float32Array) };
  } finally {
    await session.release();
  }
}

/** max |ours - theirs| / max |theirs|. */
export function relativeDifference(ours: Float32Array, theirs: Float32Array): number {
  if (ours.length !== theirs.length) throw new Error(`length ${ours.length} vs ${theirs.length}`);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < ours.length; i++) {
    scale = Math.max(scale, Math.abs(theirs[i]!));
    diff = Math.max(diff, Math.abs(ours[i]! - theirs[i]!));
  }
  return diff / scale;
}

/** A file's bytes as float32 (a copy: small Buffers share Node's pool). */
function floatsOf(b: Buffer): Float32Array {
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
