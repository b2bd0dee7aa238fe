/**
 * `npm run bench -- grammar`: sampling throughput of U-Net derivations (target:
 * >= 100,000 per second on one core) and exact counting time for n_max 4..7
 * (target: milliseconds; sizes must equal the Auto-nnU-Net reference figures).
 */
import { countDerivations } from '../src/grammar/count.js';
import type { Grammar } from '../src/grammar/grammar.js';
import { validateTree } from '../src/grammar/tree.js';
import { unetRules } from '../src/grammar/unet.js';
import { crossoverTrees, mutateTree } from '../src/tree-sampling/mutate.js';
import { unetPrior } from '../src/tree-sampling/prior.js';
import { sampleTree, treeLogPrior } from '../src/tree-sampling/sample.js';
import { Rng } from '../src/util/rng.js';

const REFERENCE_SIZES: Record<number, bigint> = { 4: 37_113_600n, 5: 1_557_548_800n, 6: 71_182_950_400n, 7: 3_359_517_286_400n };
const TARGET_SAMPLES_PER_S = 100_000;
const TARGET_COUNT_MS = 1;

/** A freshly generated grammar object, so no analysis is cached from an earlier run. */
const freshGrammar = (nMax: number): Grammar => ({ start: 'S', rules: new Map(unetRules(nMax, 2).map((r) => [r.head, r.alternatives])) });

/** Operations per second of `op`, best of 3 runs of ~0.3 s each. */
function rate(op: () => void): number {
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < 300) {
      for (let i = 0; i < 1000; i++) op();
      n += 1000;
      elapsed = performance.now() - start;
    }
    best = Math.max(best, (n / elapsed) * 1000);
  }
  return best;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

export async function run(): Promise<void> {
  console.log('sampling (one core, medium-confidence prior, s_max = 2)');
  console.log('| n_max | derivations/s | target/s | ratio | mutations/s | crossovers/s | log priors/s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const nMax of [4, 5, 6, 7]) {
    const g = freshGrammar(nMax);
    const prior = unetPrior(nMax, 2, 'medium');
    const rng = Rng.seeded(nMax);
    const samples = rate(() => sampleTree(g, prior, rng));
    const pool = Array.from({ length: 256 }, () => sampleTree(g, prior, rng));
    for (const t of pool) validateTree(g, t);
    let i = 0;
    const mutations = rate(() => mutateTree(g, prior, pool[i++ & 255]!, rng));
    const crossovers = rate(() => crossoverTrees(g, pool[i++ & 255]!, pool[(i * 7) & 255]!, rng));
    const logPriors = rate(() => treeLogPrior(g, prior, pool[i++ & 255]!));
    console.log(`| ${nMax} | ${fmt(samples)} | ${fmt(TARGET_SAMPLES_PER_S)} | ${(samples / TARGET_SAMPLES_PER_S).toFixed(1)}x | ${fmt(mutations)} | ${fmt(crossovers)} | ${fmt(logPriors)} |`);
  }

  console.log('\nexact counting (grammar generated and counted from scratch, s_max = 2)');
  console.log('| n_max | hnas size | reference size | equal | time ms | target ms | ratio |');
  console.log('|---|---|---|---|---|---|---|');
  for (const nMax of [4, 5, 6, 7]) {
    let size = 0n;
    const reps = 200;
    const start = performance.now();
    for (let r = 0; r < reps; r++) size = countDerivations(freshGrammar(nMax));
    const ms = (performance.now() - start) / reps;
    const ref = REFERENCE_SIZES[nMax]!;
    console.log(`| ${nMax} | ${size.toLocaleString('en-US')} | ${ref.toLocaleString('en-US')} | ${size === ref ? 'yes' : 'NO'} | ${ms.toFixed(3)} | ${TARGET_COUNT_MS} | ${(ms / TARGET_COUNT_MS).toFixed(3)}x |`);
  }
}
