/**
 * The strongest correctness check: the compiled ONNX model and an independent PyTorch build of
 * the same IR (bench/unet_reference.py), loaded with the same safetensors weights, agree on every
 * head. Covers every terminal: both encoders, both norms, all five nonlinearities, dropout.
 * Skips with a message when Debian's python3-torch is not installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import type { NetworkPlan } from '../../compiler/ir/plan.js';
import type { TreeNode } from '../../compiler/ir/tree-types.js';
import { Rng } from '../../src/util/rng.js';
import { isoPlan, unetTree } from './trees.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '../../bench/unet_reference.py');
const haveTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!haveTorch) console.warn(`skipping the PyTorch agreement test: ${PYTHON} cannot import torch (apt-get install python3-torch)`);

const aniso: NetworkPlan = { inputChannels: 2, numClasses: 3, patchSize: [4, 8, 8], batchSize: 2,
  kernelSizes: [[1, 3, 3], [3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [1, 2, 2], [2, 2, 2]] };

const CASES: [string, TreeNode, NetworkPlan][] = [
  ['conv, instance norm, leaky ReLU / GELU + dropout', unetTree({ encoderBlocks: [2, 1, 2], decoderBlocks: [1, 2], dnonlin: 'gelu', ddropout: 'dropout' }), aniso],
  ['residual, batch norm, PReLU / ELU', unetTree({ encoder: 'res_encoder', encoderBlocks: [1, 3, 2], decoderBlocks: [2, 1], enorm: 'batch_norm', enonlin: 'prelu', dnonlin: 'elu', edropout: 'dropout' }), isoPlan(3, [8, 8, 8], 1, 2)],
  ['residual, instance norm / batch norm, ReLU', unetTree({ encoder: 'res_encoder', encoderBlocks: [2, 2], decoderBlocks: [1], enonlin: 'relu', dnorm: 'batch_norm' }), isoPlan(2, [8, 8, 8], 2, 4)],
];

describe.skipIf(!haveTorch)('agreement with PyTorch', () => {
  for (const [name, tree, plan] of CASES) {
    it(name, async () => {
      const base = compile(tree, plan, { seed: 1, baseFeatures: 4, maxFeatures: 16 });
      // Randomise the constant-initialised parameters (norms, statistics, slopes) so all of them matter.
      const rng = Rng.seeded(2);
      const weights = new Map([...base.graph.params.values()].map((p) => {
        const w = base.weights.get(p.name)!;
        if (p.init.kind === 'he') return [p.name, w] as const;
        return [p.name, w.map(() => (p.name.endsWith('running_var') ? 0.5 + rng.float() : 0.2 + 0.6 * rng.float()))] as const;
      }));
      const model = compile(tree, plan, { baseFeatures: 4, maxFeatures: 16, weights });
      const shape = [plan.batchSize, plan.inputChannels, ...plan.patchSize];
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const dir = mkdtempSync(join(tmpdir(), 'hnas-torch-'));
      try {
        writeFileSync(join(dir, 'ir.json'), JSON.stringify({ ...model.ir, benchBatch: plan.batchSize }));
        writeFileSync(join(dir, 'weights.safetensors'), model.safetensors());
        writeFileSync(join(dir, 'input.bin'), new Uint8Array(x.buffer));
        const py = spawnSync(PYTHON, [SCRIPT, dir, '--threads', '1', '--repeats', '1'], { encoding: 'utf8' });
        expect(py.stderr).toBe('');
        const report = JSON.parse(py.stdout.trim().split('\n').pop()!) as { parameters: number; outputs: number[][] };
        expect(report.parameters).toBe(model.cost.parameters);
        const session = await ort.InferenceSession.create(model.onnx());
        const result = await session.run({ input: new ort.Tensor('float32', x, shape) });
        expect(report.outputs).toEqual(session.outputNames.map((n) => result[n]!.dims));
        session.outputNames.forEach((n, k) => {
          const ours = result[n]!.data as Float32Array;
          const theirs = floatsOf(readFileSync(join(dir, `out${k}.bin`)));
          const scale = Math.max(...theirs.map(Math.abs));
          const diff = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i]!)));
          expect(diff / scale).toBeLessThan(1e-5);
        });
        await session.release();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

/** A file's bytes as float32 (a copy: small Buffers share Node's pool). */
function floatsOf(b: Buffer): Float32Array {
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
