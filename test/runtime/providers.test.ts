import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDERS, providerInstalled, sessionOptions } from '../../src/runtime/providers.js';

describe('execution providers', () => {
  it('bundled providers are installed; CUDA exactly when its library sits beside the binding', () => {
    const empty = mkdtempSync(join(tmpdir(), 'hnas-ep-'));
    expect(providerInstalled(PROVIDERS.cpu, empty)).toBe(true);
    expect(providerInstalled(PROVIDERS.webgpu, empty)).toBe(true);
    expect(providerInstalled(PROVIDERS.cuda, empty)).toBe(false);
    writeFileSync(join(empty, PROVIDERS.cuda.library!), '');
    expect(providerInstalled(PROVIDERS.cuda, empty)).toBe(true);
  });

  it('CPU sessions run without the memory arena and the memory pattern (the lower peak, docs/training.md), threads sleeping', () => {
    const o = sessionOptions('cpu', 2);
    expect(o).toMatchObject({ enableCpuMemArena: false, enableMemPattern: false, intraOpNumThreads: 2, interOpNumThreads: 1 });
    expect(o.extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
    expect(sessionOptions('webgpu').enableMemPattern).toBeUndefined();
  });
});
