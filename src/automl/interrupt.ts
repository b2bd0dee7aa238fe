/** Ctrl-C during `hnas optimize` or a retraining: not a failure of the user's input, but the CLI must exit 130 (128 + SIGINT). */
import { HnasError } from '../errors.js';

export class OptimizationInterrupted extends HnasError {
  override readonly exitCode: number;
  /** SIGINT (Ctrl-C) exits 130, SIGTERM 143: 128 + the signal's number, as shells expect. */
  constructor(signal: 'SIGINT' | 'SIGTERM' = 'SIGINT') {
    super(`interrupted${signal === 'SIGTERM' ? ' (SIGTERM)' : ''}; everything finished is saved, rerun the same command to continue`);
    this.exitCode = signal === 'SIGTERM' ? 143 : 130;
  }
}
