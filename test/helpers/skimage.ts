/**
 * nnU-Net's resampling of one case done by Debian's skimage + scipy (bench/ctpreprocess_reference.py),
 * for agreement tests and the ctpreprocess benchmark. `skimageAvailable` says whether /usr/bin/python3
 * can run it; `SKIMAGE_MISSING` is the reason to skip with.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Vec3 } from '../../src/data/plan-types.js';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../bench/ctpreprocess_reference.py', import.meta.url));

export const skimageAvailable = (): boolean => spawnSync(PYTHON, ['-c', 'import skimage.transform, scipy.ndimage, numpy'], { encoding: 'utf8' }).status === 0;
export const SKIMAGE_MISSING = `${PYTHON} cannot import skimage and scipy (apt-get install python3-skimage python3-scipy)`;

export interface SkimageResult {
  image: Float32Array;
  label?: Int16Array;
  secondsImage: number;
  secondsLabel: number | null;
  separateAxis: number | null;
  maxRssKb: number;
}

/** Resample a plan-order [C, ...shape] image (and label) from `spacing` to `target` as nnU-Net does. */
export function skimageResample(o: { image: Float32Array; label?: Int16Array; channels: number; shape: Vec3; newShape: Vec3; spacing: Vec3; target: Vec3; threshold?: number }): SkimageResult {
  const dir = mkdtempSync(join(tmpdir(), 'hnas-skimage-'));
  try {
    const f = (name: string): string => join(dir, name);
    writeFileSync(f('image.raw'), new Uint8Array(o.image.buffer, o.image.byteOffset, o.image.byteLength));
    if (o.label) writeFileSync(f('label.raw'), new Uint8Array(o.label.buffer, o.label.byteOffset, o.label.byteLength));
    const job = { image: f('image.raw'), label: o.label ? f('label.raw') : null, channels: o.channels, shape: o.shape, new_shape: o.newShape, spacing: o.spacing, target: o.target, threshold: o.threshold ?? 3, out_image: f('out-image.raw'), out_label: f('out-label.raw') };
    writeFileSync(f('job.json'), JSON.stringify(job));
    const run = spawnSync(PYTHON, [SCRIPT, f('job.json')], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (run.status !== 0) throw new Error(`${SCRIPT} failed (${run.status}): ${run.stderr}`);
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as { seconds_image: number; seconds_label: number | null; separate_axis: number | null; max_rss_kb: number };
    const bytes = (name: string): ArrayBuffer => {
      const b = readFileSync(f(name));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    };
    return {
      image: new Float32Array(bytes('out-image.raw')),
      label: o.label ? new Int16Array(bytes('out-label.raw')) : undefined,
      secondsImage: report.seconds_image,
      secondsLabel: report.seconds_label,
      separateAxis: report.separate_axis,
      maxRssKb: report.max_rss_kb,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Max and mean absolute difference. */
export function differences(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.length };
}

/** Dice of each label value present in either (NaN-free: values absent from both are left out). */
export function dicePerLabel(a: Int16Array, b: Int16Array): Map<number, number> {
  const inter = new Map<number, number>();
  const sizes = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    sizes.set(a[i]!, (sizes.get(a[i]!) ?? 0) + 1);
    sizes.set(b[i]!, (sizes.get(b[i]!) ?? 0) + 1);
    if (a[i] === b[i]) inter.set(a[i]!, (inter.get(a[i]!) ?? 0) + 1);
  }
  return new Map([...sizes].map(([v, n]) => [v, (2 * (inter.get(v) ?? 0)) / n]));
}
