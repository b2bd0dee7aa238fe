// GPU check, run on the device machine with only onnxruntime-node (see bench/gpu/README.md):
//   node bench/gpu/ort-check.mjs DIR [providers...]      (default providers: cpu webgpu)
// For infer.onnx and step.onnx in DIR: creates a session per provider, feeds the same seeded
// inputs (parameters included), checks the providers agree with the CPU, times repeated runs,
// and prints one JSON line per (model, provider).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const dir = process.argv[2];
const providers = process.argv.length > 3 ? process.argv.slice(3) : ['cpu', 'webgpu'];
const BATCH = 2;

// mulberry32: inputs only need to be the same for every provider.
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function feedsFor(session) {
  const rand = uniform(1234);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const feeds = {};
  for (const meta of session.inputMetadata) {
    const shape = meta.shape.map((d) => (typeof d === 'number' ? d : BATCH));
    const size = shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(size);
    const name = meta.name;
    const fanIn = shape.length > 1 ? size / shape[0] : 1;
    for (let i = 0; i < size; i++) {
      if (name === 'input') data[i] = normal();
      else if (name === 'target') data[i] = Math.floor(rand() * 3);
      else if (name === 'lr') data[i] = 0.01;
      else if (name.startsWith('opt.')) data[i] = 0;
      else if (name.startsWith('noise.')) data[i] = rand();
      else if (name.endsWith('running_var') || (name.includes('norm') && name.endsWith('.weight'))) data[i] = 1;
      else if (name.endsWith('.weight')) data[i] = normal() * Math.sqrt(2 / fanIn);
      else data[i] = 0;
    }
    feeds[name] = new ort.Tensor('float32', data, shape);
  }
  return feeds;
}

const maxRelDiff = (a, b) => {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) (num = Math.max(num, Math.abs(a[i] - b[i]))), (den = Math.max(den, Math.abs(b[i])));
  return num / (den || 1);
};

for (const model of ['infer.onnx', 'step.onnx']) {
  const bytes = readFileSync(join(dir, model));
  let reference;
  for (const ep of providers) {
    const line = { model, provider: ep };
    try {
      const t0 = performance.now();
      const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep], graphOptimizationLevel: 'all' });
      line.createSeconds = (performance.now() - t0) / 1000;
      const feeds = feedsFor(session);
      const first = await session.run(feeds);
      const watched = model === 'step.onnx' ? ['loss', 'grad_norm'] : [session.outputNames[0]];
      line.values = Object.fromEntries(watched.filter((n) => n in first).map((n) => [n, n === session.outputNames[0] && model === 'infer.onnx' ? first[n].dims : first[n].data[0]]));
      if (!reference) reference = first;
      else line.maxRelDiffVsFirstProvider = Object.fromEntries(session.outputNames.slice(0, 4).map((n) => [n, maxRelDiff(first[n].data, reference[n].data)]));
      const seconds = [];
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        await session.run(feeds);
        seconds.push((performance.now() - t) / 1000);
      }
      line.secondsPerRun = seconds;
      line.voxelsPerSecond = (BATCH * 40 * 56 * 40) / Math.min(...seconds);
    } catch (err) {
      line.error = String(err?.message ?? err).slice(0, 400);
    }
    console.log(JSON.stringify(line));
  }
}
