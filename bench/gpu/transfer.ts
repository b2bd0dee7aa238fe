/**
 * Host <-> device bytes per training step (every input and output of session.run crosses with
 * the CUDA provider in the Node binding) for the default 4- and 5-stage networks of
 * bench/training.bench.ts, with K = 1 (one step per run) and K steps per run (the Loop model).
 *   npx tsx bench/gpu/transfer.ts [K...]      (default K: 1 4 16)
 */
import { compile } from '../../compiler/index.js';
import { compileTrainingStep } from '../../compiler/train/index.js';
import { transferBytes } from '../../compiler/train/multi-step.js';
import { defaultTree, isoPlan } from '../../test/compiler/trees.js';

const ks = process.argv.slice(2).map(Number).filter((k) => k >= 1);
const K = ks.length ? ks : [1, 4, 16];
const MiB = (b: number) => (b / 2 ** 20).toFixed(2);
const cases = [
  { name: 'nnU-Net default, 4 stages, [40,56,40], batch 2', tree: defaultTree(4), plan: isoPlan(4, [40, 56, 40], 1, 3, 2) },
  { name: 'nnU-Net default, 5 stages, [32,64,48], batch 2', tree: defaultTree(5), plan: isoPlan(5, [32, 64, 48], 1, 3, 2) },
];
console.log('| network | K | in per run MiB | out per run MiB | per step MiB | of it parameters + state MiB |');
console.log('|---|---|---|---|---|---|');
for (const c of cases) {
  const model = compile(c.tree, c.plan);
  const sig = compileTrainingStep(model).signature;
  for (const k of K) {
    const t = transferBytes(sig, k);
    console.log(`| ${c.name} (${model.cost.parameters} parameters) | ${k} | ${MiB(t.inputs)} | ${MiB(t.outputs)} | ${MiB(t.perStep)} | ${MiB(t.statePerStep)} |`);
  }
}
