/**
 * The standard normal distribution's interval probabilities, accurate in the far
 * tails too (relative error ~1e-13): the prior of a stage count five standard
 * deviations from the default is small but not zero.
 */

/** Complementary error function. Series for x < 3, Lentz continued fraction beyond. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) {
    // erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)): all terms positive.
    let term = x;
    let sum = x;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  if (x > 27) return 0; // below the smallest double
  // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** P(Z > z) for a standard normal Z. */
export const upperTail = (z: number): number => 0.5 * erfc(z / Math.SQRT2);

/** P(lo < Z < hi) for a standard normal Z, without cancellation in either tail. */
export function normalInterval(lo: number, hi: number): number {
  if (!(hi > lo)) return 0;
  if (lo >= 0) return upperTail(lo) - upperTail(hi);
  if (hi <= 0) return upperTail(-hi) - upperTail(-lo);
  return 1 - upperTail(hi) - upperTail(-lo);
}
