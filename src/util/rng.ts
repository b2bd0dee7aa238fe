/**
 * Seeded random numbers. Every random choice in hnas takes an `Rng`; there is no
 * hidden global randomness. The state is a short array of integers, so it can be
 * stored in a checkpoint or a study database and resumed exactly.
 */
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

export class Rng {
  private gen: JumpableRandomGenerator;
  private spareNormal: number | undefined;

  private constructor(gen: JumpableRandomGenerator) {
    this.gen = gen;
  }

  static seeded(seed: number): Rng {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    // xoroshiro's own seeding leaves nearby seeds with nearly equal first draws; expand the
    // seed (both 32-bit halves) through splitmix32 into a well-mixed 128-bit state instead.
    const next = splitmix32((seed | 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) | 0, 0x85ebca6b));
    const state = [next(), next(), next(), next()];
    if (!state.some((w) => w !== 0)) state[0] = 1; // the all-zero state is a fixed point
    return new Rng(xoroshiro128plusFromState(state));
  }

  static fromState(state: readonly number[]): Rng {
    return new Rng(xoroshiro128plusFromState(state));
  }

  /** Serializable state; `Rng.fromState(r.state())` continues the same stream. */
  state(): number[] {
    // A cached Box-Muller spare would be lost; drop it so state() fully describes the stream.
    this.spareNormal = undefined;
    return [...this.gen.getState()];
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = (this.gen.next() >>> 0) >>> 5; // 27 bits
    const lo = (this.gen.next() >>> 0) >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`int(n) needs n >= 1, got ${n}`);
    return Math.floor(this.float() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const s = this.spareNormal;
      this.spareNormal = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Index drawn from non-negative weights (need not sum to 1). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    let u = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    // Rounding left u >= 0: return the last index with positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    throw new RangeError('categorical() needs at least one positive weight');
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** An independent generator for a sub-task (e.g. one per worker or per trial). */
  fork(): Rng {
    return Rng.seeded(Math.floor(this.float() * TWO_POW_32) ^ this.gen.next());
  }
}

/** splitmix32: a 32-bit integer hash stream, used only to turn a seed into a generator state. */
function splitmix32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) | 0;
  };
}
