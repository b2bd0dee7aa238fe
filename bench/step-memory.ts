/**
 * Peak memory of one training step in a fresh process (for HNAS_BENCH_ONLY=memory of the training
 * bench, which runs this once per alternative so each peak is its own):
 *   npx tsx bench/step-memory.ts '<case name: "4 stages" or "5 stages">' '<LoweringOptions JSON>' '<SessionOptions JSON>'
 * Prints one JSON line: {"peakMiB", "seconds"}: growth of the peak RSS over the RSS before the
 * session was created, after one warm-up step and one more.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { compile } from '../compiler/index.js';
import { compileTrainingStep } from '../compiler/train/index.js';
import { sessionOptions } from '../src/runtime/providers.js';
import { defaultTree, isoPlan } from '../test/compiler/trees.js';

const status = (field: string) => Number(/\d+/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(field)) ?? '0')![0]) / 1024;
const [stages, patch] = (process.argv[2] ?? '').includes('5 stages') ? [5, [32, 64, 48] as [number, number, number]] : [4, [40, 56, 40] as [number, number, number]];
const model = compile(defaultTree(stages), isoPlan(stages, patch, 1, 3, 2), { seed: 0 });
const step = compileTrainingStep(model);
const bytes = step.onnx(JSON.parse(process.argv[3] ?? '{}'));
const sig = step.signature;
const feeds: Record<string, ort.Tensor> = {};
const size = (s: readonly number[]) => Math.max(1, s.reduce((a, b) => a * b, 1));
feeds[sig.image.name] = new ort.Tensor('float32', new Float32Array(size(sig.image.shape)).map((_, i) => Math.sin(i)), sig.image.shape);
feeds[sig.labels.name] = new ort.Tensor('float32', new Float32Array(size(sig.labels.shape)).map((_, i) => i % 3), sig.labels.shape);
feeds[sig.lr] = new ort.Tensor('float32', Float32Array.of(1e-2), []);
for (const p of [...sig.params, ...sig.buffers]) feeds[p.name] = new ort.Tensor('float32', model.weights.get(p.name)!, p.shape);
for (const p of sig.state) feeds[p.name] = new ort.Tensor('float32', new Float32Array(size(p.shape)), p.shape);
try { writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux */ }
const base = status('VmRSS');
const session = await ort.InferenceSession.create(bytes, { ...sessionOptions('cpu', 2), ...JSON.parse(process.argv[4] ?? '{}') });
await session.run(feeds);
const t = performance.now();
await session.run(feeds);
console.log(JSON.stringify({ peakMiB: status('VmHWM') - base, seconds: (performance.now() - t) / 1000 }));
await session.release();
