/** Synthetic datasets written to temporary folders, for tests that need files on disk. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNifti } from '../../src/data/nifti.js';
import { identityGeometry } from '../../src/data/nifti-types.js';
import { Rng } from '../../src/util/rng.js';

export function tempDir(prefix = 'hnas-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface SyntheticCase {
  id: string;
  /** NIfTI dims (i, j, k). */
  dims: [number, number, number];
  /** NIfTI voxel spacing (i, j, k); the dataset-wide spacing when absent. */
  spacing?: [number, number, number];
}

/**
 * An MSD-layout dataset: a bright ellipsoid (label 1) with a brighter core (label 2)
 * on a noisy background, inside a zero border so cropping has work to do.
 */
export function writeMsdDataset(root: string, cases: SyntheticCase[], seed = 1, spacing: [number, number, number] = [1, 1, 1]): void {
  const rng = Rng.seeded(seed);
  mkdirSync(join(root, 'imagesTr'), { recursive: true });
  mkdirSync(join(root, 'labelsTr'), { recursive: true });
  for (const c of cases) {
    const { image, label } = syntheticVolume(c.dims, rng);
    const geometry = identityGeometry(c.spacing ?? spacing);
    writeNifti(join(root, 'imagesTr', `${c.id}.nii.gz`), image, c.dims, geometry);
    writeNifti(join(root, 'labelsTr', `${c.id}.nii.gz`), label, c.dims, geometry, { datatype: 'uint8' });
  }
  const json = {
    name: 'Synthetic',
    modality: { '0': 'MRI' },
    labels: { '0': 'background', '1': 'outer', '2': 'core' },
    numTraining: cases.length,
    training: cases.map((c) => ({ image: `./imagesTr/${c.id}.nii.gz`, label: `./labelsTr/${c.id}.nii.gz` })),
  };
  writeFileSync(join(root, 'dataset.json'), JSON.stringify(json, null, 2));
}

export function syntheticVolume(dims: [number, number, number], rng: Rng): { image: Float32Array; label: Uint8Array } {
  const [nx, ny, nz] = dims;
  const image = new Float32Array(nx * ny * nz);
  const label = new Uint8Array(nx * ny * nz);
  const c = [nx / 2 + rng.normal(), ny / 2 + rng.normal(), nz / 2 + rng.normal()];
  const r = [nx / 4, ny / 4, nz / 4];
  let i = 0;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        const border = x < 2 || y < 2 || z < 1 || x >= nx - 2 || y >= ny - 2 || z >= nz - 1;
        if (border) continue;
        const d = ((x - c[0]!) / r[0]!) ** 2 + ((y - c[1]!) / r[1]!) ** 2 + ((z - c[2]!) / r[2]!) ** 2;
        label[i] = d < 0.3 ? 2 : d < 1 ? 1 : 0;
        image[i] = 10 + 5 * label[i]! + rng.normal();
      }
  return { image, label };
}
