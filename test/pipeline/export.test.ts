/**
 * `hnas export`: the exported model.onnx has one output (softmax of the trained fold's
 * full-resolution head), metadata_props with the preprocessing, a README; run with
 * onnxruntime-web (wasm backend, in Node) through the README's recipe it gives the same
 * segmentation as `hnas predict`.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from 'onnx-proto';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaseImage } from '../../src/data/case.js';
import { niftiValues, readNifti } from '../../src/data/nifti.js';
import { parsePlan } from '../../src/data/plan-file.js';
import { predictCase } from '../../src/data/restore.js';
import type { PredictPatch } from '../../src/data/sliding-window.js';
import { runCli } from '../helpers/cli.js';
import { TINY, trainTinyModel } from '../helpers/tiny-model.js';

const IMAGES = join(TINY, 'imagesTr');
let work: string;
let model: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hnas-export-'));
  model = await trainTinyModel(work);
  ortWeb.env.wasm.numThreads = 1;
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('hnas export', () => {
  it('one output, the softmax of the fold\'s full-resolution head; metadata_props describe preprocessing and inference', async () => {
    const out = join(work, 'export');
    const r = await runCli('export', model, '-o', out, '--json');
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'model.onnx']);
    const bytes = readFileSync(join(out, 'model.onnx'));
    const proto = pkg.onnx.ModelProto.decode(bytes);
    const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    const plan = parsePlan(JSON.parse(readFileSync(join(model, 'plans.json'), 'utf8')), 'plans.json');
    expect(JSON.parse(meta.labels!)).toEqual(plan.labels);
    expect(JSON.parse(meta.channel_names!)).toEqual(plan.channelNames);
    expect(JSON.parse(meta.target_spacing!)).toEqual(plan.spacing);
    expect(JSON.parse(meta.transpose_forward!)).toEqual(plan.transposeForward);
    expect(JSON.parse(meta.patch_size!)).toEqual(plan.network.patchSize);
    expect(JSON.parse(meta.sliding_window_step!)).toBe(0.5);
    expect(JSON.parse(meta.normalization!)[0]).toMatchObject({ scheme: plan.normalization[0]!.scheme, mean: plan.foregroundIntensityProperties[0]!.mean });
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toMatch(/Standalone inference/);
    expect(readme).toContain(JSON.stringify(plan.network.patchSize).replace(/,/g, ', '));

    const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    expect(web.outputNames).toEqual(['probabilities']);
    const original = await ortNode.InferenceSession.create(join(model, 'fold_all', 'model.onnx'));
    expect(original.outputNames.length).toBeGreaterThan(1); // deep-supervision heads were there
    const [X, Y, Z] = plan.network.patchSize;
    const n = X * Y * Z;
    const tile = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.013) * 2);
    const p = (await web.run({ [web.inputNames[0]!]: new ortWeb.Tensor('float32', tile, [1, 1, X, Y, Z]) })).probabilities!.data as Float32Array;
    const z = (await original.run({ [original.inputNames[0]!]: new ortNode.Tensor('float32', tile, [1, 1, X, Y, Z]) }))[original.outputNames[0]!]!.data as Float32Array;
    const K = plan.labels.length;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const m = Math.max(...Array.from({ length: K }, (_, k) => z[k * n + i]!));
      const e = Array.from({ length: K }, (_, k) => Math.exp(z[k * n + i]! - m));
      const s = e.reduce((a, b) => a + b, 0);
      for (let k = 0; k < K; k++) worst = Math.max(worst, Math.abs(p[k * n + i]! - e[k]! / s));
    }
    expect(worst).toBeLessThan(1e-5);
    await original.release();
    await web.release();
  }, 60_000);

  it("onnxruntime-web with the README's recipe segments every case as `hnas predict` does", async () => {
    const out = join(work, 'export2');
    expect((await runCli('export', model, '-o', out)).code).toBe(0);
    const preds = join(work, 'preds');
    expect((await runCli('predict', model, IMAGES, '-o', preds, '--no-progress')).code).toBe(0);
    const web = await ortWeb.InferenceSession.create(readFileSync(join(out, 'model.onnx')), { executionProviders: ['wasm'] });
    // The recipe's sliding window averages log(probabilities): logits less a per-voxel constant.
    const logProbabilities: PredictPatch = async (batch, shape) => {
      const { probabilities } = await web.run({ [web.inputNames[0]!]: new ortWeb.Tensor('float32', batch, [...shape]) });
      return Float32Array.from(probabilities!.data as Float32Array, (x) => Math.log(Math.max(x, 1e-38)));
    };
    const plan = parsePlan(JSON.parse(readFileSync(join(model, 'plans.json'), 'utf8')), 'plans.json');
    const labels = new Set<number>();
    for (const file of readdirSync(IMAGES).filter((f) => f.endsWith('.nii.gz'))) {
      const id = file.replace(/\.nii\.gz$/, '');
      const { segmentation } = await predictCase(readCaseImage(id, [join(IMAGES, file)], 1), plan, logProbabilities);
      const expected = niftiValues(readNifti(join(preds, file)));
      expect(Array.from(segmentation), id).toEqual(Array.from(expected));
      for (const v of expected) labels.add(v);
    }
    expect(labels.size).toBeGreaterThan(1); // not a trivially empty segmentation
    await web.release();
    expect((await runCli('export', model, '-o', join(work, 'x'), '--folds', '3')).code).toBe(1);
    expect((await runCli('export', model, '-o', join(work, 'x'), '--folds', '0,1')).code).toBe(2);
  }, 120_000);
});
