/**
 * Time of each augmentation step on one CT-sized patch (part `augment` of `npm run bench -- ctio`).
 * Uses only what every version of src/data/augment.ts and patch-sampler.ts exports, so the same
 * file times the code before and after a change (copy it into the other checkout).
 */
import { AUGMENTATIONS, mirrorPatch, type Patch } from '../src/data/augment.js';
import { extractPatch } from '../src/data/patch-sampler.js';
import type { Vec3 } from '../src/data/plan-types.js';
import type { PreprocessedCase } from '../src/data/preprocess.js';
import { Rng } from '../src/util/rng.js';

const ms = (t0: number): number => performance.now() - t0;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function augmentProfile(source: PreprocessedCase, PATCH: Vec3): void {
  const rng = Rng.seeded(2);
  const REPS = 3;
  const fresh = (): Patch => extractPatch(source, PATCH, [100, 150, 150]);
  const rows: [string, number][] = [];
  const time = (name: string, fn: () => void): void => {
    const list: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const t0 = performance.now();
      fn();
      list.push(ms(t0));
    }
    rows.push([name, median(list)]);
  };
  time('read patch (no spatial transform)', () => fresh());
  const m = [
    [0.87, -0.5, 0],
    [0.5, 0.87, 0],
    [0, 0, 1.1],
  ];
  time('read patch rotated + scaled (trilinear)', () => extractPatch(source, PATCH, [100, 150, 150], m));
  for (const aug of AUGMENTATIONS) {
    const p = fresh();
    time(aug.name, () => aug.apply(p, rng));
  }
  const p = fresh();
  time('mirror (one axis)', () => mirrorPatch(p, 1));
  console.log(`\naugmentation of one [${PATCH.join(', ')}] patch, 1 channel (median of ${REPS}; nnU-Net probability at factor 1 beside it)`);
  console.log('| step | ms | probability | expected ms per patch |');
  console.log('|---|---|---|---|');
  let expected = 0;
  for (const [name, t] of rows) {
    const aug = AUGMENTATIONS.find((a) => a.name === name);
    const prob = aug ? aug.probability : name.startsWith('mirror') ? 1.5 : name.startsWith('read patch rotated') ? 1 - 0.8 * 0.8 : name.startsWith('read patch (') ? 0.8 * 0.8 : 0;
    expected += prob * t;
    console.log(`| ${name} | ${t.toFixed(0)} | ${name.startsWith('mirror') ? '3 axes x 0.5' : prob.toFixed(2)} | ${(prob * t).toFixed(0)} |`);
  }
  console.log(`| total expected per patch | | | ${expected.toFixed(0)} |`);
}

