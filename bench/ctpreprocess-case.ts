/**
 * One case of bench/ctpreprocess.bench.ts, in its own process so that its peak memory is its own.
 *   baseline: loads the modules, the dataset and the plan only (the process's own footprint)
 *   full:   read + preprocess + write the cache file, as one preprocessing worker does it
 *   stages: crop + transpose + normalise, then time the resampling of labels and image, writing the
 *           resampling's input and output as raw files for the skimage reference
 * usage: tsx bench/ctpreprocess-case.ts baseline|full|stages <dataset> <plan.json> <case index> <out dir>
 * prints one JSON line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCaseFile } from '../src/data/cache.js';
import { readCase } from '../src/data/case.js';
import { cropToNonzero } from '../src/data/crop.js';
import { loadDataset } from '../src/data/dataset.js';
import { normalizeChannel } from '../src/data/normalize.js';
import { readPlanFile } from '../src/data/plan-file.js';
import type { Vec3 } from '../src/data/plan-types.js';
import { permute, resampledShape } from '../src/data/planner.js';
import { axisOrders, resampleLabels, resampleVolume } from '../src/data/resample.js';
import { transpose } from '../src/data/transpose.js';

const [mode, datasetDir, planFile, index, outDir] = process.argv.slice(2) as [string, string, string, string, string];
const dataset = loadDataset(datasetDir);
const plan = readPlanFile(planFile);
const c = dataset.cases[Number(index)]!;
const bytes = (a: Float32Array | Int16Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

if (mode === 'baseline') {
  console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
} else if (mode === 'full') {
  const t = performance.now();
  buildCaseFile(dataset, plan, { index: Number(index), id: c.id, file: join(outDir, `${c.id}.hnpp`), seed: 1234 });
  console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, maxRssKb: process.resourceUsage().maxRSS }));
} else {
  const data = readCase(dataset, c);
  const cropped = cropToNonzero(data.image, data.channels, data.shape, data.label, { inPlace: true });
  const order = plan.transposeForward;
  const shape = permute(cropped.shape, order) as Vec3;
  const spacing = permute(data.spacing, order) as Vec3;
  const image = transpose(cropped.image, data.channels, cropped.shape, order);
  const label = transpose(cropped.label!, 1, cropped.shape, order);
  const n = shape[0] * shape[1] * shape[2];
  for (let ch = 0; ch < data.channels; ch++) normalizeChannel(image, ch, n, plan.normalization[ch]!.scheme, plan.foregroundIntensityProperties[ch]!, plan.normalization[ch]!.useMaskForNorm ? cropped.mask : undefined);
  writeFileSync(join(outDir, 'in-image.raw'), bytes(image));
  writeFileSync(join(outDir, 'in-label.raw'), bytes(label));
  const newShape = resampledShape(shape, spacing, plan.spacing);
  let t = performance.now();
  const outLabel = resampleLabels(label, shape, newShape, axisOrders(spacing, plan.spacing, 1, plan.anisotropyThreshold));
  const secondsLabel = (performance.now() - t) / 1000;
  t = performance.now();
  const outImage = resampleVolume(image, data.channels, shape, newShape, axisOrders(spacing, plan.spacing, 3, plan.anisotropyThreshold));
  const secondsImage = (performance.now() - t) / 1000;
  writeFileSync(join(outDir, 'ours-image.raw'), bytes(outImage));
  writeFileSync(join(outDir, 'ours-label.raw'), bytes(outLabel));
  const orders = axisOrders(spacing, plan.spacing, 3, plan.anisotropyThreshold);
  console.log(JSON.stringify({ id: c.id, channels: data.channels, shape, newShape, spacing, target: plan.spacing, separateAxis: orders.indexOf(0), secondsImage, secondsLabel }));
}
