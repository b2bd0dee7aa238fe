import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDERS, providerInstalled } from '../../src/runtime/providers.js';

describe('execution providers', () => {
  it('bundled providers are installed; CUDA exactly when its library sits beside the binding', () => {
    const empty = mkdtempSync(join(tmpdir(), 'hnas-ep-'));
    expect(providerInstalled(PROVIDERS.cpu, empty)).toBe(true);
    expect(providerInstalled(PROVIDERS.webgpu, empty)).toBe(true);
    expect(providerInstalled(PROVIDERS.cuda, empty)).toBe(false);
    writeFileSync(join(empty, PROVIDERS.cuda.library!), '');
    expect(providerInstalled(PROVIDERS.cuda, empty)).toBe(true);
  });
});
