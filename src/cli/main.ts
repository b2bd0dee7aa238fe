/**
 * The `hnas` command line. Each command lives in its own module under commands/
 * and is listed once in commands/index.ts (loaded only when it runs). Errors: a UsageError (or commander's own
 * parse error) exits 2, any other HnasError exits with its code, an ordinary fault of
 * the system (disk full, no permission, a file where a folder should be) exits 1, a bug 70.
 * With --json a failure is also printed on stdout as {error: {type, message, ...}}.
 */
import { Command, CommanderError } from 'commander';
import { HnasError } from '../errors.js';
import { registerCommands } from './commands/index.js';
import { systemError } from './system-errors.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('hnas')
    .description('Auto-nnU-Net: grammar-based HNAS + HPO for medical image segmentation')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  if (!(argv.length === 1 && ['--version', '-V'].includes(argv[0]!))) await registerCommands(program, argv);
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    const json = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).includes('--json');
    return reportError(err, json);
  }
}

/** What a failure prints with --json, on stdout (the text goes to stderr as always). */
export interface JsonError {
  readonly error: { readonly type: string; readonly message: string; readonly file?: string; readonly line?: number; readonly column?: number; readonly field?: string; readonly exitCode: number };
}

function reportError(err: unknown, json: boolean): number {
  const failure = describe(err);
  if (failure === null) return 0;
  if (failure.text !== null) process.stderr.write(failure.text);
  if (json) process.stdout.write(`${JSON.stringify({ error: failure.error } satisfies JsonError, null, 2)}\n`);
  return failure.error.exitCode;
}

function describe(err: unknown): { text: string | null; error: JsonError['error'] } | null {
  if (err instanceof CommanderError) {
    // Help and version are "errors" to commander but successes to the user.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return null;
    // Commander already printed the message (ours, for a UsageError from an option parser).
    return { text: null, error: { type: 'UsageError', message: err.message.replace(/^error: /, ''), exitCode: 2 } };
  }
  const known = err instanceof HnasError ? err : systemError(err);
  if (known) {
    const loc = known.location;
    const error = {
      type: known.name, message: known.message, exitCode: known.exitCode,
      ...(loc?.file === undefined ? {} : { file: loc.file }), ...(loc?.line === undefined ? {} : { line: loc.line }),
      ...(loc?.column === undefined ? {} : { column: loc.column }), ...(loc?.path === undefined ? {} : { field: loc.path }),
    };
    return { text: `hnas: ${known.name}: ${known.message}\n`, error };
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { text: `hnas: internal error (please report): ${message}\n`, error: { type: 'InternalError', message: err instanceof Error ? err.message : String(err), exitCode: 70 } };
}
