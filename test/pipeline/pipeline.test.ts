/**
 * End to end on the tiny generated MSD fixture (fixtures/data/tiny-msd): hnas train -> predict
 * -> evaluate with tiny budgets, continuation = uninterrupted training, and every bad input
 * an error that names it and leaves what was written alone.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../helpers/cli.js';
import { main } from '../../src/cli/main.js';
import { readNifti } from '../../src/data/nifti.js';
import { evaluateFolders } from '../../src/data/evaluate.js';
import { TrainingFailure } from '../../src/errors.js';
import { loadCheckpoint } from '../../src/runtime/checkpoint.js';
import { prepareTraining, resolveConfiguration, trainFold, trainModel, type Prepared } from '../../src/pipeline/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TINY = join(repoRoot, 'fixtures', 'data', 'tiny-msd');
const SMALL = ['--features', '4,16', '--batch', '2', '--threads', '1', '--no-progress'];
let planFile: string;

const io = captureOutput();

let work: string;
let prepared: Prepared;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'hnas-pipeline-'));
  prepared = prepareTraining(TINY, { cacheDir: join(work, 'cache'), overrides: { batchSize: 2 } });
  planFile = join(work, 'plans.json');
  writeFileSync(planFile, JSON.stringify(prepared.plan));
  SMALL.push('--plan', planFile, '--cache', join(work, 'cache'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('hnas train / predict / evaluate on the tiny fixture', () => {
  it('trains a fold, validates it, predicts the folder with the fold ensemble, and the scores agree with hnas evaluate', async () => {
    const model = join(work, 'model');
    const common = ['--epochs', '2', '--iterations-per-epoch', '2', '-o', model, ...SMALL];
    expect(await main(['train', TINY, '--folds', '0', ...common, '--json'])).toBe(0);
    const summary = JSON.parse(io.out());
    expect(summary.folds[0]).toMatchObject({ fold: 0, epochs: 2 });
    const fold0 = join(model, 'fold_0');
    for (const f of ['model.onnx', 'weights.safetensors', 'checkpoint.safetensors', 'log.jsonl', 'fold.json', 'validation.json'])
      expect(existsSync(join(fold0, f)), f).toBe(true);
    expect(readFileSync(join(fold0, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);

    // The fold's Dice, recomputed independently from the written validation NIfTIs.
    const val = prepared.cache.splits[0]!.val;
    expect(readdirSync(join(fold0, 'validation')).sort()).toEqual(val.map((id) => `${id}.nii.gz`));
    const again = evaluateFolders(join(fold0, 'validation'), join(TINY, 'labelsTr'), { classes: [1, 2] });
    const stored = JSON.parse(readFileSync(join(fold0, 'fold.json'), 'utf8'));
    expect(stored.dice ?? NaN).toBeCloseTo(again.foregroundMean, 10);
    expect(summary.folds[0].dice ?? NaN).toBeCloseTo(again.foregroundMean, 10);

    // A second fold, then predict with both (ensemble) into a fresh folder.
    io.clear();
    expect(await main(['train', TINY, '--folds', '1', ...common])).toBe(0);
    expect(io.out()).toMatch(/\n1 \| 2 \| /);
    const preds = join(work, 'preds');
    io.clear();
    expect(await main(['predict', model, join(TINY, 'imagesTr'), '-o', preds, '--no-progress', '--json'])).toBe(0);
    const p = JSON.parse(io.out());
    expect(p.folds).toEqual([0, 1]);
    expect(p.cases).toHaveLength(6);
    for (const id of ['tiny_001', 'tiny_004']) {
      const seg = readNifti(join(preds, `${id}.nii.gz`));
      const img = readNifti(join(TINY, 'imagesTr', `${id}.nii.gz`));
      expect(seg.dims.slice(0, 3)).toEqual(img.dims.slice(0, 3));
      expect(seg.geometry.affine).toEqual(img.geometry.affine);
    }
    io.clear();
    expect(await main(['evaluate', preds, join(TINY, 'labelsTr'), '--json'])).toBe(0);
    expect(JSON.parse(io.out()).cases).toHaveLength(6);

    // Issue 13: predict never writes over its inputs, nor over files it did not write itself.
    const images = join(work, 'images-copy');
    cpSync(join(TINY, 'imagesTr'), images, { recursive: true });
    const before = readFileSync(join(images, 'tiny_001.nii.gz'));
    for (const out of [images, work]) {
      for (const extra of [[], ['--overwrite']]) {
        io.clear();
        expect(await main(['predict', model, images, '-o', out, '--no-progress', ...extra])).toBe(2);
        expect(io.err()).toMatch(/the output folder holds the input image .*images-copy\/tiny_00\d\.nii\.gz/);
      }
    }
    expect(readFileSync(join(images, 'tiny_001.nii.gz')).equals(before)).toBe(true);
    // Its own earlier output is replaced; a file it did not write needs --overwrite.
    expect(await main(['predict', model, join(TINY, 'imagesTr'), '-o', preds, '--no-progress', '--folds', '0'])).toBe(0);
    const foreign = join(work, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'tiny_004.nii.gz'), 'someone else');
    io.clear();
    expect(await main(['predict', model, join(TINY, 'imagesTr'), '-o', foreign, '--no-progress', '--folds', '0'])).toBe(2);
    expect(io.err()).toMatch(/foreign\/tiny_004\.nii\.gz exists and was not written by hnas predict: pass --overwrite/);
    expect(readFileSync(join(foreign, 'tiny_004.nii.gz'), 'utf8')).toBe('someone else');
    expect(await main(['predict', model, join(TINY, 'imagesTr'), '-o', foreign, '--no-progress', '--folds', '0', '--overwrite'])).toBe(0);
    expect(readNifti(join(foreign, 'tiny_004.nii.gz')).dims.slice(0, 3)).toEqual(readNifti(join(TINY, 'imagesTr', 'tiny_004.nii.gz')).dims.slice(0, 3));
  }, 180_000);

  it('a stopped run continued from its checkpoint in another folder gives the weights of one uninterrupted run', async () => {
    const configuration = resolveConfiguration({ learning_rate: 3e-3 }, prepared.plan.nStages);
    const base = { ...prepared, configuration, fold: 0, iterationsPerEpoch: 2, maxEpochs: 6, features: { base: 4, max: 16 }, seed: 5, threads: 1 } as const;
    const straight = await trainFold({ ...base, epochs: 3, outDir: join(work, 'straight') });
    // A run stopped (abort signal) after its second epoch keeps that epoch's checkpoint.
    const ctrl = new AbortController();
    const stopped = trainFold({ ...base, epochs: 3, outDir: join(work, 'first'), signal: ctrl.signal, log: (l) => /epoch 2:/.test(l) && ctrl.abort(new Error('stopped by the test')) });
    await expect(stopped).rejects.toThrow('stopped by the test');
    expect(loadCheckpoint(join(work, 'first', 'checkpoint.safetensors'))!.epoch).toBe(2);
    // Another configuration cannot continue it: a typed failure, not a crash.
    const adam = resolveConfiguration({ optimizer: 'adam' }, prepared.plan.nStages);
    await expect(trainFold({ ...base, configuration: adam, epochs: 3, outDir: join(work, 'other'), continueFrom: join(work, 'first', 'checkpoint.safetensors') })).rejects.toBeInstanceOf(TrainingFailure);
    const continued = await trainFold({ ...base, epochs: 3, outDir: join(work, 'continued'), continueFrom: join(work, 'first', 'checkpoint.safetensors') });
    expect(readFileSync(join(work, 'continued', 'weights.safetensors')).equals(readFileSync(join(work, 'straight', 'weights.safetensors')))).toBe(true);
    expect(continued.dice).toBe(straight.dice);
    // The log (and so the cost) covers every epoch, the continued ones included; the LR follows the 6-epoch schedule.
    const lrs = readFileSync(join(work, 'continued', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).lr);
    expect(lrs).toEqual([0, 1, 2].map((e) => 3e-3 * (1 - e / 6) ** 0.9));
    expect(continued.seconds).toBeGreaterThan(continued.secondsThisRun);
  }, 120_000);

  it('bad input: usage errors exit 2, others 1 naming the file; a model folder of another configuration is never overwritten', async () => {
    const model = join(work, 'guarded');
    const args = ['--epochs', '1', '--iterations-per-epoch', '1', '-o', model, ...SMALL];
    expect(await main(['train', TINY, '--folds', '0', ...args])).toBe(0);
    const config = readFileSync(join(model, 'configuration.json'), 'utf8');
    const weights = readFileSync(join(model, 'fold_0', 'weights.safetensors'));
    const cfg = join(work, 'adam.json');
    writeFileSync(cfg, JSON.stringify({ optimizer: 'adam' }));
    expect(await main(['train', TINY, '--folds', '0', '--config', cfg, ...args])).toBe(1);
    expect(io.err()).toMatch(/ConfigError: .*configuration\.json: the folder holds a model trained with a different configuration/);
    expect(readFileSync(join(model, 'configuration.json'), 'utf8')).toBe(config);
    expect(readFileSync(join(model, 'fold_0', 'weights.safetensors')).equals(weights)).toBe(true);

    const cases: [string[], number, RegExp][] = [
      [['train', TINY, '--folds', 'x', ...args], 2, /--folds must be/],
      [['train', TINY, '--folds', '0', '--epochs', '0'], 2, /--epochs must be an integer >= 1/],
      [['train', TINY, '--folds', '0', ...args, '--max-epochs', '0'], 2, /--max-epochs/],
      [['train', TINY, '--folds', '0', '--epochs', '3', '--max-epochs', '2', '-o', join(work, 'x'), ...SMALL], 2, /--max-epochs \(2\) must be >= --epochs/],
      [['train', TINY, '--folds', '7', '-o', join(work, 'f7'), ...SMALL], 2, /--folds must be fold numbers 0\.\.4/],
      [['train', TINY, '--folds', '0', '--patch', '21,20,24', '-o', join(work, 'p'), ...SMALL], 2, /UsageError: --patch: patch axis 0 is 21/],
      [['train', TINY, '--folds', '0', '--patch', '21,20,24', '-o', join(work, 'p2'), '--cache', join(work, 'p2-cache'), '--features', '4,16', '--no-progress'], 2, /UsageError: --patch: patch axis 0 is 21/],
      [['train', TINY, '--folds', '0', '--config', join(work, 'missing.json'), '-o', join(work, 'm'), ...SMALL], 1, /ConfigError: .*missing\.json: cannot read/],
      [['train', join(work, 'nowhere'), '--folds', '0', '-o', join(work, 'n'), ...SMALL], 1, /DatasetError: .*nowhere/],
      [['train', TINY, '--folds', '0', '--device', 'tpu', ...SMALL], 2, /tpu/],
      [['predict', join(work, 'cache'), join(TINY, 'imagesTr'), '-o', join(work, 'o')], 1, /DatasetError: .*cache: not a model folder/],
      [['predict', model, join(work, 'cache'), '-o', join(work, 'o')], 1, /DatasetError: .*cache: no \.nii/],
      [['predict', model, join(TINY, 'imagesTr'), '-o', join(work, 'o'), '--folds', '3'], 1, /fold 3 has no trained model/],
      [['predict', model, join(TINY, 'imagesTr')], 2, /output/],
    ];
    for (const [argv, code, msg] of cases) {
      io.clear();
      expect(await main(argv), argv.join(' ')).toBe(code);
      expect(io.err(), argv.join(' ')).toMatch(msg);
    }
    // Usage errors wrote nothing: no model folder, no cache (the plan is made in memory first).
    for (const f of ['f7', 'p', 'p2', 'p2-cache']) expect(existsSync(join(work, f)), f).toBe(false);
    // A damaged model file is named.
    cpSync(model, join(work, 'corrupt'), { recursive: true });
    writeFileSync(join(work, 'corrupt', 'fold_0', 'model.onnx'), 'not onnx');
    io.clear();
    expect(await main(['predict', join(work, 'corrupt'), join(TINY, 'imagesTr'), '-o', join(work, 'o2'), '--no-progress'])).toBe(1);
    expect(io.err()).toMatch(/DatasetError: .*fold_0\/model\.onnx: not a loadable ONNX model/);
    // A config that does not parse names its file.
    writeFileSync(cfg, '{ "learning_rate": ');
    io.clear();
    expect(await main(['train', TINY, '--folds', '0', '--config', cfg, '-o', join(work, 'q'), ...SMALL])).toBe(1);
    expect(io.err()).toMatch(/adam\.json:\d+:\d+: not valid JSON/);
  }, 120_000);

  it('a run that fails before its first checkpoint leaves no trace, so the corrected command is not refused', async () => {
    const base = { ...prepared, configuration: resolveConfiguration({}, prepared.plan.nStages), folds: [0], epochs: 1, iterationsPerEpoch: 1, features: { base: 4, max: 8 }, seed: 0, threads: 1 };
    const fresh = join(work, 'aborted');
    await expect(trainModel({ ...base, outDir: fresh, signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
    expect(existsSync(fresh)).toBe(false);
    // A folder that was there keeps what it held; only this run's files go.
    const held = join(work, 'held');
    mkdirSync(held);
    writeFileSync(join(held, 'notes.txt'), 'mine');
    await expect(trainModel({ ...base, outDir: held, signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
    expect(readdirSync(held)).toEqual(['notes.txt']);
    // Another configuration into the same folder now trains.
    const r = await trainModel({ ...base, configuration: resolveConfiguration({ optimizer: 'adam' }, prepared.plan.nStages), outDir: held });
    expect(r.folds).toHaveLength(1);
  }, 120_000);

  it('--lowering calibrate times the candidates once per machine and trains with the cached choice', async () => {
    const cacheHome = join(work, 'xdg');
    const before = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cacheHome;
    try {
      const args = ['--epochs', '1', '--iterations-per-epoch', '1', '--lowering', 'calibrate', ...SMALL];
      expect(await main(['train', TINY, '--folds', '0', '-o', join(work, 'calibrated'), ...args])).toBe(0);
      const cache = JSON.parse(readFileSync(join(cacheHome, 'hnas', 'lowering-calibration.json'), 'utf8'));
      expect(cache.entries).toHaveLength(1);
      expect(cache.entries[0].key.threads).toBe(1);
      // A second run reads the cached choice: the file is unchanged.
      const text = readFileSync(join(cacheHome, 'hnas', 'lowering-calibration.json'), 'utf8');
      expect(await main(['train', TINY, '--folds', '0', '-o', join(work, 'calibrated-2'), ...args])).toBe(0);
      expect(readFileSync(join(cacheHome, 'hnas', 'lowering-calibration.json'), 'utf8')).toBe(text);
      io.clear();
      expect(await main(['train', TINY, '--folds', '0', '-o', join(work, 'bad-lowering'), '--lowering', 'fastest', ...SMALL])).toBe(2);
      expect(io.err()).toMatch(/--lowering.*fastest/);
    } finally {
      if (before === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = before;
    }
  }, 120_000);

  it('trainModel with fold "all" trains on every case and writes no validation', async () => {
    const r = await trainModel({ ...prepared, configuration: resolveConfiguration({}, prepared.plan.nStages), folds: ['all'], epochs: 1, iterationsPerEpoch: 1, features: { base: 4, max: 8 }, seed: 0, threads: 1, outDir: join(work, 'all') });
    expect(r.folds[0]!.validation).toBeNull();
    expect(Number.isNaN(r.dice)).toBe(true);
    expect(existsSync(join(work, 'all', 'fold_all', 'model.onnx'))).toBe(true);
    expect(existsSync(join(work, 'all', 'fold_all', 'validation'))).toBe(false);
    // A copied model folder predicts like the original (nothing refers back to absolute paths).
    mkdirSync(join(work, 'copy'));
    cpSync(join(work, 'all'), join(work, 'copy', 'all'), { recursive: true });
    expect(await main(['predict', join(work, 'copy', 'all'), join(TINY, 'imagesTr'), '-o', join(work, 'copy', 'out'), '--no-progress'])).toBe(0);
  }, 60_000);
});
