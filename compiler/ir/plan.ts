/**
 * Checking a NetworkPlan (the dataset facts the compiler needs) and reading one from
 * JSON: a bare NetworkPlan or a full plan holding it under `network`.
 */
import { readFileSync } from 'node:fs';
import { PlanError } from '../../src/errors.js';
import type { NetworkPlan, Vec3 } from '../../src/data/plan-types.js';

/** Throws a PlanError naming the field when `plan` is not a usable NetworkPlan; returns it typed. */
export function validatePlan(plan: unknown, file?: string): NetworkPlan {
  const fail = (path: string, msg: string): never => {
    throw new PlanError(msg, { file, path: `$.${path}` });
  };
  if (typeof plan !== 'object' || plan === null || Array.isArray(plan)) return fail('', 'expected a JSON object with the network plan');
  const p = plan as Record<string, unknown>;
  const posInt = (field: string, v: unknown): number =>
    Number.isInteger(v) && (v as number) > 0 ? (v as number) : fail(field, `expected a positive integer, got ${JSON.stringify(v)}`);
  const vec3 = (field: string, v: unknown, check: (x: number) => boolean, what: string): Vec3 => {
    if (!Array.isArray(v) || v.length !== 3) return fail(field, `expected 3 numbers [d, h, w], got ${JSON.stringify(v)}`);
    v.forEach((x, i) => {
      if (!Number.isInteger(x) || !check(x)) fail(`${field}[${i}]`, `expected ${what}, got ${JSON.stringify(x)}`);
    });
    return [v[0], v[1], v[2]];
  };
  const vecs = (field: string, v: unknown, check: (x: number) => boolean, what: string): Vec3[] => {
    if (!Array.isArray(v) || v.length === 0) return fail(field, `expected a non-empty list of [d, h, w] (one per stage), got ${JSON.stringify(v)}`);
    return v.map((x, i) => vec3(`${field}[${i}]`, x, check, what));
  };

  const inputChannels = posInt('inputChannels', p.inputChannels);
  const numClasses = posInt('numClasses', p.numClasses);
  const batchSize = p.batchSize === undefined ? 2 : posInt('batchSize', p.batchSize);
  const patchSize = vec3('patchSize', p.patchSize, (x) => x > 0, 'a positive integer patch size');
  const kernelSizes = vecs('kernelSizes', p.kernelSizes, (x) => x > 0 && x % 2 === 1, 'an odd positive kernel size');
  const strides = vecs('strides', p.strides, (x) => x > 0, 'a positive integer stride');
  if (kernelSizes.length !== strides.length)
    fail('strides', `kernelSizes has ${kernelSizes.length} stages but strides has ${strides.length}`);
  // Stage 0 works at full resolution (nnU-Net: stride 1); otherwise the heads would not match the patch.
  strides[0]!.forEach((s, a) => {
    if (s !== 1) fail(`strides[0][${a}]`, `stage 0 must have stride 1 on every axis, got ${s}`);
  });
  const total: Vec3 = [1, 1, 1];
  strides.forEach((s, i) => {
    for (let a = 0; a < 3; a++) {
      total[a] *= s[a]!;
      if (patchSize[a]! % total[a]! !== 0)
        fail(`strides[${i}][${a}]`, `patch size ${patchSize[a]} on axis ${a} is not divisible by the product of strides up to stage ${i} (${total[a]})`);
    }
  });
  return { inputChannels, numClasses, patchSize, batchSize, kernelSizes, strides };
}

/** Reads a plan file: a bare NetworkPlan, or an object with the plan under `network`. */
export function readNetworkPlanFile(path: string): NetworkPlan {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PlanError(`cannot read the plan as JSON: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  const nested = typeof json === 'object' && json !== null && 'network' in json;
  return validatePlan(nested ? (json as { network: unknown }).network : json, nested ? `${path} (network)` : path);
}
