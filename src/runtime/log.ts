/** The per-epoch training log, one JSON object per line (log.jsonl). */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/fs.js';

export interface EpochRecord {
  /** 1-based, as training prints it: the number of epochs done after this one. */
  readonly epoch: number;
  readonly lr: number;
  /** Mean over the epoch's iterations. */
  readonly loss: number;
  readonly terms: Readonly<Record<string, number>>;
  readonly gradNorm: number;
  readonly seconds: number;
}

export class EpochLog {
  private constructor(readonly path: string) {}

  /** Opens the log for a run with `epoch` epochs done: keeps the complete lines of those epochs, drops the rest. */
  static open(path: string, epoch: number): EpochLog {
    const kept = existsSync(path)
      ? readFileSync(path, 'utf8').split('\n').filter((line) => {
        try {
          return (JSON.parse(line) as EpochRecord).epoch <= epoch;
        } catch {
          return false;
        }
      })
      : [];
    writeFileAtomic(path, kept.map((l) => `${l}\n`).join(''));
    return new EpochLog(path);
  }

  append(record: EpochRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  static read(path: string): EpochRecord[] {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as EpochRecord);
  }
}
