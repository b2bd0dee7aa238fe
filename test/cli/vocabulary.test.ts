/** One name per meaning across the commands (issue 13 item 15); old spellings are hidden aliases. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerCommands } from '../../src/cli/commands/index.js';
import { runCli } from '../helpers/cli.js';

const program = new Command('hnas');
await registerCommands(program);
const leaves = (c: Command, prefix = ''): [string, Command][] =>
  c.commands.length ? c.commands.flatMap((s) => leaves(s, `${prefix}${s.name()} `)) : [[prefix.trim(), c]];
const all = leaves(program);
const visible = (c: Command): string[] => c.options.filter((o) => !o.hidden).map((o) => o.long!);
const flagsOf = (name: string): string[] => visible(all.find(([n]) => n === name)![1]);

describe('flag vocabulary', () => {
  it('no command shows an old spelling', () => {
    expect(all.length).toBeGreaterThan(15);
    const old = ['--fold', '--min', '--max', '--out', '--db', '--format'];
    for (const [name, cmd] of all) {
      // --format names a file format where a command writes one of several (sample: tree formats; plan: hnas | nnunet).
      const shown = visible(cmd).filter((f) => old.includes(f) && !((name === 'sample' || name === 'plan') && f === '--format'));
      expect(shown, name).toEqual([]);
    }
  });
  it('--workers means worker processes (optimize\'s, slurm\'s array tasks); folds are --folds; budgets are --min-epochs/--max-epochs', () => {
    expect(all.filter(([, c]) => visible(c).includes('--workers')).map(([n]) => n).sort()).toEqual(['optimize', 'slurm']);
    expect(flagsOf('train')).toEqual(expect.arrayContaining(['--folds', '--loader-threads']));
    for (const n of ['optimize', 'brackets']) expect(flagsOf(n)).toEqual(expect.arrayContaining(['--min-epochs', '--max-epochs']));
    for (const n of ['train', 'predict', 'optimize', 'incumbent']) expect(flagsOf(n), n).toContain('--folds');
  });
  it('every command that trains or runs a model takes --threads and --device; every long data step takes --no-progress', () => {
    for (const n of ['train', 'predict', 'optimize', 'incumbent']) expect(flagsOf(n), n).toEqual(expect.arrayContaining(['--threads', '--device']));
    for (const n of ['plan', 'preprocess', 'train', 'predict', 'optimize', 'incumbent']) expect(flagsOf(n), n).toContain('--no-progress');
  });
  it('old spellings still parse (and are checked) with a warning', async () => {
    const r = await runCli('train', 'nowhere', '--fold', '7');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--fold is now --folds/);
    expect(r.err).toMatch(/--folds must be fold numbers 0\.\.4/);
    const w = await runCli('train', 'nowhere', '--folds', '0', '--workers', '0');
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/--workers is now --loader-threads/);
  });
  it("'all' (every case, no validation) is a fold only where nothing needs a validation score", async () => {
    const r = await runCli('optimize', 'nowhere', '--approach', 'hpo', '--folds', 'all');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/'all' trains on every case without validation/);
  });
});
