/** Worker side of BatchLoader: opens the case files (headers only), then makes batches on request from patch reads. */
import { parentPort, workerData } from 'node:worker_threads';
import { CaseFile } from './case-file.js';
import { batchRng, type LoaderWorkerData, type WorkerReply, type WorkerRequest } from './loader-protocol.js';
import { sampleBatch } from './patch-sampler.js';

const data = workerData as LoaderWorkerData;
const cases = data.files.map((f) => CaseFile.open(f));

parentPort!.on('message', (req: WorkerRequest) => {
  if (req.type === 'stop') {
    parentPort!.close();
    return;
  }
  try {
    const made = sampleBatch(cases, data.sampler, batchRng(data.seed, req.index));
    const batch = data.labelFormat === 'float32' ? { ...made, label: Float32Array.from(made.label) } : made;
    const reply: WorkerReply = { type: 'batch', index: req.index, batch };
    parentPort!.postMessage(reply, [batch.image.buffer as ArrayBuffer, batch.label.buffer as ArrayBuffer]);
  } catch (err) {
    const reply: WorkerReply = { type: 'error', index: req.index, message: err instanceof Error ? err.message : String(err) };
    parentPort!.postMessage(reply);
  }
});
