/** Saved weights: safetensors round trip (property) and loading into a compiled graph. */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../compiler/weights/safetensors.js';
import { defaultTree, isoPlan } from './trees.js';

describe('weights on disk', () => {
  it('safetensors encode/decode is the identity (property)', () => {
    const tensor = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) =>
      fc.float32Array({ minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1), noDefaultInfinity: true })
        .map((data) => ({ shape, data })));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'), tensor, { maxKeys: 5 }), (dict) => {
        const map = new Map(Object.entries(dict));
        const back = decodeSafetensors(encodeSafetensors(map, { note: 'x' }));
        expect(back.metadata).toEqual({ note: 'x' });
        expect([...back.tensors.keys()]).toEqual([...map.keys()]);
        for (const [k, t] of map) {
          expect(back.tensors.get(k)!.shape).toEqual(t.shape);
          expect(Buffer.from(back.tensors.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('tensor names that are Object.prototype keys round-trip like any other; __metadata__ is refused', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const map = new Map(names.map((n, i) => [n, { shape: [1], data: Float32Array.of(i) }]));
    const back = decodeSafetensors(encodeSafetensors(map));
    expect([...back.tensors.keys()]).toEqual(names);
    expect(names.map((n) => back.tensors.get(n)!.data[0])).toEqual([0, 1, 2, 3]);
    expect(() => encodeSafetensors(new Map([['__metadata__', { shape: [1], data: Float32Array.of(0) }]]))).toThrow(/reserved/);
  });

  it('the header is 8-byte aligned JSON with F32 entries in the standard layout', () => {
    const bytes = encodeSafetensors(new Map([['w', { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) }]]));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
    expect(header.w).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([1, 2, 3, 4]);
  });

  it('loading saved weights reproduces the saved model\'s outputs, not a fresh one\'s', async () => {
    const plan = isoPlan(3, [8, 8, 8], 1, 2);
    const opts = { baseFeatures: 4, maxFeatures: 8 };
    const saved = compile(defaultTree(3), plan, { ...opts, seed: 11 });
    const loaded = compile(defaultTree(3), plan, { ...opts, seed: 99, weights: saved.safetensors() });
    const fresh = compile(defaultTree(3), plan, { ...opts, seed: 99 });
    const x = new ort.Tensor('float32', Float32Array.from({ length: 512 }, (_, i) => Math.cos(i)), [1, 1, 8, 8, 8]);
    const run = async (bytes: Uint8Array) => {
      const s = await ort.InferenceSession.create(bytes);
      const out = (await s.run({ input: x }))[s.outputNames[0]!]!.data as Float32Array;
      await s.release();
      return out;
    };
    const [a, b, c] = [await run(saved.onnx()), await run(loaded.onnx()), await run(fresh.onnx())];
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });
});
