/**
 * The progress view of `hnas optimize`: a snapshot computed from the stored trials only
 * (so the parent of several worker processes sees everything), rendered as a live bar on
 * a terminal or one line per finished trial otherwise.
 */
import cliProgress from 'cli-progress';
import { bestLossTrial } from '../optimize/incumbent.js';
import { epochsSpent } from '../optimize/schedule.js';
import { busySeconds, type TrialRecord } from '../optimize/trial.js';

export interface ProgressSnapshot {
  readonly done: number;
  readonly failed: number;
  readonly running: number;
  /** Bracket and rung (with its epochs) of the newest trial; null before the first. */
  readonly bracket: number | null;
  readonly rung: number | null;
  readonly rungEpochs: number | null;
  readonly incumbent: { readonly number: number; readonly loss: number; readonly cost: number | null; readonly epochs: number } | null;
  readonly epochs: number;
  /** Seconds during which at least one trial was running. */
  readonly busySeconds: number;
  /** Fraction of the budget (epochs, or the time limit) spent, in [0, 1]. */
  readonly fraction: number;
  /** Seconds left at the rate so far; null while unknown. */
  readonly etaSeconds: number | null;
}

export function progressSnapshot(
  trials: readonly TrialRecord[],
  limits: { readonly plannedEpochs: number; readonly timeLimitS: number | null },
  now: number,
): ProgressSnapshot {
  const finished = trials.filter((t) => t.status !== 'running');
  const newest = trials.reduce<TrialRecord | undefined>((a, t) => (!a || t.number > a.number ? t : a), undefined);
  const best = bestLossTrial(trials);
  const epochs = epochsSpent(trials.filter((t) => t.status !== 'running'));
  const busy = busySeconds(trials, now);
  const fraction = Math.min(1, limits.timeLimitS !== null ? busy / limits.timeLimitS : epochs / limits.plannedEpochs);
  return {
    done: finished.length,
    failed: finished.filter((t) => t.status === 'failed').length,
    running: trials.length - finished.length,
    bracket: newest ? newest.bracket : null,
    rung: newest ? newest.rung : null,
    rungEpochs: newest ? newest.budget : null,
    incumbent: best ? { number: best.number, loss: best.loss!, cost: best.cost, epochs: best.budget } : null,
    epochs,
    busySeconds: busy,
    fraction,
    etaSeconds: fraction > 0 && fraction < 1 ? (busy * (1 - fraction)) / fraction : fraction >= 1 ? 0 : null,
  };
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line: bracket/rung, trials, incumbent 1 - Dice and runtime, ETA. */
export function progressLine(p: ProgressSnapshot): string {
  const where = p.bracket === null ? 'starting' : p.bracket < 0 ? `default config @ ${p.rungEpochs} epochs` : `bracket ${p.bracket} rung ${p.rung} (${p.rungEpochs} epochs)`;
  const inc = p.incumbent ? `incumbent #${p.incumbent.number}: 1-Dice ${p.incumbent.loss.toFixed(4)}, runtime ${formatDuration(p.incumbent.cost)}` : 'no incumbent yet';
  const failed = p.failed > 0 ? ` (${p.failed} failed)` : '';
  return `${where} | ${p.done} done${failed}, ${p.running} running | ${inc} | ${(100 * p.fraction).toFixed(0)}% | ETA ${formatDuration(p.etaSeconds)}`;
}

export interface ProgressView {
  update(p: ProgressSnapshot): void;
  stop(): void;
}

/** A live bar on a terminal; elsewhere one line each time a trial finishes. */
export function progressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({ format: '[{bar}] {line}', stream, hideCursor: true, barsize: 20 }, cliProgress.Presets.shades_classic);
    bar.start(1000, 0, { line: 'starting' });
    return { update: (p) => bar.update(Math.round(1000 * p.fraction), { line: progressLine(p) }), stop: () => bar.stop() };
  }
  let lastDone = -1;
  return {
    update(p) {
      if (p.done === lastDone) return;
      lastDone = p.done;
      stream.write(`${progressLine(p)}\n`);
    },
    stop() {},
  };
}
