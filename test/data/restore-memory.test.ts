import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { uncropArray, voxelCount } from '../../src/data/crop.js';
import type { Plan, Vec3 } from '../../src/data/plan-types.js';
import { permute } from '../../src/data/planner.js';
import type { CaseProperties } from '../../src/data/preprocess.js';
import { axisOrders, resampleVolume } from '../../src/data/resample.js';
import { restoreProbabilities, restoreSegmentation } from '../../src/data/restore.js';
import { slidingWindow, type PredictPatch } from '../../src/data/sliding-window.js';
import { inverseOrder, transpose } from '../../src/data/transpose.js';
import { Rng } from '../../src/util/rng.js';

/** The restore written the plain way (all K classes resampled, argmax, transpose back, uncrop; softmax likewise). */
function reference(logits: Float32Array, shape: Vec3, props: CaseProperties, plan: Plan): { segmentation: Int16Array; probabilities: Float32Array } {
  const K = plan.labels.length;
  const target = props.shapeBeforeResampling;
  const orders = axisOrders(permute(props.originalSpacing, plan.transposeForward) as Vec3, plan.spacing, 1, plan.anisotropyThreshold);
  const resampled = resampleVolume(logits, K, shape, target, orders);
  const n = voxelCount(target);
  const labels = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (resampled[k * n + i]! > resampled[best * n + i]!) best = k;
    labels[i] = plan.labels[best]!.value;
  }
  const segmentation = uncropArray(transpose(labels, 1, target, plan.transposeBackward), 1, props.originalShape, props.box, 0);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, resampled[k * n + i]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += resampled[k * n + i] = Math.exp(resampled[k * n + i]! - max);
    for (let k = 0; k < K; k++) resampled[k * n + i]! /= sum;
  }
  const probabilities = uncropArray(transpose(resampled, K, target, plan.transposeBackward), K, props.originalShape, props.box, 0);
  const [Z, Y, X] = props.originalShape;
  const { lo, hi } = props.box;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) if (z < lo[0] || z >= hi[0] || y < lo[1] || y >= hi[1] || x < lo[2] || x >= hi[2]) probabilities[(z * Y + y) * X + x] = 1;
  return { segmentation, probabilities };
}

const PERMUTATIONS: Vec3[] = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
];

/** A random case geometry: original shape, crop box, transpose, spacings (resampled or not), K classes, logits. */
function randomRestore(seed: number) {
  const rng = Rng.seeded(seed);
  const originalShape = [0, 1, 2].map(() => 2 + rng.int(8)) as Vec3;
  const lo = originalShape.map((s) => rng.int(s)) as Vec3;
  const hi = originalShape.map((s, a) => lo[a]! + 1 + rng.int(s - lo[a]!)) as Vec3;
  const order = PERMUTATIONS[rng.int(6)]!;
  const boxShape = hi.map((h, a) => h - lo[a]!) as Vec3;
  const shapeBeforeResampling = permute(boxShape, order) as Vec3;
  const originalSpacing = [0, 1, 2].map(() => [0.7, 1, 2.5, 5][rng.int(4)]!) as Vec3;
  const resample = rng.float() < 0.7;
  const shape = shapeBeforeResampling.map((s) => (resample ? Math.max(1, s + rng.int(5) - 2) : s)) as Vec3;
  const K = 2 + rng.int(3);
  const plan = {
    labels: Array.from({ length: K }, (_, k) => ({ name: `c${k}`, value: k === 0 ? 0 : k + 3 })),
    transposeForward: order,
    transposeBackward: inverseOrder(order),
    spacing: [0, 1, 2].map(() => [0.7, 1, 3][rng.int(3)]!) as Vec3,
    anisotropyThreshold: 3,
  } as unknown as Plan;
  const props: CaseProperties = { originalShape, originalSpacing, box: { lo, hi }, shapeBeforeResampling, geometry: undefined as never };
  const logits = Float32Array.from({ length: K * voxelCount(shape) }, () => 3 * rng.normal());
  return { logits, shape, props, plan, K };
}

describe('restoring predictions class by class', () => {
  it('segmentation and probabilities equal the all-classes-at-once reference (resampled, transposed, cropped cases)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { logits, shape, props, plan } = randomRestore(seed);
        const expected = reference(logits, shape, props, plan);
        expect(Array.from(restoreSegmentation(logits, shape, props, plan))).toEqual(Array.from(expected.segmentation));
        const both = restoreProbabilities(logits, shape, props, plan);
        expect(Array.from(both.segmentation)).toEqual(Array.from(expected.segmentation));
        expect(Array.from(both.probabilities)).toEqual(Array.from(expected.probabilities));
      }),
      { numRuns: 200 },
    );
  });
});

describe('memory: the K-class logits are held once', () => {
  // Every Float32Array allocation (not views of an existing buffer) is recorded while the hook is on:
  // `new Float32Array(n)`, `Float32Array.from`, and, through the species and the prototype's
  // constructor, `slice()` and `new (a.constructor)(n)` of arrays made before.
  const Original = globalThis.Float32Array;
  let allocations: number[] = [];
  class Counting extends Original {
    constructor(...args: unknown[]) {
      super(...(args as []));
      const first = args[0];
      if (!(first instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== 'undefined' && first instanceof SharedArrayBuffer)) allocations.push(this.length);
    }
  }
  const hook = (on: boolean): void => {
    globalThis.Float32Array = on ? (Counting as unknown as Float32ArrayConstructor) : Original;
    Object.defineProperty(Original, Symbol.species, { configurable: true, get: () => (on ? Counting : Original) });
    Object.defineProperty(Original.prototype, 'constructor', { configurable: true, writable: true, value: on ? Counting : Original });
  };
  const counting = async <T>(fn: () => T | Promise<T>): Promise<{ result: T; sizes: number[] }> => {
    allocations = [];
    hook(true);
    try {
      return { result: await fn(), sizes: allocations };
    } finally {
      hook(false);
    }
  };
  afterEach(() => hook(false));
  /** Allocations of at least `volumes` times `n` elements. */
  const atLeast = (sizes: number[], n: number, volumes: number) => sizes.filter((s) => s >= volumes * n);

  it('the counting hook sees the allocations the reference makes (the test can fail)', async () => {
    const { logits, shape, props, plan, K } = randomRestore(7);
    const { sizes } = await counting(() => reference(logits, shape, props, plan));
    expect(atLeast(sizes, Math.min(voxelCount(shape), voxelCount(props.shapeBeforeResampling)), K).length).toBeGreaterThanOrEqual(2);
  });

  it('sliding window: one K-class sum and one weight map; restore: one K-class output, classes resampled one at a time', async () => {
    const shape: Vec3 = [20, 24, 28];
    const n = voxelCount(shape);
    const K = 3;
    const image = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const model: PredictPatch = async (batch, s) => {
      const m = s[2] * s[3] * s[4];
      const out = new Float32Array(s[0] * K * m);
      for (let b = 0; b < s[0]; b++) for (let k = 0; k < K; k++) for (let i = 0; i < m; i++) out[(b * K + k) * m + i] = (k - 1) * batch[b * m + i]!;
      return out;
    };
    const window = await counting(() => slidingWindow(image, 1, shape, model, { patchSize: [8, 8, 8], numClasses: K, mirror: true }));
    expect(atLeast(window.sizes, n, 1).sort((a, b) => a - b)).toEqual([n, K * n]);
    const logits = window.result;

    const plan = { labels: [0, 1, 2].map((v) => ({ name: `c${v}`, value: v })), transposeForward: [2, 0, 1], transposeBackward: inverseOrder([2, 0, 1]), spacing: [1, 1, 1], anisotropyThreshold: 3 } as unknown as Plan;
    // Cropped original [26, 30, 22] in a [28, 32, 24] image, resampled to the network's [20, 24, 28] (plan order).
    const props: CaseProperties = { originalShape: [28, 32, 24], originalSpacing: [1.2, 1.3, 1.25], box: { lo: [1, 1, 1], hi: [27, 31, 23] }, shapeBeforeResampling: [22, 26, 30], geometry: undefined as never };
    const nOut = 28 * 32 * 24;
    const seg = await counting(() => restoreSegmentation(logits, shape, props, plan));
    expect(atLeast(seg.sizes, n, 2)).toEqual([]); // never two classes' worth at once
    const both = await counting(() => restoreProbabilities(logits, shape, props, plan));
    expect(atLeast(both.sizes, n, 2)).toEqual([K * nOut]); // the output itself, nothing else
    expect(Array.from(both.result.segmentation)).toEqual(Array.from(seg.result));
  });
});
