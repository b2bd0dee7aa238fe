/**
 * nnU-Net v2's own dataset_fingerprint.json (plus its dataset.json) as a Fingerprint, so a
 * dataset nnU-Net already fingerprinted plans without reading a single image.
 *
 * Example:
 *   const fp = readNnUNetFingerprint('Dataset004_Hippocampus/dataset_fingerprint.json', 'Dataset004_Hippocampus/dataset.json');
 *   planExperiment(fp, 'resenc-l').network.batchSize  // 178
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { DatasetError, jsonPath } from '../errors.js';
import { readDatasetDescription } from './dataset.js';
import type { Fingerprint } from './fingerprint.js';
import type { IntensityProperties, Vec3 } from './plan-types.js';

const positive = z.number().positive();
const vec3 = z.tuple([positive, positive, positive], { error: 'expected 3 positive numbers' });
export const intensitySchema = z.object({
  max: z.number(),
  mean: z.number(),
  median: z.number(),
  min: z.number(),
  percentile_00_5: z.number(),
  percentile_99_5: z.number(),
  std: z.number().nonnegative(),
});
const fingerprintSchema = z.object({
  foreground_intensity_properties_per_channel: z.record(z.string().regex(/^\d+$/, 'keys must be channel indices'), intensitySchema),
  median_relative_size_after_cropping: z.number().positive().max(1),
  shapes_after_crop: z.array(vec3).min(1),
  spacings: z.array(vec3).min(1),
});

/** Keys that mark a file as something other than nnU-Net v2's fingerprint, and what it is. */
const NOT_A_V2_FINGERPRINT: readonly [string, string][] = [
  ['all_spacings', "nnU-Net v1's dataset_properties (v2 names them spacings / shapes_after_crop)"],
  ['all_sizes', "nnU-Net v1's dataset_properties"],
  ['configurations', 'an nnU-Net plans file, not a fingerprint (pass it to --plan)'],
  ['format', 'a fingerprint written by `hnas plan --fingerprint`, not by nnU-Net'],
];

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DatasetError(`cannot read nnU-Net's fingerprint (${(err as Error).message})`, { file }, { cause: err });
  }
}

/** Channel-indexed map {"0": x, "1": y} -> [x, y], with its indices checked against the channel count. */
export function perChannel<T>(map: Record<string, T>, channels: number, fail: (message: string) => Error): T[] {
  const keys = Object.keys(map).map(Number).sort((a, b) => a - b);
  if (keys.length !== channels || keys.some((k, i) => k !== i)) {
    throw fail(`expected channels 0..${channels - 1} (as dataset.json's channel_names), got ${Object.keys(map).join(', ') || 'none'}`);
  }
  return keys.map((k) => map[String(k)]!);
}

export function parseNnUNetFingerprint(json: unknown, file: string, datasetJsonFile: string): Fingerprint {
  if (typeof json === 'object' && json !== null) {
    for (const [key, what] of NOT_A_V2_FINGERPRINT) {
      if (key in json) throw new DatasetError(`this is ${what}; expected nnU-Net v2's dataset_fingerprint.json`, { file, path: `$.${key}` });
    }
  }
  const result = fingerprintSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new DatasetError(`not nnU-Net v2's dataset_fingerprint.json: ${issue.message}`, { file, path: jsonPath(issue.path) });
  }
  const fp = result.data;
  const dataset = readDatasetDescription(datasetJsonFile);
  if (fp.spacings.length !== fp.shapes_after_crop.length) {
    throw new DatasetError(`${fp.spacings.length} spacings but ${fp.shapes_after_crop.length} shapes_after_crop`, { file, path: '$.spacings' });
  }
  if (fp.spacings.length !== dataset.numTraining) {
    throw new DatasetError(`the fingerprint holds ${fp.spacings.length} cases but dataset.json says numTraining ${dataset.numTraining}: are they of the same dataset?`, { file: datasetJsonFile, path: '$.numTraining' });
  }
  const intensities: IntensityProperties[] = perChannel(
    fp.foreground_intensity_properties_per_channel,
    dataset.channelNames.length,
    (message) => new DatasetError(message, { file, path: '$.foreground_intensity_properties_per_channel' }),
  );
  // nnU-Net names a dataset after its folder (Dataset004_Hippocampus), which holds the fingerprint.
  const folder = basename(dirname(resolve(file)));
  return {
    datasetName: /^Dataset\d{3}_/.test(folder) ? folder : (dataset.name ?? folder),
    channelNames: dataset.channelNames,
    labels: dataset.labels,
    numTraining: dataset.numTraining,
    spacings: fp.spacings as Vec3[],
    shapesAfterCrop: fp.shapes_after_crop as Vec3[],
    foregroundIntensityPropertiesPerChannel: intensities,
    medianRelativeSizeAfterCropping: fp.median_relative_size_after_cropping,
  };
}

export function readNnUNetFingerprint(file: string, datasetJsonFile: string): Fingerprint {
  return parseNnUNetFingerprint(readJson(file), file, datasetJsonFile);
}
