/**
 * Lists, after the default reporter's summary, every test skipped with a reason (a skip note), so a
 * CI log says which checks did not run and what they need.
 */
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class SkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    for (const m of modules)
      for (const t of m.children.allTests('skipped')) {
        const result = t.result();
        const note = result.state === 'skipped' ? result.note : undefined;
        if (note) lines.push(`  ${relative(process.cwd(), m.moduleId)} > ${t.fullName}: ${note}`);
      }
    if (lines.length > 0) process.stdout.write(`\nSkipped, with the reason (${lines.length}):\n${lines.join('\n')}\n`);
  }
}
