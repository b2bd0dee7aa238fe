/**
 * Stable hashes of strings, for seeds and deterministic noise that must be the same in
 * every process and on every rerun (so no Math.random and no object identity).
 */

/** 32-bit FNV-1a of a string. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A value in [-1, 1) from a string: FNV-1a plus a final mix, so strings differing in one character spread. */
export function hashNoise(text: string): number {
  const h = hashString(text);
  return (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0) / 2 ** 31 - 1;
}
