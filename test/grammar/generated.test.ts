import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('generated parsers', () => {
  it('grammar/generated/ is up to date with grammar/*.ne', () => {
    // Throws (non-zero exit) when a generated file differs from a fresh nearleyc run.
    expect(() => execFileSync(process.execPath, ['scripts/build-grammars.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
