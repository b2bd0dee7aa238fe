/**
 * Peak memory of one training step in a fresh process (for HNAS_BENCH_ONLY=memory of the training
 * bench, which runs this once per alternative so each peak is its own):
 *   npx tsx bench/step-memory.ts '<a case name of training.bench.ts>' '<LoweringOptions JSON>' '<SessionOptions JSON>'
 * Prints one JSON line: {"peakMiB", "seconds"}: growth of the peak RSS over the RSS before the
 * session was created, after one warm-up step and one more.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { compile } from '../compiler/index.js';
import { compileTrainingStep } from '../compiler/train/index.js';
import { sessionOptions } from '../src/runtime/providers.js';
import { CASES, stepFeeds } from './training.bench.js';

const status = (field: string) => Number(/\d+/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(field)) ?? '0')![0]) / 1024;
const c = CASES.find((k) => k.name === process.argv[2]);
if (!c) throw new Error(`no case named '${process.argv[2]}'`);
const model = compile(c.tree, c.plan, { seed: 0 });
const step = compileTrainingStep(model);
const bytes = step.onnx(JSON.parse(process.argv[3] ?? '{}'));
const feeds = stepFeeds(model, step);
try { writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux */ }
const base = status('VmRSS');
const session = await ort.InferenceSession.create(bytes, { ...sessionOptions('cpu', 2), ...JSON.parse(process.argv[4] ?? '{}') });
await session.run(feeds);
const t = performance.now();
await session.run(feeds);
console.log(JSON.stringify({ peakMiB: status('VmHWM') - base, seconds: (performance.now() - t) / 1000 }));
await session.release();
