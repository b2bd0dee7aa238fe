/**
 * Lowering calibration: which of a few lowerings of the same training step runs fastest on the
 * machine at hand. The fastest form differs between CPUs (docs/training.md: on AVX-512 PyTorch's
 * oneDNN convs pull ahead of MLAS, and the share of copies and depth-to-space transposes changes),
 * so instead of one fixed default, `calibrateLowering` times the candidates interleaved on a real
 * batch and caches the choice per CPU model, onnxruntime version, thread count and device: the
 * first run on a machine pays a few steps per candidate, later runs read the cache.
 *
 * @example
 *   const { lowering } = await calibrateLowering(step, feeds, { device: 'cpu', threads: 2, cacheFile: defaultCalibrationFile() });
 */
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { LoweringOptions } from '../../compiler/onnx/context.js';
import type { TrainingStep } from '../../compiler/train/step.js';
import { writeFileAtomic } from '../util/fs.js';
import { defaultCacheDir } from './cuda-setup.js';
import { createSession, DEVICE_LOWERING, type Device } from './providers.js';

export interface Candidate {
  readonly name: string;
  /** Applied over the device's own lowering (DEVICE_LOWERING). */
  readonly lowering: Partial<LoweringOptions>;
}

/**
 * What the CPU calibration tries: the default first (kept unless another beats it by the margin),
 * then the alternatives measured within ~10 % of it on some machine (docs/training.md).
 */
export const CPU_CANDIDATES: readonly Candidate[] = [
  { name: 'default', lowering: {} },
  { name: 'native ConvTranspose upsampling', lowering: { convTranspose: 'native' } },
  { name: 'ConvTranspose strided input gradient', lowering: { convInputGrad: 'conv_transpose' } },
  { name: 'weight-gradient chunks of 4 MiB', lowering: { weightGradChunkMiB: 4 } },
];

/** Seconds per run of one candidate, wall and CPU (all threads of this process). */
export interface Timing {
  readonly wall: readonly number[];
  readonly cpu: readonly number[];
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/**
 * The candidate to use: the one with the lowest median wall time, unless it is less than `margin`
 * (a fraction) faster than candidate 0, the default, which then stays: differences within the
 * run-to-run noise do not change the lowering. Candidates without timings never win.
 */
export function chooseCandidate(timings: readonly Timing[], margin = 0.03): number {
  if (timings.length === 0) throw new RangeError('chooseCandidate: no candidates');
  const medians = timings.map((t) => (t.wall.length ? median(t.wall) : Infinity));
  const best = medians.reduce((b, m, i) => (m < medians[b]! ? i : b), 0);
  return medians[best]! < medians[0]! * (1 - margin) ? best : 0;
}

/**
 * Times `repeats` runs of each session after one warm-up run each, interleaved so all see the
 * same load, each round starting one session later so no position in the round is favoured.
 */
export async function timeInterleaved(sessions: readonly ort.InferenceSession[], feeds: Record<string, ort.Tensor>, repeats: number): Promise<Timing[]> {
  for (const s of sessions) await s.run(feeds);
  const times = sessions.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let r = 0; r < repeats; r++)
    for (let j = 0; j < sessions.length; j++) {
      const i = (j + r) % sessions.length;
      const [t, c] = [performance.now(), process.cpuUsage()];
      await sessions[i]!.run(feeds);
      const u = process.cpuUsage(c);
      times[i]!.wall.push((performance.now() - t) / 1000);
      times[i]!.cpu.push((u.user + u.system) / 1e6);
    }
  return times;
}

/** What a cached choice is valid for: another CPU, onnxruntime build, thread count or device calibrates again. */
export interface CalibrationKey {
  readonly cpu: string;
  readonly onnxruntime: string;
  readonly threads: number;
  readonly device: Device;
}

export const calibrationKey = (device: Device, threads: number): CalibrationKey => ({
  cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
  onnxruntime: ort.env.versions.node ?? ort.env.versions.common ?? 'unknown',
  threads,
  device,
});

export interface CalibrationEntry {
  readonly key: CalibrationKey;
  readonly choice: string;
  readonly lowering: Partial<LoweringOptions>;
  /** Median wall seconds per step of each candidate, by name, as measured. */
  readonly medians: Readonly<Record<string, number>>;
  readonly measuredOn: string;
}

const sameKey = (a: CalibrationKey, b: CalibrationKey) => a.cpu === b.cpu && a.onnxruntime === b.onnxruntime && a.threads === b.threads && a.device === b.device;

/** $XDG_CACHE_HOME/hnas/lowering-calibration.json (or ~/.cache/hnas/...). */
export const defaultCalibrationFile = (): string => join(defaultCacheDir(), 'lowering-calibration.json');

function readEntries(file: string): CalibrationEntry[] {
  if (!existsSync(file)) return [];
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { entries?: CalibrationEntry[] };
    return Array.isArray(data.entries) ? data.entries : [];
  } catch {
    return []; // a damaged cache only costs a new calibration
  }
}

/** The cached choice for `key`, if one was measured under exactly that key. */
export function readCalibration(file: string, key: CalibrationKey): CalibrationEntry | undefined {
  return readEntries(file).find((e) => e.key && sameKey(e.key, key));
}

/** Stores `entry`, replacing any entry of the same key (atomic write). */
export function writeCalibration(file: string, entry: CalibrationEntry): void {
  mkdirSync(dirname(file), { recursive: true });
  const entries = [...readEntries(file).filter((e) => !e.key || !sameKey(e.key, entry.key)), entry];
  writeFileAtomic(file, `${JSON.stringify({ entries }, null, 2)}\n`);
}

export interface CalibrateOptions {
  readonly device: Device;
  readonly threads: number;
  /** Where choices are cached; undefined = measure every time, store nothing. */
  readonly cacheFile?: string;
  readonly candidates?: readonly Candidate[];
  /** Timed runs per candidate (default 2, after one warm-up each). */
  readonly repeats?: number;
  readonly margin?: number;
}

export interface Calibration {
  readonly lowering: Partial<LoweringOptions>;
  readonly choice: string;
  readonly fromCache: boolean;
  readonly medians: Readonly<Record<string, number>>;
}

/**
 * The lowering of `step` to use on this machine: from the cache when it has this machine's key,
 * else measured on `feeds` (one real step's inputs; outputs are discarded) and cached.
 */
export async function calibrateLowering(step: TrainingStep, feeds: Record<string, ort.Tensor>, o: CalibrateOptions): Promise<Calibration> {
  const key = calibrationKey(o.device, o.threads);
  const cached = o.cacheFile ? readCalibration(o.cacheFile, key) : undefined;
  if (cached) return { lowering: cached.lowering, choice: cached.choice, fromCache: true, medians: cached.medians };
  const candidates = o.candidates ?? CPU_CANDIDATES;
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const c of candidates) sessions.push(await createSession(step.onnx({ ...DEVICE_LOWERING[o.device], ...c.lowering }), o.device, o.threads));
    const timings = await timeInterleaved(sessions, feeds, o.repeats ?? 2);
    const best = candidates[chooseCandidate(timings, o.margin)]!;
    const medians = Object.fromEntries(candidates.map((c, i) => [c.name, median(timings[i]!.wall)]));
    const entry: CalibrationEntry = { key, choice: best.name, lowering: best.lowering, medians, measuredOn: new Date().toISOString() };
    if (o.cacheFile) writeCalibration(o.cacheFile, entry);
    return { lowering: best.lowering, choice: best.name, fromCache: false, medians };
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}
