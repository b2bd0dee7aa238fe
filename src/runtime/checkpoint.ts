/**
 * Checkpoints: parameters, batch-norm statistics and optimiser state as one safetensors
 * file, with the completed epoch count and the Rng state in its metadata: everything a
 * stopped run needs to continue exactly. Written atomically (temp file + rename).
 */
import { existsSync, readFileSync } from 'node:fs';
import { decodeSafetensors, encodeSafetensors } from '../../compiler/weights/safetensors.js';
import { TrainingFailure } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';

export interface Checkpoint {
  /** Epochs completed. */
  readonly epoch: number;
  readonly rngState: readonly number[];
  /** Every tensor of the step's params, buffers and state, by input name. */
  readonly tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;
  /** Identifies the step graph the tensors belong to. */
  readonly stepId: string;
}

export function saveCheckpoint(path: string, c: Checkpoint): void {
  writeFileAtomic(path, encodeSafetensors(c.tensors, {
    format: 'hnas-checkpoint',
    epoch: String(c.epoch),
    rng: JSON.stringify(c.rngState),
    step: c.stepId,
  }));
}

export function loadCheckpoint(path: string): Checkpoint | null {
  if (!existsSync(path)) return null;
  const { tensors, metadata } = decodeSafetensors(readFileSync(path), path);
  const epoch = Number(metadata.epoch);
  let rng: unknown;
  try {
    rng = JSON.parse(metadata.rng ?? '');
  } catch {
    rng = null;
  }
  if (metadata.format !== 'hnas-checkpoint' || !Number.isInteger(epoch) || !Array.isArray(rng))
    throw new TrainingFailure('not an hnas checkpoint (metadata format/epoch/rng missing)', 'other', { file: path });
  return { epoch, rngState: rng as number[], tensors, stepId: metadata.step ?? '' };
}
