/**
 * Trained models as sliding-window predictors: an onnxruntime session (or several, a fold
 * ensemble) behind the `PredictPatch` callback of src/data/sliding-window.ts. The model's
 * first output is the full-resolution head (the compiler lists heads highest resolution first).
 *
 * @example
 *   const models = await loadPredictors(['fold_0/model.onnx', 'fold_1/model.onnx'], 'cpu');
 *   const { segmentation } = await predictCase(image, plan, models.predict, { mirror: true });
 *   await models.release();
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { DatasetError, TrainingFailure } from '../errors.js';
import type { PredictPatch } from '../data/sliding-window.js';
import { createSession, type Device } from '../runtime/providers.js';

export interface Predictors {
  /** Mean logits of every model. */
  readonly predict: PredictPatch;
  readonly count: number;
  release(): Promise<void>;
}

/** A PredictPatch over one session: input 0 in, output 0 (full resolution) out. */
export function sessionPredictor(session: ort.InferenceSession): PredictPatch {
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  return async (batch, shape) => {
    const out = await session.run({ [input]: new ort.Tensor('float32', batch, [...shape]) });
    return out[output]!.data as Float32Array;
  };
}

/** Averages the logits of several predictors (a fold ensemble). */
export function averagePredictors(predictors: readonly PredictPatch[]): PredictPatch {
  if (predictors.length === 1) return predictors[0]!;
  return async (batch, shape) => {
    let sum: Float32Array | undefined;
    for (const p of predictors) {
      const logits = await p(batch, shape);
      if (!sum) sum = Float32Array.from(logits);
      else for (let i = 0; i < sum.length; i++) sum[i]! += logits[i]!;
    }
    for (let i = 0; i < sum!.length; i++) sum![i]! /= predictors.length;
    return sum!;
  };
}

/** What a model must take and give to be used with a plan: [N, channels, ...patch] in, [N, classes, ...patch] out. */
export interface ModelContract {
  readonly inputChannels: number;
  readonly numClasses: number;
  readonly patchSize: readonly number[];
}

/** A model file that does not fit the plan it is used with (say, replaced by one of another dataset) is named, not run. */
function checkContract(session: ort.InferenceSession, contract: ModelContract, file: string): void {
  const dims = (m: ort.InferenceSession.ValueMetadata | undefined): readonly (number | string)[] | null => (m && m.isTensor ? m.shape : null);
  const input = dims(session.inputMetadata[0]);
  const output = dims(session.outputMetadata[0]);
  const want = (channels: number) => ['N', channels, ...contract.patchSize];
  const fits = (got: readonly (number | string)[] | null, expected: readonly (number | string)[]) =>
    got !== null && got.length === expected.length && got.every((d, i) => i === 0 || typeof d !== 'number' || d === expected[i]);
  if (fits(input, want(contract.inputChannels)) && fits(output, want(contract.numClasses))) return;
  const show = (d: readonly (number | string)[] | null) => (d === null ? 'no tensor' : `[${d.join(', ')}]`);
  throw new DatasetError(
    `the model takes ${show(input)} and gives ${show(output)}, but its plan wants [N, ${want(contract.inputChannels).slice(1).join(', ')}] in and [N, ${want(contract.numClasses).slice(1).join(', ')}] out: ` +
      'this model was not trained with this plan (retrain the fold, or put back the model.onnx `hnas train` wrote)',
    { file },
  );
}

/**
 * Sessions for model files (ONNX, as `hnas train` writes them); a file that cannot be loaded, or that
 * does not fit `contract` (the plan's network) when given, is a DatasetError naming it.
 */
export async function loadPredictors(files: readonly string[], device: Device = 'cpu', threads?: number, contract?: ModelContract): Promise<Predictors> {
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const f of files) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(f);
      } catch (err) {
        throw new DatasetError(`cannot read the model (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file: f }, { cause: err });
      }
      try {
        sessions.push(await createSession(bytes, device, threads));
      } catch (err) {
        if (err instanceof TrainingFailure) throw err; // a missing execution provider, with its install hint
        throw new DatasetError(`not a loadable ONNX model: ${(err as Error).message}`, { file: f }, { cause: err });
      }
      if (contract) checkContract(sessions.at(-1)!, contract, f);
    }
  } catch (err) {
    await Promise.all(sessions.map((s) => s.release()));
    throw err;
  }
  return {
    predict: averagePredictors(sessions.map(sessionPredictor)),
    count: sessions.length,
    release: async () => {
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
}
