/**
 * Two Task04_Hippocampus subsets of different character, for a small real `hnas transfer` run
 * (docs/results.md): HippoA = the first 40 training cases as they are (1 mm isotropic); HippoB = the
 * next 40 with every second slice along k kept (1 x 1 x 2 mm, anisotropic). Both labels kept.
 *
 *   npx tsx scripts/hippocampus-subsets.ts /tmp/subsets     # writes /tmp/subsets/HippoA, /tmp/subsets/HippoB
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readNifti, niftiValues, writeNifti } from '../src/data/nifti.js';

const src = resolve('../shared/datasets/Task04_Hippocampus');
const json = JSON.parse(readFileSync(join(src, 'dataset.json'), 'utf8'));
const out = resolve(process.argv[2] ?? 'hippocampus-subsets');
function subset(name: string, entries: { image: string; label: string }[], thin: boolean): void {
  const root = join(out, name);
  mkdirSync(join(root, 'imagesTr'), { recursive: true });
  mkdirSync(join(root, 'labelsTr'), { recursive: true });
  for (const e of entries)
    for (const f of [e.image, e.label]) {
      const img = readNifti(join(src, f));
      const v = niftiValues(img);
      const [nx, ny, nz] = img.dims as [number, number, number];
      if (!thin) {
        writeNifti(join(root, f), v, img.dims, img.geometry, { datatype: f === e.label ? 'uint8' : 'float32' });
        continue;
      }
      const kz = Math.ceil(nz / 2);
      const t = new Float32Array(nx * ny * kz);
      for (let z = 0; z < kz; z++) t.set(v.subarray(2 * z * nx * ny, (2 * z + 1) * nx * ny), z * nx * ny);
      const g = img.geometry;
      const geometry = { ...g, pixdim: [g.pixdim[0], g.pixdim[1], 2 * g.pixdim[2]] as [number, number, number], affine: g.affine.map((r) => r.map((x, c) => (c === 2 ? 2 * x : x))) };
      writeNifti(join(root, f), t, [nx, ny, kz], geometry, { datatype: f === e.label ? 'uint8' : 'float32' });
    }
  writeFileSync(join(root, 'dataset.json'), JSON.stringify({ ...json, name, numTraining: entries.length, training: entries }, null, 2));
}
subset('HippoA', json.training.slice(0, 40), false);
subset('HippoB', json.training.slice(40, 80), true);
