/**
 * `hnas predict` outputs beyond segmentations: --save-probabilities (4D softmax, input geometry),
 * --ensemble of model folders (and the error for different label sets), --msd submission layout.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { niftiValues, readNifti } from '../../src/data/nifti.js';
import { runCli } from '../helpers/cli.js';
import { TINY, trainTinyModel } from '../helpers/tiny-model.js';

const IMAGES = join(TINY, 'imagesTr');
let work: string;
let model: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hnas-predict-'));
  model = await trainTinyModel(work);
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('hnas predict --save-probabilities / --ensemble / --msd', () => {
  it('probabilities: 4D [i, j, k, K] in the input geometry, summing to 1, whose argmax is the segmentation', async () => {
    const out = join(work, 'p');
    const r = await runCli('predict', model, IMAGES, '-o', out, '--save-probabilities', '--no-progress', '--json');
    expect(r.code, r.err).toBe(0);
    const cases = JSON.parse(r.out).cases;
    expect(cases).toHaveLength(6);
    for (const c of cases.slice(0, 2)) {
      const seg = niftiValues(readNifti(c.file));
      const probs = readNifti(c.probabilities);
      const img = readNifti(join(IMAGES, `${c.id}.nii.gz`));
      expect(probs.dims).toEqual([...img.dims.slice(0, 3), 3]);
      expect(probs.geometry.affine).toEqual(img.geometry.affine);
      const p = niftiValues(probs);
      const n = seg.length;
      let worst = 0;
      const argmax = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let best = 0;
        let sum = 0;
        for (let k = 0; k < 3; k++) {
          sum += p[k * n + i]!;
          if (p[k * n + i]! > p[best * n + i]!) best = k;
        }
        worst = Math.max(worst, Math.abs(sum - 1));
        argmax[i] = best;
      }
      expect(worst).toBeLessThan(1e-5);
      expect(Array.from(argmax)).toEqual(Array.from(seg));
    }
    // uint16 storage: half the bytes, the same values to 1/65535.
    const out16 = join(work, 'p16');
    expect((await runCli('predict', model, IMAGES, '-o', out16, '--save-probabilities', 'uint16', '--no-progress')).code).toBe(0);
    const a = niftiValues(readNifti(join(out, 'tiny_001_probabilities.nii.gz')));
    const b = niftiValues(readNifti(join(out16, 'tiny_001_probabilities.nii.gz')));
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeLessThan(1e-5);
    expect(readNifti(join(out16, 'tiny_001_probabilities.nii.gz')).datatype).toBe('uint16');
    expect((await runCli('predict', model, IMAGES, '-o', out16, '--save-probabilities', 'float16')).code).toBe(2);
  }, 60_000);

  it('an ensemble of model folders averages probabilities; different label sets are refused, naming the folder', async () => {
    const twin = join(work, 'twin');
    cpSync(model, twin, { recursive: true });
    const single = join(work, 'single');
    const both = join(work, 'both');
    expect((await runCli('predict', model, IMAGES, '-o', single, '--no-progress')).code).toBe(0);
    const r = await runCli('predict', model, IMAGES, '-o', both, '--ensemble', twin, '--save-probabilities', '--no-progress');
    expect(r.code, r.err).toBe(0);
    for (const id of ['tiny_001', 'tiny_003']) expect(Array.from(niftiValues(readNifti(join(both, `${id}.nii.gz`))))).toEqual(Array.from(niftiValues(readNifti(join(single, `${id}.nii.gz`)))));

    const relabelled = join(work, 'relabelled');
    cpSync(model, relabelled, { recursive: true });
    const planFile = join(relabelled, 'plans.json');
    const plan = JSON.parse(readFileSync(planFile, 'utf8'));
    plan.labels = plan.labels.slice(0, 2);
    writeFileSync(planFile, JSON.stringify(plan));
    const bad = await runCli('predict', model, IMAGES, '-o', join(work, 'bad'), '--ensemble', relabelled, '--save-probabilities', '--no-progress');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/relabelled[/\\]plans\.json at \$\.labels: cannot ensemble with .*model: its labels are \[0:background, 1:.*, 2:.*\], these are \[0:background, 1:.*\]/);
  }, 60_000);

  it("--msd writes the Decathlon's layout: <out>/<task>/<case>.nii.gz, label files only", async () => {
    const out = join(work, 'submission');
    const r = await runCli('predict', model, IMAGES, '-o', out, '--msd', 'Task04_Hippocampus', '--no-progress', '--json');
    expect(r.code, r.err).toBe(0);
    // The task folder holds the label files only; predict's manifest (which files it may replace) stays one level up.
    expect(readdirSync(out).sort()).toEqual(['.hnas-predict.json', 'Task04_Hippocampus']);
    const images = readdirSync(IMAGES).filter((f) => f.endsWith('.nii.gz')).sort();
    expect(readdirSync(join(out, 'Task04_Hippocampus')).sort()).toEqual(images);
    const seg = readNifti(join(out, 'Task04_Hippocampus', images[0]!));
    expect(seg.datatype).toBe('uint8');
    expect((await runCli('predict', model, IMAGES, '-o', out, '--msd', 'hippocampus')).code).toBe(2);
    expect((await runCli('predict', model, IMAGES, '-o', out, '--msd', 'Task04_Hippocampus', '--save-probabilities')).code).toBe(2);
  }, 60_000);
});
