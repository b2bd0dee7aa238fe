/** Worker side of preprocessInWorkers: builds one case file per request, reports its peak memory. */
import { parentPort, workerData } from 'node:worker_threads';
import { buildCaseFile } from './cache.js';
import type { PreprocessWorkerData, PreprocessReply, PreprocessRequest } from './preprocess-workers.js';

const { dataset, plan } = workerData as PreprocessWorkerData;

parentPort!.on('message', (req: PreprocessRequest) => {
  if (req.type === 'stop') {
    parentPort!.close();
    return;
  }
  let reply: PreprocessReply;
  try {
    buildCaseFile(dataset, plan, req.job);
    reply = { type: 'done', index: req.job.index };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const { code, path, syscall, errno } = e as NodeJS.ErrnoException;
    reply = { type: 'error', index: req.job.index, name: e.name, message: e.message, stack: e.stack, errno: code ? { code, path, syscall, errno } : undefined };
  }
  parentPort!.postMessage(reply);
});
