/** Small shared checks for op shape rules. */
import { ShapeError } from '../../../src/errors.js';
import type { Dim, Shape } from '../shape.js';

export function rank(s: Shape, r: number, what: string): void {
  if (s.length !== r) throw new ShapeError(`${what} must have rank ${r}, got [${s.join(', ')}]`);
}

export function sameDim(a: Dim, b: Dim, what: string): void {
  if (a !== b) throw new ShapeError(`${what}: ${a} != ${b}`);
}

export function sameShape(a: Shape, b: Shape, what: string): void {
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) throw new ShapeError(`${what}: [${a.join(', ')}] vs [${b.join(', ')}]`);
}

export function spatialSize(d: Dim, what: string): number {
  if (typeof d !== 'number') throw new ShapeError(`${what} must be a fixed size, got symbol '${d}'`);
  return d;
}

/** Elements of a shape, symbolic dimensions counted as 1 (cost rules are per sample). */
export const perSample = (s: Shape): number => s.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1);

export const prod = (xs: readonly number[]): number => xs.reduce((p, x) => p * x, 1);

/** All index tuples of a box of the given sizes, last axis fastest. */
export function* grid(sizes: readonly number[]): Generator<number[]> {
  const total = prod(sizes);
  for (let f = 0; f < total; f++) {
    let rest = f;
    yield sizes.map((_, a) => {
      const inner = prod(sizes.slice(a + 1));
      const v = Math.floor(rest / inner);
      rest -= v * inner;
      return v;
    });
  }
}
