/**
 * One sliding-window prediction of a CT-sized case in a process of its own, so its peak RSS is the
 * prediction's (part `predict` of `npm run bench -- ctio`; also runs against older checkouts, as it
 * uses only predictCase). Prints one markdown row.
 *
 *   node --import tsx bench/ctio-predict.ts Z,Y,X plain|mirror|probabilities [onnx]
 * (`probabilities` also writes the 4D float32 NIfTI, as `--save-probabilities` does.)
 *
 * The network: by default a per-voxel linear map of the intensity to K = 3 logits computed in
 * JavaScript (a 1x1x1 convolution; the pipeline's own cost, no network), with `onnx` a 2-stage U-Net
 * of 2 to 4 features compiled by hnas and run by onnxruntime (2 threads).
 * The case: HU-like int16 values (air -1000, body, organs), spacing 2.5 x 0.75 x 0.75 mm, plan spacing
 * the same (no resampling, as for a case at the dataset's median spacing), patch [128, 128, 128].
 */
import { predictCase } from '../src/data/restore.js';
import type { Plan, Vec3 } from '../src/data/plan-types.js';
import type { PredictPatch } from '../src/data/sliding-window.js';
import { identityGeometry } from '../src/data/nifti-types.js';

const [shapeArg, variant = 'plain', network = 'linear'] = process.argv.slice(2);
const shape = (shapeArg ?? '400,512,512').split(',').map(Number) as Vec3;
const K = 3;
const PATCH: Vec3 = [128, 128, 128];

function ctImage(): Float32Array {
  const [sz, sy, sx] = shape;
  const image = new Float32Array(sz * sy * sx);
  let i = 0;
  for (let z = 0; z < sz; z++)
    for (let y = 0; y < sy; y++)
      for (let x = 0; x < sx; x++, i++) {
        const r = ((y - sy / 2) / (0.42 * sy)) ** 2 + ((x - sx / 2) / (0.47 * sx)) ** 2;
        const organ = ((z - sz / 2) / (0.2 * sz)) ** 2 + ((y - sy / 2) / (0.15 * sy)) ** 2 + ((x - sx / 3) / (0.12 * sx)) ** 2 <= 1;
        image[i] = r > 1 ? -1000 : organ ? 60 + ((i * 7919) % 41) : 20 + ((i * 104729) % 31);
      }
  return image;
}

const intensity = { mean: 40, median: 40, std: 20, min: -1000, max: 200, percentile_00_5: -100, percentile_99_5: 150 };
const plan = {
  format: 'hnas-plan',
  version: 1,
  datasetName: 'CT',
  planner: 'default',
  nStages: 2,
  channelNames: ['CT'],
  labels: [
    { name: 'background', value: 0 },
    { name: 'organ', value: 1 },
    { name: 'lesion', value: 2 },
  ],
  numTraining: 1,
  transposeForward: [0, 1, 2],
  transposeBackward: [0, 1, 2],
  spacing: [2.5, 0.75, 0.75],
  medianShape: shape,
  normalization: [{ scheme: 'ct', useMaskForNorm: false }],
  foregroundIntensityProperties: [intensity],
  anisotropyThreshold: 3,
  vramEstimate: 0,
  network: {
    inputChannels: 1,
    numClasses: K,
    patchSize: PATCH,
    batchSize: 2,
    kernelSizes: [
      [3, 3, 3],
      [3, 3, 3],
    ],
    strides: [
      [1, 1, 1],
      [2, 2, 2],
    ],
    architecture: 'PlainConvUNet',
    featuresPerStage: [2, 4],
    blocksPerStageEncoder: [1, 1],
    convsPerStageDecoder: [1],
    poolsPerAxis: [1, 1, 1],
    mustBeDivisibleBy: [2, 2, 2],
  },
} as unknown as Plan;

const linear: PredictPatch = async (batch, s) => {
  const n = s[2] * s[3] * s[4];
  const out = new Float32Array(s[0] * K * n);
  for (let b = 0; b < s[0]; b++)
    for (let k = 0; k < K; k++) {
      const w = k - 1;
      for (let i = 0; i < n; i++) out[(b * K + k) * n + i] = w * batch[b * n + i]! + 0.1 * k;
    }
  return out;
};

async function onnxNetwork(): Promise<{ predict: PredictPatch; release: () => Promise<void> }> {
  const { compile } = await import('../compiler/index.js');
  const { loadPredictors } = await import('../src/pipeline/inference.js');
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const node = (symbol: string, children: unknown[]) => ({ symbol, children });
  const tree = node('S', [
    'unet',
    node('E2', ['conv_encoder', node('ENORM', ['instance_norm']), node('ENONLIN', ['leaky_relu']), node('EDROPOUT', ['no_dropout']), node('C1', ['conv_block']), 'down', node('C2', ['conv_block'])]),
    node('D2', ['conv_decoder', node('DNORM', ['instance_norm']), node('DNONLIN', ['leaky_relu']), node('DDROPOUT', ['no_dropout']), 'up', node('B1', ['conv_block'])]),
  ]);
  const model = compile(tree as never, plan.network, { baseFeatures: 2, maxFeatures: 4 });
  const file = join(mkdtempSync(join(tmpdir(), 'hnas-ctio-net-')), 'model.onnx');
  writeFileSync(file, model.onnx());
  const p = await loadPredictors([file], 'cpu', 2);
  return { predict: p.predict, release: p.release };
}

const image = ctImage();
const net = network === 'onnx' ? await onnxNetwork() : { predict: linear, release: async () => undefined };
let calls = 0;
const counted: PredictPatch = (batch, s) => {
  calls += s[0];
  return net.predict(batch, s);
};
const t0 = performance.now();
const result = await predictCase({ id: 'ct', image, channels: 1, shape, spacing: [2.5, 0.75, 0.75], geometry: identityGeometry([0.75, 0.75, 2.5]) }, plan, counted, {
  mirror: variant === 'mirror',
  probabilities: variant === 'probabilities',
});
if (variant === 'probabilities') {
  // As `hnas predict --save-probabilities` does: the 4D float32 NIfTI written (then removed).
  const { writeProbabilities } = await import('../src/data/restore.js');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'hnas-ctio-prob-'));
  writeProbabilities(join(dir, 'ct_probabilities.nii.gz'), result.probabilities!, result.properties);
  rmSync(dir, { recursive: true, force: true });
}
const seconds = (performance.now() - t0) / 1000;
await net.release();
let foreground = 0;
for (const v of result.segmentation) if (v > 0) foreground++;
const peak = process.resourceUsage().maxRSS / 1024;
const caseMiB = (image.byteLength / 2 ** 20).toFixed(0);
console.log(`| ${variant}, ${network === 'onnx' ? '2-stage U-Net (2-4 features, onnxruntime)' : 'linear 1x1x1 map in JS'} | ${seconds.toFixed(1)} | ${peak.toFixed(0)} | ${(peak / Number(caseMiB)).toFixed(1)}x | ${calls} tiles run, ${foreground} foreground voxels |`);
