/**
 * `hnas optimize` with the real nnU-Net objective (src/pipeline) on the repository's tiny
 * MSD fixture, narrow networks and 1..2 epochs: every trial trains and validates, the
 * promotion continues its predecessor's checkpoint, and the incumbent's model folder is
 * one that `hnas predict` segments with; retraining it on two folds gives a fold ensemble.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy } from '../../src/automl/load.js';
import { runCli } from '../helpers/cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TINY = join(root, 'fixtures', 'data', 'tiny-msd');
const dir = mkdtempSync(join(tmpdir(), 'hnas-optimize-nnunet-'));
const previousCache = process.env.HNAS_CACHE_DIR;
beforeAll(() => {
  process.env.HNAS_CACHE_DIR = join(dir, 'cache'); // keep the preprocessed fixture out of the repository
});
afterAll(() => {
  if (previousCache === undefined) delete process.env.HNAS_CACHE_DIR;
  else process.env.HNAS_CACHE_DIR = previousCache;
  rmSync(dir, { recursive: true, force: true });
});

const cli = runCli;

describe('hnas optimize with the nnU-Net objective', () => {
  it('trains every trial, continues promotions, and hnas predict uses the incumbent', async () => {
    const study = join(dir, 'study');
    const flags = ['--approach', 'hpo_hnas', '--study', study, '--min-epochs', '1', '--max-epochs', '2', '--eta', '2', '--folds', '0', '--iterations-per-epoch', '2', '--batch', '2', '--features', '4,16', '--no-progress', '--json'];
    const run = await cli('optimize', TINY, ...flags);
    expect(run.code, run.err).toBe(0);
    // 1..2 epochs, eta 2: brackets of 2/1 and 2 configurations + the default = 6 evaluations.
    expect(JSON.parse(run.out)).toMatchObject({ stopped: 'done', counts: { complete: 6, failed: 0, running: 0 } });
    const { trials, folder } = await loadStudy(study);
    for (const t of trials) {
      expect(t.loss! >= 0 && t.loss! <= 1 && t.cost! > 0).toBe(true);
      expect(existsSync(join(folder, t.checkpoint!, 'fold_0', 'model.onnx')), t.key).toBe(true);
      const scores = JSON.parse(readFileSync(join(folder, 'trials', t.key.replace(/\//g, '-'), 'scores.json'), 'utf8'));
      expect(scores.folds[0].fold).toBe(0);
      expect(scores.loss).toBeCloseTo(1 - scores.folds[0].dice, 12);
    }
    const promoted = trials.find((t) => t.source === 'promotion')!;
    expect(promoted.previousBudget).toBe(1);
    expect(readFileSync(join(folder, 'trials', promoted.key.replace(/\//g, '-'), 'log.txt'), 'utf8')).toMatch(/1 -> 2 epochs/);

    const inc = await cli('incumbent', study, '--json');
    expect(inc.code, inc.err).toBe(0);
    const { model, trial } = JSON.parse(inc.out);
    expect(trial.loss).toBe(Math.min(...trials.map((t) => t.loss!)));
    const images = join(dir, 'images');
    mkdirSync(images);
    const first = readdirSync(join(TINY, 'imagesTr')).sort()[0]!;
    copyFileSync(join(TINY, 'imagesTr', first), join(images, first));
    const pred = await cli('predict', model, images, '-o', join(dir, 'pred'), '--no-progress');
    expect(pred.code, pred.err).toBe(0);
    expect(readdirSync(join(dir, 'pred')).filter((f) => !f.startsWith('.'))).toEqual([first]);

    // Retrain the incumbent on two folds: a model folder with both, which predict ensembles.
    const re = await cli('incumbent', study, '--retrain', '--folds', '0,1', '--features', '4,16', '--no-progress', '--json');
    expect(re.code, re.err).toBe(0);
    const retrained = JSON.parse(re.out);
    expect(retrained.trial.key).toBe(trial.key);
    expect(retrained.folds.map((f: { fold: number }) => f.fold)).toEqual([0, 1]);
    expect(retrained.dice).toBeCloseTo((retrained.folds[0].dice + retrained.folds[1].dice) / 2, 12);
    const ens = await cli('predict', retrained.model, images, '-o', join(dir, 'pred2'), '--no-progress', '--json');
    expect(ens.code, ens.err).toBe(0);
    expect(JSON.parse(ens.out).folds).toEqual([0, 1]);
  }, 240_000); // 6 trainings, a retrain of two folds and two predictions: minutes on a loaded shared machine
});
