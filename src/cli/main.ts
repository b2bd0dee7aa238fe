/**
 * The `hnas` command line. Each command lives in its own module under commands/
 * and is listed once in commands/index.ts. Errors: a UsageError (or commander's own
 * parse error) exits 2, any other HnasError exits with its code, a bug exits 70.
 */
import { Command, CommanderError } from 'commander';
import { HnasError } from '../errors.js';
import { commands } from './commands/index.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('hnas')
    .description('Auto-nnU-Net: grammar-based HNAS + HPO for medical image segmentation')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version are "errors" to commander but successes to the user.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2; // commander already printed the message
  }
  if (err instanceof HnasError) {
    process.stderr.write(`hnas: ${err.name}: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`hnas: internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 70;
}
