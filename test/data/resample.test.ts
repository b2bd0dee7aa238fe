import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/data/plan-types.js';
import { axisOrders, bsplinePrefilter, resampleLabels, resampleLine, resampleVolume } from '../../src/data/resample.js';

/** Independent reference: solve the mirror-boundary B-spline interpolation system densely in float64. */
function referenceCoefficients(f: number[]): number[] {
  const n = f.length;
  const A = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let k = 0; k < n; k++) {
    A[k]![k] += 4 / 6;
    const left = k - 1 < 0 ? 1 : k - 1; // mirror: c[-1] = c[1]
    const right = k + 1 > n - 1 ? n - 2 : k + 1; // c[n] = c[n-2]
    A[k]![left] += 1 / 6;
    A[k]![right] += 1 / 6;
  }
  const b = [...f];
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(A[r]![i]) > Math.abs(A[p]![i])) p = r;
    [A[i], A[p]] = [A[p]!, A[i]!];
    [b[i], b[p]] = [b[p]!, b[i]!];
    for (let r = i + 1; r < n; r++) {
      const m = A[r]![i] / A[i]![i];
      for (let c = i; c < n; c++) A[r]![c] -= m * A[i]![c];
      b[r]! -= m * b[i]!;
    }
  }
  const x = new Array(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let c = i + 1; c < n; c++) s -= A[i]![c] * x[c];
    x[i] = s / A[i]![i];
  }
  return x;
}

const line = (min: number, max: number) => fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: min, maxLength: max });

describe('cubic B-spline', () => {
  it('prefilter matches a dense float64 solve of the interpolation system', () => {
    fc.assert(
      fc.property(line(3, 40), (f) => {
        const c = Float64Array.from(f);
        bsplinePrefilter(c);
        const ref = referenceCoefficients(f);
        for (let k = 0; k < f.length; k++) expect(c[k]).toBeCloseTo(ref[k]!, 6);
      }),
    );
  });
  it('interpolates: resampling to the same size returns the samples', () => {
    fc.assert(
      fc.property(line(2, 40), (f) => {
        const out = new Float64Array(f.length);
        resampleLine(Float64Array.from(f), out, 3);
        for (let k = 0; k < f.length; k++) expect(out[k]).toBeCloseTo(f[k]!, 6);
      }),
    );
  });
  it('reproduces linear functions away from the border', () => {
    const f = Float64Array.from({ length: 30 }, (_, i) => 2 * i - 7);
    const out = new Float64Array(70);
    resampleLine(f, out, 3);
    // The mirror boundary bends the extension; its effect decays like 0.268^distance.
    let checked = 0;
    for (let i = 0; i < 70; i++) {
      const x = (i + 0.5) * (30 / 70) - 0.5;
      if (x < 12 || x > 17) continue;
      expect(out[i]).toBeCloseTo(2 * x - 7, 4);
      checked++;
    }
    expect(checked).toBeGreaterThan(8);
  });
});

describe('volume resampling', () => {
  const vec = fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }));
  it('identity at equal shape for every order; output shape follows the request', () => {
    fc.assert(
      fc.property(vec, vec, fc.constantFrom<0 | 1 | 3>(0, 1, 3), (shape, target, order) => {
        const n = shape[0] * shape[1] * shape[2];
        const data = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i));
        expect(Array.from(resampleVolume(data, 2, shape as Vec3, shape as Vec3, [order, order, order]))).toEqual(Array.from(data));
        expect(resampleVolume(data, 2, shape as Vec3, target as Vec3, [order, order, order])).toHaveLength(2 * target[0] * target[1] * target[2]);
      }),
    );
  });
  it('linear and nearest stay within the input range; constants stay constant for all orders', () => {
    fc.assert(
      fc.property(vec, vec, (shape, target) => {
        const n = shape[0] * shape[1] * shape[2];
        const data = Float32Array.from({ length: n }, (_, i) => (i * 7919) % 13);
        for (const order of [0, 1] as const) {
          const r = resampleVolume(data, 1, shape as Vec3, target as Vec3, [order, order, order]);
          for (const v of r) expect(v >= Math.min(...data) - 1e-5 && v <= Math.max(...data) + 1e-5).toBe(true);
        }
        const constant = new Float32Array(n).fill(3.5);
        for (const v of resampleVolume(constant, 1, shape as Vec3, target as Vec3, [3, 3, 3])) expect(v).toBeCloseTo(3.5, 4);
      }),
    );
  });
  it('labels: the set of classes is preserved when upsampling by odd factors and identity at equal shape', () => {
    // Odd factors put an output voxel exactly on every input centre (weight 1); even factors in 3D
    // can drop an isolated voxel (0.75^3 < 0.5), as in nnU-Net, so they are no law.
    fc.assert(
      fc.property(vec, fc.constantFrom(1, 3, 5), fc.integer({ min: 0, max: 1000 }), (shape, factor, seed) => {
        const n = shape[0] * shape[1] * shape[2];
        const label = Int16Array.from({ length: n }, (_, i) => [-1, 0, 1, 2][(i * 31 + seed) % 4]!);
        const up = shape.map((s) => s * factor) as Vec3;
        const r = resampleLabels(label, shape as Vec3, up, [1, 1, 1]);
        expect(new Set(r)).toEqual(new Set(label));
        expect(Array.from(resampleLabels(label, shape as Vec3, shape as Vec3, [1, 1, 1]))).toEqual(Array.from(label));
      }),
    );
  });
  it('anisotropic data: nearest along the lone coarse axis, the given order in-plane', () => {
    expect(axisOrders([5, 0.7, 0.7], [3, 0.7, 0.7], 3)).toEqual([0, 3, 3]);
    expect(axisOrders([1, 1, 1], [2, 2, 2], 3)).toEqual([3, 3, 3]);
    expect(axisOrders([4, 4, 1], [4, 4, 1], 1)).toEqual([1, 1, 1]); // two coarse axes: no separate handling
  });
});
