/**
 * The CT-scale pipeline end to end (slow tier), through the CLI as a user runs it: generate 2 full-size
 * CT-like cases (512 x 512 x 300-450, anisotropic) and a test case, plan, preprocess with two worker threads
 * (peak memory checked), train a tiny network for one epoch, predict the test case, evaluate it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readNifti } from '../../src/data/nifti.js';

const HNAS = fileURLToPath(new URL('../../bin/hnas.mjs', import.meta.url));
const TIME = '/usr/bin/time';
const dir = mkdtempSync(join(tmpdir(), 'hnas-ct-slow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run `hnas ...args`; with `measure`, under /usr/bin/time for the peak RSS (KB) when it is installed. */
function hnas(args: string[], measure = false): { out: string; maxRssKb?: number } {
  const timed = measure && existsSync(TIME);
  const rssFile = join(dir, 'rss.txt');
  const [cmd, argv] = timed ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, HNAS, ...args]] : [process.execPath, [HNAS, ...args]];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`hnas ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { out: r.stdout, maxRssKb: timed ? Number(spawnSync('cat', [rssFile], { encoding: 'utf8' }).stdout.trim()) : undefined };
}

describe('CT scale, full size', () => {
  it('generate -> plan -> preprocess (2 threads, bounded memory) -> train 1 epoch -> predict -> evaluate', () => {
    const ds = join(dir, 'SynCT');
    hnas(['generate-dataset', ds, '--kind', 'ct', '--cases', '2', '--test-cases', '1', '--seed', '0', '--no-progress']);
    const shapes = readdirSync(join(ds, 'imagesTr')).map((f) => readNifti(join(ds, 'imagesTr', f)).dims);
    for (const [x, y, z] of shapes) expect([x, y, z! >= 300 && z! <= 450]).toEqual([512, 512, true]);

    const plans = join(dir, 'plans.json');
    hnas(['plan', ds, '-o', plans, '--no-progress']);
    const cache = join(dir, 'cache');
    const pre = hnas(['preprocess', ds, '--plan', plans, '-o', cache, '--threads', '2', '--no-progress'], true);
    const caseFiles = readdirSync(cache).filter((f) => f.endsWith('.hnpp'));
    expect(caseFiles).toHaveLength(2);
    if (pre.maxRssKb !== undefined) {
      // A case file is float32 image + int16 label: 6 bytes a voxel. Two workers at once, each within
      // 3x the float32 size of the larger of its input and output (inputs are within 2x the output here),
      // plus the process's own few hundred MB.
      const largestOut = Math.max(...caseFiles.map((f) => (statSync(join(cache, f)).size * 4) / 6));
      expect(pre.maxRssKb * 1024).toBeLessThan(400 * 2 ** 20 + 2 * 3 * 1.5 * largestOut);
    }

    const model = join(dir, 'model');
    hnas(['train', ds, '--folds', 'all', '--plan', plans, '--cache', cache, '--epochs', '1', '--iterations-per-epoch', '2', '--patch', '32x64x64', '--batch', '1', '--features', '2,4', '-o', model, '--no-progress']);
    const preds = join(dir, 'preds');
    hnas(['predict', model, join(ds, 'imagesTs'), '-o', preds, '--no-progress']);
    const predicted = readNifti(join(preds, 'synct_003.nii.gz'));
    expect(predicted.dims).toEqual(readNifti(join(ds, 'imagesTs', 'synct_003.nii.gz')).dims);
    const summary = JSON.parse(hnas(['evaluate', preds, join(ds, 'labelsTs'), '--json']).out) as Record<string, unknown>;
    expect(JSON.stringify(summary)).toMatch(/dice/i);
  });
});
