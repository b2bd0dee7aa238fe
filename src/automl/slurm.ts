/**
 * An sbatch job-array script for a study (`hnas slurm`): each array task runs one `hnas worker`
 * against the study, one GPU each by default. The study folder must be on a filesystem every
 * node mounts, and its trials in a database server every node reaches (PostgreSQL): SQLite
 * cannot be shared between machines. No password goes into the script: the workers read it
 * from PGPASSWORD or ~/.pgpass.
 */
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { Device } from '../runtime/providers.js';

export interface SlurmJob {
  readonly dir: string;
  readonly name: string;
  /** Storage URL for the workers (password removed), or undefined: what study.json recorded. */
  readonly storage?: string;
  readonly workers: number;
  readonly gpusPerWorker: number;
  readonly cpusPerWorker?: number;
  /** Wall time per array task, seconds. */
  readonly timeS: number;
  readonly partition?: string;
  readonly device: Device;
  readonly threads?: number;
  /** The command that runs hnas on the nodes, as argv (default: this Node and this install). */
  readonly hnas?: readonly string[];
}

/** SLURM's `--time`: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, in seconds. */
export function parseSlurmTime(text: string): number {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--time must be HH:MM:SS (or D-HH:MM:SS, MM), got '${text}'`);
  const [, d, a, b, c] = m;
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  let s: number;
  if (d !== undefined) s = n(d) * 86400 + n(a) * 3600 + n(b) * 60 + n(c);
  else if (c !== undefined) s = n(a) * 3600 + n(b) * 60 + n(c);
  else if (b !== undefined) s = n(a) * 60 + n(b);
  else s = n(a) * 60;
  if (!(s > 0)) throw new UsageError(`--time must be positive, got '${text}'`);
  return s;
}

const hms = (s: number): string => {
  const d = Math.floor(s / 86400);
  const t = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60].map((x) => String(x).padStart(2, '0')).join(':');
  return d > 0 ? `${d}-${t}` : t;
};

/** Single-quoted for bash. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The default hnas command on the nodes: this Node and this install (the same paths must exist there). */
export const thisHnas = (): string[] => [process.execPath, fileURLToPath(new URL('../../bin/hnas.mjs', import.meta.url))];

/** Seconds before the time limit at which SLURM asks a worker to stop (SIGTERM): it saves and exits. */
const STOP_MARGIN_S = 120;

export function slurmScript(job: SlurmJob): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(job.name)) throw new UsageError(`the study name '${job.name}' cannot name a SLURM job`);
  const grace = Math.min(STOP_MARGIN_S, Math.floor(job.timeS / 4));
  const worker = [
    '"${HNAS[@]}"', 'worker', q(job.dir), '--name', q(job.name),
    ...(job.storage ? ['--storage', q(job.storage)] : []),
    '--device', job.device, ...(job.threads ? ['--threads', String(job.threads)] : []),
    // Start no trial in the last minutes: a trial cut off by the time limit is re-run by another worker.
    '--time-limit', `${Math.max(1, job.timeS - 2 * grace)}s`,
  ].join(' ');
  return [
    '#!/bin/bash',
    `# hnas study '${job.name}' in ${job.dir}: ${job.workers} workers, written by \`hnas slurm\`. Submit with: sbatch <this file>`,
    `#SBATCH --job-name=hnas-${job.name}`,
    `#SBATCH --array=0-${job.workers - 1}`,
    '#SBATCH --ntasks=1',
    ...(job.gpusPerWorker > 0 ? [`#SBATCH --gres=gpu:${job.gpusPerWorker}`] : []),
    ...(job.cpusPerWorker ? [`#SBATCH --cpus-per-task=${job.cpusPerWorker}`] : []),
    `#SBATCH --time=${hms(job.timeS)}`,
    ...(job.partition ? [`#SBATCH --partition=${job.partition}`] : []),
    `#SBATCH --output=${job.dir}/slurm-%A_%a.out`,
    // SIGTERM to the worker (exec'd below) shortly before the limit: it stops after saving.
    `#SBATCH --signal=B:TERM@${grace}`,
    'set -euo pipefail',
    '# The study storage password, if any, comes from PGPASSWORD or ~/.pgpass, never from this file.',
    '# HNAS_COMMAND (e.g. "hnas", or "node /opt/hnas/bin/hnas.mjs") overrides the command written here.',
    `if [ -n "\${HNAS_COMMAND:-}" ]; then read -r -a HNAS <<< "$HNAS_COMMAND"; else HNAS=(${(job.hnas ?? thisHnas()).map(q).join(' ')}); fi`,
    'echo "hnas worker: array task ${SLURM_ARRAY_TASK_ID:-local} on $(hostname)" >&2',
    `exec ${worker}`,
    '',
  ].join('\n');
}
