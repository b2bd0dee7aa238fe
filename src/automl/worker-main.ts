/**
 * Entry of an extra worker process: `node --import tsx worker-main.ts <study dir> <WorkerArgs JSON>`.
 * Reads the study's description and plan from its folder and runs the worker loop;
 * SIGINT stops it after saving (exit 130).
 */
import { join } from 'node:path';
import type { WorkerArgs } from './driver.js';
import { runWorker } from './driver.js';
import { metaFile, readStudyMeta, studyFolder, studyPaths } from './layout.js';
import { readPlanFile } from '../data/plan-file.js';

const [dir, argsJson] = process.argv.slice(2);
const args = JSON.parse(argsJson!) as WorkerArgs;
const paths = studyPaths(dir!, args.storage);
const folder = studyFolder(paths, args.name);
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
process.on('SIGTERM', () => controller.abort());
// A worker never outlives its driver: when the IPC channel closes (the driver exited or was killed,
// even by kill -9) or this process is re-parented, it stops as after Ctrl-C (the running trial is
// re-run by the next hnas optimize), and quits outright if the trial does not stop within 30 s.
const parent = process.ppid;
const orphaned = () => {
  if (controller.signal.aborted) return;
  controller.abort();
  setTimeout(() => process.exit(130), 30_000).unref();
};
process.on('disconnect', orphaned);
process.channel?.unref(); // the channel alone must not keep a finished worker alive
setInterval(() => process.ppid !== parent && orphaned(), 1000).unref();
const prepared = { paths, name: args.name, folder, meta: readStudyMeta(metaFile(paths, args.name)), plan: readPlanFile(join(folder, 'plans.json')) };
const { stopped } = await runWorker(prepared, args, { signal: controller.signal });
process.exitCode = stopped === 'interrupted' ? 130 : 0;
