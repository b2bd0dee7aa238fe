/**
 * Skipping with a reason the test report shows (vitest's skip note, listed again at the end of the
 * run by ./skip-reporter.ts) rather than a warning on stderr only.
 */
import { beforeEach } from 'vitest';

/** Inside a describe: every test of it skips with `reason` unless `present`. */
export function skipAllUnless(present: boolean, reason: string): void {
  beforeEach((ctx) => ctx.skip(!present, reason));
}
