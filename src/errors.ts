/**
 * One error hierarchy for everything a user can get wrong. Each error says where
 * (file, line/column or JSON path) and what was expected, and maps to an exit code.
 * Broken internal invariants are plain `Error`s (bugs), never these.
 */

/** Where in the user's input an error is. All fields optional; the message renders what is known. */
export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
  /** JSON path (`$.children[2].symbol`) or tree path (`S/E4/C_2`). */
  path?: string;
}

/** `$.params[2].lower` from path segments (e.g. a zod issue's path). */
export const jsonPath = (path: ReadonlyArray<PropertyKey>): string =>
  '$' + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return '';
  let s = loc.file ?? '';
  if (loc.line !== undefined) s += `${s ? ':' : 'line '}${loc.line}${loc.column !== undefined ? `:${loc.column}` : ''}`;
  if (loc.path) s += `${s ? ' ' : ''}at ${loc.path}`;
  return s;
}

export class HnasError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;
  readonly location?: SourceLocation;

  constructor(message: string, location?: SourceLocation, options?: { cause?: unknown }) {
    const where = formatLocation(location);
    super(where ? `${where}: ${message}` : message, options);
    this.name = new.target.name;
    this.location = location;
  }
}

/** Wrong flags or arguments on the command line. */
export class UsageError extends HnasError {
  override readonly exitCode = 2;
}
/** Text of the grammar language that does not parse. */
export class GrammarSyntaxError extends HnasError {}
/** A grammar that parses but fails a static check (undefined, unreachable, unproductive, weights...). */
export class GrammarCheckError extends HnasError {}
/** A derivation tree that is malformed or not in the grammar's language. */
export class TreeError extends HnasError {}
/** A configuration or search-space definition that does not validate. */
export class ConfigError extends HnasError {}
/** A plan that is inconsistent (zero-size patch, stride not dividing the patch...). */
export class PlanError extends HnasError {}
/** Tensor shapes that do not fit an op. */
export class ShapeError extends HnasError {}
/** A dataset, image or label that cannot be read or does not match. */
export class DatasetError extends HnasError {}
/** A training run that failed (NaN loss, out of memory, missing execution provider). */
export class TrainingFailure extends HnasError {
  constructor(
    message: string,
    readonly reason: 'nan' | 'oom' | 'provider' | 'other',
    location?: SourceLocation,
    options?: { cause?: unknown },
  ) {
    super(message, location, options);
  }
}
/** The machine refused: disk full, no permission, a file where a folder should be (Node's system errors). */
export class EnvironmentError extends HnasError {}
/** The study database cannot be opened, read or written. */
export class StorageError extends HnasError {}
/** A trial transition that its state does not allow. */
export class TrialStateError extends HnasError {}
/** A study that cannot be analysed as asked (too few completed trials, nothing varies). */
export class AnalysisError extends HnasError {}

/**
 * The same error located in `file` too: for errors about a file's content raised by code that
 * never saw the file's name (the compiler reading a tree, the grammar checking one).
 */
export function inFile(err: unknown, file: string): unknown {
  if (!(err instanceof HnasError) || err instanceof TrainingFailure || err.location?.file !== undefined) return err;
  const where = formatLocation(err.location);
  const ErrorClass = err.constructor as new (message: string, location?: SourceLocation, options?: { cause?: unknown }) => HnasError;
  return new ErrorClass(where ? err.message.slice(where.length + 2) : err.message, { ...err.location, file }, { cause: err });
}
