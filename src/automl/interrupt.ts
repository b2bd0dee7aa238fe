/** Ctrl-C during `hnas optimize` or a retraining: not a failure of the user's input, but the CLI must exit 130 (128 + SIGINT). */
import { HnasError } from '../errors.js';

export class OptimizationInterrupted extends HnasError {
  override readonly exitCode = 130;
  constructor() {
    super('interrupted; everything finished is saved, rerun the same command to continue');
  }
}
