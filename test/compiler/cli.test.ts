/** `hnas compile` end to end: files written, summary printed, usage and input errors exit non-zero. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { captureOutput } from '../helpers/cli.js';
import { main } from '../../src/cli/main.js';
import { printTree } from '../../src/grammar/tree.js';
import { defaultTree, isoPlan } from './trees.js';

let dir: string;
const io = captureOutput();
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hnas-compile-'));
  writeFileSync(join(dir, 'tree.json'), JSON.stringify({ format: 'hnas-tree', version: 1, grammar: { name: 'unet', nMax: 3, sMax: 2 }, tree: defaultTree(3) }));
  writeFileSync(join(dir, 'plan.json'), JSON.stringify({ network: isoPlan(3, [8, 8, 8], 1, 2, 4) }));
});

describe('hnas compile', () => {
  it('writes an ONNX model, weights and IR; prints the summary; --json for machines', async () => {
    const [tree, plan, onnx, st, ir] = ['tree.json', 'plan.json', 'm.onnx', 'w.safetensors', 'ir.json'].map((f) => join(dir, f)) as [string, string, string, string, string];
    expect(await main(['compile', tree, '--plan', plan, '-o', onnx, '--save-weights', st, '--save-ir', ir, '--base-features', '4', '--print-graph'])).toBe(0);
    expect(io.out()).toMatch(/parameters: [\d,]+[\s\S]*FLOPs per forward pass[\s\S]*activation memory \(batch 4\)/);
    expect(io.out()).toContain('encoder.stage1.block0.conv = conv(encoder.stage0.block1.act, encoder.stage1.block0.conv.weight[8, 4, 3, 3, 3], encoder.stage1.block0.conv.bias[8]) {stride=2x2x2, pads=1x1x1} -> [N, 8, 4, 4, 4]');
    const session = await ort.InferenceSession.create(readFileSync(onnx));
    expect(session.outputNames).toEqual(['decoder.stage1.head', 'decoder.stage0.head']);
    await session.release();
    expect(JSON.parse(readFileSync(ir, 'utf8')).format).toBe('hnas-unet-ir');
    io.clear();
    expect(await main(['compile', tree, '--channels', '1', '--classes', '2', '--patch', '8', '--strides', '1,2,2', '--base-features', '4', '--json', '--weights', st])).toBe(0);
    const json = JSON.parse(io.out());
    expect(json.outputs[0]).toEqual({ name: 'decoder.stage1.head', shape: ['N', 2, 8, 8, 8] });
    expect(json.cost.parameters).toBeGreaterThan(0);
    // The bracketed form gives the same network.
    writeFileSync(join(dir, 'tree.txt'), printTree(defaultTree(3)));
    io.clear();
    expect(await main(['compile', join(dir, 'tree.txt'), '--channels', '1', '--classes', '2', '--patch', '8', '--strides', '1,2,2', '--base-features', '4', '--json'])).toBe(0);
    expect(JSON.parse(io.out()).cost).toEqual(json.cost);
    writeFileSync(join(dir, 'bad.txt'), '(S unet (E2');
    expect(await main(['compile', join(dir, 'bad.txt'), '--channels', '1', '--classes', '2', '--patch', '8', '--strides', '1,2'])).toBe(1);
    expect(io.err()).toMatch(/bad\.txt/);
  });

  it('usage errors exit 2, bad input exits 1, and an existing output survives a failure', async () => {
    const tree = join(dir, 'tree.json');
    const onnx = join(dir, 'keep.onnx');
    writeFileSync(onnx, 'previous model');
    expect(await main(['compile', tree, '--channels', '1', '--patch', '8', '--strides', '1,2,2', '-o', onnx])).toBe(2);
    expect(io.err()).toMatch(/without --plan, give --classes/);
    expect(await main(['compile', tree, '--plan', join(dir, 'plan.json'), '--channels', '2'])).toBe(2);
    expect(await main(['compile', tree, '--channels', '1', '--classes', '2', '--patch', '8x6x8', '--strides', '1,2,2', '-o', onnx])).toBe(1);
    expect(io.err()).toMatch(/PlanError: command-line plan at \$\.strides\[2\]\[1\]/);
    expect(await main(['compile', tree, '--channels', '1', '--classes', '2', '--patch', '8', '--strides', '1,2', '-o', onnx])).toBe(1);
    expect(io.err()).toMatch(/3 stages but the plan only 2/);
    expect(readFileSync(onnx, 'utf8')).toBe('previous model');
    expect(existsSync(join(dir, 'none.onnx'))).toBe(false);
  });
});
