/** `hnas plan`, `hnas preprocess`, `hnas evaluate` end to end: outputs, exit codes, nothing lost on failure. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureOutput } from '../helpers/cli.js';
import { main } from '../../src/cli/main.js';
import { writeNifti } from '../../src/data/nifti.js';
import { identityGeometry } from '../../src/data/nifti-types.js';
import { tempDir, writeMsdDataset } from './helpers.js';

const io = captureOutput();

describe('hnas plan / preprocess', () => {
  it('writes plans.json with nStages and network; preprocess caches; errors exit 1 or 2', async () => {
    const root = tempDir();
    writeMsdDataset(root, Array.from({ length: 5 }, (_, i) => ({ id: `p${i}`, dims: [20, 16, 12] as [number, number, number] })));
    const planFile = join(root, 'out', 'plans.json');
    expect(await main(['plan', root, '-o', planFile])).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8'));
    expect(plan.nStages).toBe(plan.network.strides.length);
    expect(plan.network).toMatchObject({ inputChannels: 1, numClasses: 3 });
    expect(io.out()).toMatch(/n_stages \d, patch \[/);

    io.clear();
    expect(await main(['plan', root, '-o', planFile, '--planner', 'resenc-m', '--json'])).toBe(0);
    expect(JSON.parse(io.out()).network.architecture).toBe('ResidualEncoderUNet');

    const cache = join(root, 'cache');
    expect(await main(['preprocess', root, '--plan', planFile, '-o', cache])).toBe(0);
    expect(existsSync(join(cache, 'manifest.json'))).toBe(true);
    expect(existsSync(join(cache, 'splits_final.json'))).toBe(true);

    const before = readFileSync(planFile, 'utf8');
    expect(await main(['plan', root, '--planner', 'nope', '-o', planFile])).toBe(2);
    expect(await main(['plan', join(root, 'missing'), '-o', planFile])).toBe(1);
    expect(readFileSync(planFile, 'utf8')).toBe(before); // a failed run leaves the old plan alone
    writeFileSync(join(root, 'bad.json'), '{"format": "other"}');
    expect(await main(['preprocess', root, '--plan', join(root, 'bad.json'), '-o', cache])).toBe(1);
    expect(io.err()).toMatch(/PlanError: .*bad\.json/);
    expect(await main(['plan'])).toBe(2);
  });
});

describe('hnas evaluate', () => {
  it('prints the table, writes JSON with NaN as null, rejects bad --classes', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'p'));
    mkdirSync(join(dir, 'g'));
    writeNifti(join(dir, 'g', 'a.nii.gz'), [0, 1, 1, 0], [4, 1, 1], identityGeometry(), { datatype: 'uint8' });
    writeNifti(join(dir, 'p', 'a.nii.gz'), [0, 1, 0, 0], [4, 1, 1], identityGeometry(), { datatype: 'uint8' });
    const summary = join(dir, 'summary.json');
    expect(await main(['evaluate', join(dir, 'p'), join(dir, 'g'), '--classes', '1,2', '--per-case', '-o', summary])).toBe(0);
    expect(io.out()).toMatch(/a\s+66\.67\s+NaN/);
    const json = JSON.parse(readFileSync(summary, 'utf8'));
    expect(json.meanPerClass['2']).toBeNull();
    expect(json.foregroundMean).toBeCloseTo(2 / 3, 10);
    expect(await main(['evaluate', join(dir, 'p'), join(dir, 'g'), '--classes', 'x'])).toBe(2);
    expect(await main(['evaluate', join(dir, 'nope'), join(dir, 'g')])).toBe(1);
  });
});
