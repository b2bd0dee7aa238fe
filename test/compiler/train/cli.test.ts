/** `hnas compile --train`: the written step graph loads in onnxruntime, its metadata signature names exactly its inputs and outputs, and one step runs. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StepSignature } from '../../../compiler/train/step.js';
import { main } from '../../../src/cli/main.js';
import { defaultTree } from '../trees.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hnas-train-cli-'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  writeFileSync(join(dir, 'tree.json'), JSON.stringify({ format: 'hnas-tree', version: 1, grammar: { name: 'unet', nMax: 3, sMax: 2 }, tree: defaultTree(3) }));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('hnas compile --train', () => {
  it('writes a training step whose documented signature matches the graph, and runs it', async () => {
    const step = join(dir, 'step.onnx');
    const flags = ['--channels', '1', '--classes', '3', '--patch', '8', '--strides', '1,2,2', '--base-features', '4', '--batch', '2'];
    expect(await main(['compile', join(dir, 'tree.json'), ...flags, '--train', '--optimizer', 'adamw', '--loss', 'dice_topk', '-o', step])).toBe(0);
    const bytes = readFileSync(step);
    const model = pkg.onnx.ModelProto.decode(bytes);
    const sig = JSON.parse(model.metadataProps.find((m) => m.key === 'hnas.training_step')!.value!) as StepSignature;
    expect(sig.options.optimizer.kind).toBe('adamw');
    expect(Object.keys(sig.terms).sort()).toEqual(['dice', 'topk']);
    const session = await ort.InferenceSession.create(bytes);
    const slots = [...sig.params, ...sig.buffers, ...sig.state];
    expect([...session.inputNames].sort()).toEqual([sig.image.name, sig.labels.name, sig.lr, ...sig.noise.map((n) => n.name), ...slots.map((s) => s.name)].sort());
    expect([...session.outputNames].sort()).toEqual([sig.loss, sig.gradNorm, ...Object.values(sig.terms), ...slots.map((s) => s.output)].sort());
    const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    const feeds: Record<string, ort.Tensor> = {
      [sig.image.name]: new ort.Tensor('float32', Float32Array.from({ length: size(sig.image.shape) }, (_, i) => Math.sin(i)), sig.image.shape),
      [sig.labels.name]: new ort.Tensor('float32', Float32Array.from({ length: size(sig.labels.shape) }, (_, i) => i % 3), sig.labels.shape),
      [sig.lr]: new ort.Tensor('float32', Float32Array.of(1e-3), []),
    };
    for (const s of slots) feeds[s.name] = new ort.Tensor('float32', new Float32Array(Math.max(1, size(s.shape))).fill(s.name.startsWith('opt.') ? 0 : 0.1), s.shape);
    const out = await session.run(feeds);
    expect(Number.isFinite((out[sig.loss]!.data as Float32Array)[0]!)).toBe(true);
    expect((out['updated.opt.step']!.data as Float32Array)[0]).toBe(1);
    await session.release();
  });

  it('rejects an unknown loss or optimiser as a usage error (exit 2) and writes nothing', async () => {
    const flags = ['--channels', '1', '--classes', '3', '--patch', '8', '--strides', '1,2,2', '--train', '-o', join(dir, 's.onnx')];
    expect(await main(['compile', join(dir, 'tree.json'), ...flags, '--loss', 'hinge'])).toBe(2);
    expect(await main(['compile', join(dir, 'tree.json'), ...flags, '--optimizer', 'lion'])).toBe(2);
    expect(() => readFileSync(join(dir, 's.onnx'))).toThrow();
  });
});
