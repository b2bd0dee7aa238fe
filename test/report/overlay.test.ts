/**
 * Qualitative overlays: outlines are exactly the label boundary (against a morphological
 * erosion written independently), the slice is the argmax of the foreground count, best / median /
 * worst follow the per-case Dice, slices keep their orientation and aspect ratio, and `hnas overlay`
 * writes PNGs whose tiles hold exactly the composed pixels; bad input fails with a clear message.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareTraining, resolveConfiguration, trainModel } from '../../src/pipeline/index.js';
import { argmaxSlice, chooseCases, extractSlice, foregroundPerSlice, overlayFigure, overlayPanels, panelLayout, sliceAxis, type ScoredCase } from '../../src/report/overlay.js';
import { classColour, decodePng, displaySize, outline, outlinedImage, resampleNearest, toGrey, intensityWindow } from '../../src/report/raster.js';
import type { Vec3 } from '../../src/data/plan-types.js';
import { runCli } from '../helpers/cli.js';
import { TINY } from '../helpers/tiny-model.js';

const labelGrid = fc
  .record({ width: fc.integer({ min: 1, max: 12 }), height: fc.integer({ min: 1, max: 12 }) })
  .chain(({ width, height }) => fc.array(fc.integer({ min: 0, max: 3 }), { minLength: width * height, maxLength: width * height }).map((v) => ({ width, height, data: Int16Array.from(v) })));

/** mask minus its erosion by the 4-neighbour cross, the grid padded with background. */
function boundaryByErosion(g: { width: number; height: number; data: Int16Array }, c: number): Uint8Array {
  const pw = g.width + 2;
  const padded = new Uint8Array(pw * (g.height + 2));
  for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) padded[(y + 1) * pw + x + 1] = g.data[y * g.width + x] === c ? 1 : 0;
  const out = new Uint8Array(g.width * g.height);
  for (let y = 0; y < g.height; y++)
    for (let x = 0; x < g.width; x++) {
      const at = (dx: number, dy: number) => padded[(y + 1 + dy) * pw + x + 1 + dx]!;
      const eroded = Math.min(at(0, 0), at(-1, 0), at(1, 0), at(0, -1), at(0, 1));
      out[y * g.width + x] = at(0, 0) - eroded;
    }
  return out;
}

describe('outlines', () => {
  it('are exactly the boundary of each class mask', () => {
    fc.assert(
      fc.property(labelGrid, fc.integer({ min: 1, max: 3 }), (g, c) => {
        expect(Array.from(outline(g, c))).toEqual(Array.from(boundaryByErosion(g, c)));
      }),
      { numRuns: 300 },
    );
  });

  it('are drawn in the class colours over the grey image, later classes over earlier ones', () => {
    fc.assert(
      fc.property(labelGrid, (g) => {
        const grey = { width: g.width, height: g.height, data: Uint8Array.from(g.data, (_, i) => (i * 37) % 256) };
        const img = outlinedImage(grey, g, [1, 2, 3]);
        const edges = [1, 2, 3].map((c) => boundaryByErosion(g, c));
        for (let i = 0; i < g.width * g.height; i++) {
          const top = [3, 2, 1].find((c) => edges[c - 1]![i]);
          const expected = top ? [...classColour(top), 255] : [grey.data[i], grey.data[i], grey.data[i], 255];
          expect(Array.from(img.data.subarray(4 * i, 4 * i + 4))).toEqual(expected);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('class colours are distinct and never grey, so an outline is never mistaken for the image', () => {
    const colours = [1, 2, 3, 4, 5, 6, 7].map(classColour);
    expect(new Set(colours.map((c) => c.join())).size).toBe(7);
    for (const [r, g, b] of colours) expect(r === g && g === b).toBe(false);
  });
});

describe('slices', () => {
  const volume = fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }))
    .chain((shape) => fc.array(fc.integer({ min: 0, max: 2 }), { minLength: shape[0] * shape[1] * shape[2], maxLength: shape[0] * shape[1] * shape[2] }).map((v) => ({ shape: shape as Vec3, label: Int16Array.from(v) })));

  it('the chosen slice is the first argmax of the foreground count along the axis', () => {
    fc.assert(
      fc.property(volume, fc.constantFrom(0, 1, 2), ({ shape, label }, axis) => {
        const counts = new Array(shape[axis]).fill(0);
        for (let k = 0; k < shape[0]; k++)
          for (let j = 0; j < shape[1]; j++)
            for (let i = 0; i < shape[2]; i++) if (label[(k * shape[1] + j) * shape[2] + i] !== 0) counts[[k, j, i][axis]!]++;
        expect(foregroundPerSlice(label, shape, axis as 0 | 1 | 2)).toEqual(counts);
        const max = Math.max(...counts);
        expect(argmaxSlice(counts)).toBe(max === 0 ? -1 : counts.indexOf(max));
      }),
      { numRuns: 200 },
    );
  });

  it('a slice shows the later in-plane axis left to right and the earlier bottom to top', () => {
    const shape: Vec3 = [3, 4, 5];
    const v = Float32Array.from({ length: 60 }, (_, n) => n); // value = flat index (k*20 + j*5 + i)
    const s0 = extractSlice(v, shape, 0, 2); // k = 2: i across, j up
    expect([s0.width, s0.height]).toEqual([5, 4]);
    expect(s0.data[0]).toBe(2 * 20 + 3 * 5 + 0); // top-left: highest j, i = 0
    expect(s0.data[s0.width * s0.height - 1]).toBe(2 * 20 + 0 * 5 + 4); // bottom-right: j = 0, i = 4
    const s2 = extractSlice(v, shape, 2, 1); // i = 1: j across, k up
    expect([s2.width, s2.height]).toEqual([4, 3]);
    expect(s2.data[1]).toBe(2 * 20 + 1 * 5 + 1); // top row: k = 2, j = 1
    const s1 = extractSlice(v, shape, 1, 3); // j = 3: i across, k up
    expect(s1.data[2 * 5 + 4]).toBe(0 * 20 + 3 * 5 + 4); // bottom row k = 0, i = 4
  });

  it('cuts across the coarsest spacing and keeps the physical aspect ratio', () => {
    expect(sliceAxis([3, 0.8, 0.8])).toBe(0);
    expect(sliceAxis([1, 1, 1])).toBe(0);
    expect(sliceAxis([1, 2.5, 1])).toBe(1);
    expect(sliceAxis([1, 1, 4])).toBe(2);
    // 40 x 10 voxels of 0.5 x 2 mm: 20 mm x 20 mm -> square.
    expect(displaySize(40, 10, [0.5, 2], 200)).toEqual([200, 200]);
    expect(displaySize(30, 10, [1, 1], 300)).toEqual([300, 100]);
    const up = resampleNearest({ width: 2, height: 1, data: Int16Array.from([1, 2]) }, 4, 3);
    expect(Array.from(up.data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2]);
  });

  it('windows a slice at its 0.5 / 99.5 percentiles', () => {
    const values = Float32Array.from({ length: 1001 }, (_, i) => i); // percentiles 5 and 995 exactly
    expect(intensityWindow(values)).toEqual([5, 995]);
    expect(Array.from(toGrey(Float32Array.from([0, 5, 500, 995, 1000]), [5, 995]))).toEqual([0, 0, 128, 255, 255]);
    expect(Array.from(toGrey(Float32Array.from([3, 3]), [3, 3]))).toEqual([0, 0]);
  });
});

describe('best, median and worst', () => {
  it('follow the per-case Dice (NaN cases left out; ties by id)', () => {
    const scored = fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 4 }), score: fc.oneof(fc.constant(NaN), fc.integer({ min: 0, max: 20 }).map((x) => x / 20)) }), { minLength: 1, maxLength: 15 });
    fc.assert(
      fc.property(scored, (list) => {
        const cases: ScoredCase[] = list.map((c, i) => ({ id: `${c.id}#${i}`, fold: 0, dice: { 1: c.score }, score: c.score }));
        const valid = cases.filter((c) => !Number.isNaN(c.score));
        const picks = chooseCases(cases);
        if (valid.length === 0) {
          expect(picks).toEqual([]);
          return;
        }
        const role = (r: string) => picks.find((p) => p.roles.includes(r as never))!.case;
        const scores = valid.map((c) => c.score);
        expect(role('best').score).toBe(Math.max(...scores));
        expect(role('worst').score).toBe(Math.min(...scores));
        // The lower median: at most half the cases lie strictly below it, and at least half at or below.
        const m = role('median').score;
        const n = valid.length;
        expect(scores.filter((s) => s < m).length).toBeLessThanOrEqual(Math.floor((n - 1) / 2));
        expect(scores.filter((s) => s <= m).length).toBeGreaterThanOrEqual(Math.floor((n - 1) / 2) + 1);
        expect(picks.flatMap((p) => p.roles).sort()).toEqual(['best', 'median', 'worst']);
        expect(new Set(picks.map((p) => p.case)).size).toBe(picks.length);
      }),
      { numRuns: 300 },
    );
  });

  it('an even count takes the lower middle case; ties go by case id', () => {
    const c = (id: string, score: number): ScoredCase => ({ id, fold: 0, dice: { 1: score }, score });
    const picks = chooseCases([c('d', 0.9), c('a', 0.1), c('c', 0.5), c('b', 0.5)]);
    expect(picks.map((p) => [p.roles.join(), p.case.id])).toEqual([['best', 'd'], ['median', 'b'], ['worst', 'a']]);
  });
});

describe('hnas overlay on a model trained on the tiny fixture', () => {
  let work: string;
  let model: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hnas-overlay-'));
    const prepared = prepareTraining(TINY, { cacheDir: join(work, 'cache'), overrides: { batchSize: 2 } });
    model = join(work, 'model');
    await trainModel({ ...prepared, configuration: resolveConfiguration({}, prepared.plan.nStages), folds: [0, 1], epochs: 1, iterationsPerEpoch: 1, features: { base: 4, max: 8 }, seed: 0, threads: 1, outDir: model });
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes the figure and panels; the PNG holds exactly the composed tiles at the expected size', async () => {
    const out = join(work, 'out');
    const r = await runCli('overlay', model, TINY, '-o', out, '--size', '96', '--json');
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out);
    expect(res.folds).toEqual([0, 1]);
    expect(res.panels.flatMap((p: { roles: string[] }) => p.roles).sort()).toEqual(['best', 'median', 'worst']);
    for (const f of ['overlays.png', 'overlays.svg', 'overlays.json', 'overlays.md', ...res.panels.map((p: { file: string }) => p.file)]) expect(existsSync(join(out, f)), f).toBe(true);

    // Independently: the stored validation Dice ranks the pooled cases.
    const pooled = [0, 1].flatMap((f) => JSON.parse(readFileSync(join(model, `fold_${f}`, 'validation.json'), 'utf8')).cases.map((c: { id: string; perClass: Record<string, { dice: number | null }> }) => {
      const d = Object.values(c.perClass).map((x) => x.dice).filter((x): x is number => x !== null);
      return { id: c.id, score: d.length ? d.reduce((a, b) => a + b, 0) / d.length : NaN };
    })).filter((c) => !Number.isNaN(c.score));
    const best = res.panels.find((p: { roles: string[] }) => p.roles.includes('best'));
    expect(best.score).toBeCloseTo(Math.max(...pooled.map((c) => c.score)), 12);

    const { panels, labels } = overlayPanels(model, TINY, { size: 96 });
    const fig = overlayFigure(panels, labels);
    const png = decodePng(readFileSync(join(out, 'overlays.png')));
    expect([png.width, png.height]).toEqual([fig.width, fig.height]);
    const colours = new Set<string>();
    panels.forEach((p, n) => {
      const { truthAt, predictionAt } = panelLayout(p);
      const tiles: [typeof p.truth, number, number][] = [[p.truth, truthAt[0], fig.tops[n]! + truthAt[1]], [p.prediction, predictionAt[0], fig.tops[n]! + predictionAt[1]]];
      expect(predictionAt[0]).toBeGreaterThanOrEqual(truthAt[0] + p.truth.width); // side by side, not overlapping
      for (const [tile, x0, y0] of tiles)
        for (let y = 0; y < tile.height; y++)
          for (let x = 0; x < tile.width; x++) {
            const got = Array.from(png.data.subarray(4 * ((y0 + y) * png.width + x0 + x), 4 * ((y0 + y) * png.width + x0 + x) + 4));
            const want = Array.from(tile.data.subarray(4 * (y * tile.width + x), 4 * (y * tile.width + x) + 4));
            if (got.join() !== want.join()) throw new Error(`panel ${n} tile pixel (${x}, ${y}): ${got} vs ${want}`);
            colours.add(got.slice(0, 3).join());
          }
      expect(p.truth.width).toBe(96); // 28 x 24 voxels at 1 mm: the longer side spans --size
    });
    // The ground truth holds both classes, so both colours outline something.
    for (const c of [1, 2]) expect(colours.has(classColour(c).join()), `class ${c}`).toBe(true);
    expect(readFileSync(join(out, 'overlays.md'), 'utf8')).toMatch(/\| best(, \w+)? \| tiny_\d+ \| [01] \|/);
  }, 60_000);

  it('refuses a model without validation, a different dataset, a missing prediction and a bad channel', async () => {
    const noVal = join(work, 'no-validation');
    cpSync(model, noVal, { recursive: true });
    for (const f of [0, 1]) rmSync(join(noVal, `fold_${f}`, 'validation.json'));
    const a = await runCli('overlay', noVal, TINY, '-o', join(work, 'x1'));
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/no validation predictions in the model folder/);
    expect(existsSync(join(work, 'x1'))).toBe(false);

    const other = join(work, 'other');
    cpSync(TINY, other, { recursive: true });
    const json = JSON.parse(readFileSync(join(other, 'dataset.json'), 'utf8'));
    writeFileSync(join(other, 'dataset.json'), JSON.stringify({ ...json, labels: { '0': 'background', '1': 'liver', '2': 'tumour' } }));
    const b = await runCli('overlay', model, other, '-o', join(work, 'x2'));
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/labels \[0:background, 1:liver, 2:tumour\] are not the model's \[0:background, 1:outer, 2:core\]/);

    writeFileSync(join(other, 'dataset.json'), JSON.stringify({ ...json, training: json.training.slice(0, 1) }));
    const c = await runCli('overlay', model, other, '-o', join(work, 'x3'));
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/validation case 'tiny_\d+' \(fold \d\) is not in the dataset/);

    const broken = join(work, 'broken');
    cpSync(model, broken, { recursive: true });
    const { panels } = overlayPanels(model, TINY);
    const victim = panels[0]!.case;
    rmSync(join(broken, `fold_${victim.fold}`, 'validation', `${victim.id}.nii.gz`));
    const d = await runCli('overlay', broken, TINY, '-o', join(work, 'x4'));
    expect(d.code).toBe(1);
    expect(d.err).toMatch(new RegExp(`validation prediction of case '${victim.id}' is missing`));
    expect(existsSync(join(work, 'x4'))).toBe(false);

    const e = await runCli('overlay', model, TINY, '--channel', '1', '-o', join(work, 'x5'));
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/--channel must be 0\.\.0/);
    const f = await runCli('overlay', join(work, 'nowhere'), TINY);
    expect(f.code).toBe(1);
    expect(f.err).toMatch(/model folder does not exist/);
  }, 60_000);
});
