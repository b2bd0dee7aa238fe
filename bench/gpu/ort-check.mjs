// GPU check, run by bench/gpu/run-device.sh with only onnxruntime-node beside it:
//   node ort-check.mjs MODELS_DIR RESULTS.jsonl [providers...]      (default: cpu cuda webgpu)
// For the inference graph and the training step (and, on CUDA, the K-step Loop model) in
// MODELS_DIR: one session per provider, the same seeded inputs (parameters included) everywhere;
// prints one JSON line per (model, provider) with seconds per step (median of REPEATS after a
// warm-up), GPU memory, agreement with the CPU result (loss, updated parameters), and the nodes
// onnxruntime placed on the CPU (from its verbose session log, in a child process). Appends the
// lines to RESULTS.jsonl, then prints a table with the ratio to PyTorch CUDA's lines already there.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const REPEATS = Number(process.env.HNAS_GPU_REPEATS ?? 7);
const K = 4;
const [dir, results, ...rest] = process.argv.slice(2);

// Child mode: create one session with verbose logging; the parent reads the placement lines.
if (dir === '--placement') {
  const [file, ep] = [results, rest[0]];
  await ort.InferenceSession.create(readFileSync(file), { executionProviders: [ep], graphOptimizationLevel: 'all', logSeverityLevel: 0, logVerbosityLevel: 0 });
  process.exit(0);
}

const providers = rest.length ? rest : ['cpu', 'cuda', 'webgpu'];
const ir = JSON.parse(readFileSync(join(dir, 'ir.json'), 'utf8'));
const BATCH = ir.benchBatch;
const voxels = BATCH * ir.patchSize.reduce((a, b) => a * b, 1);

// mulberry32: the inputs only need to be the same for every provider.
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function feedsFor(session, steps) {
  const rand = uniform(1234);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const feeds = {};
  for (const meta of session.inputMetadata) {
    const shape = meta.shape.map((d) => (typeof d === 'number' ? d : d === 'steps' ? steps : BATCH));
    const size = shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(size);
    const name = meta.name;
    const fanIn = shape.length > 1 ? size / shape[0] : 1;
    for (let i = 0; i < size; i++) {
      if (name === 'input') data[i] = normal();
      else if (name === 'target') data[i] = Math.floor(rand() * ir.numClasses);
      else if (name === 'lr') data[i] = 0.01;
      else if (name.startsWith('opt.')) data[i] = 0;
      else if (name.startsWith('noise.')) data[i] = rand();
      else if (name.endsWith('running_var') || (name.includes('norm') && name.endsWith('.weight'))) data[i] = 1;
      else if (name.endsWith('.weight')) data[i] = normal() * Math.sqrt(2 / fanIn);
      else data[i] = 0;
    }
    feeds[name] = new ort.Tensor('float32', data, shape);
  }
  return feeds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const maxRelDiff = (a, b) => {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) (num = Math.max(num, Math.abs(a[i] - b[i]))), (den = Math.max(den, Math.abs(b[i])));
  return num / (den || 1);
};

function gpuMemoryMiB() {
  try {
    const csv = execFileSync('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 10000 });
    const mine = csv.split('\n').map((l) => l.split(',').map((s) => s.trim())).find(([pid]) => Number(pid) === process.pid);
    return mine ? Number(mine[1]) : null;
  } catch {
    return null;
  }
}

function cpuPlacement(file, ep) {
  if (ep === 'cpu') return { nodesOnCpu: 0 };
  const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--placement', file, ep], { encoding: 'utf8', timeout: 120000, maxBuffer: 1 << 30 });
  // session_state.cc logs " Node(s) placed on [EP]. Number of nodes: N" (or " All nodes placed on
  // [EP]") and then one "  OpType (name)" line per node, each line with its own log prefix.
  const messages = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => /VerifyEachNodeIsAssignedToAnEp\] (.*)$/.exec(l)?.[1]).filter((m) => m !== undefined);
  if (!messages.length) return { nodesOnCpu: null, placementLog: `${r.stderr}`.split('\n').filter((l) => /rror/.test(l)).slice(0, 3) };
  let current = null;
  const byEp = {};
  for (const m of messages) {
    const head = /placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(m);
    if (head) (current = head[1]), (byEp[current] = { count: Number(head[2]), nodes: [] });
    else if (current && m.startsWith('  ')) byEp[current].nodes.push(m.trim());
  }
  const cpu = byEp.CPUExecutionProvider;
  return { nodesOnCpu: cpu?.count ?? 0, cpuNodes: cpu?.nodes.slice(0, 30), placement: Object.fromEntries(Object.entries(byEp).map(([k, v]) => [k, v.count])) };
}

const runs = [
  { label: 'inference forward', file: 'infer.onnx', providers },
  { label: 'training step', file: 'step.onnx', providers: providers.filter((p) => p !== 'webgpu') },
  { label: 'training step, CPU lowering', file: 'step.cpu-lowering.onnx', providers: providers.filter((p) => p === 'cuda') },
  { label: 'training step', file: 'step.webgpu.onnx', providers: providers.filter((p) => p === 'webgpu') },
  { label: `training, ${K} steps per run`, file: 'steps.onnx', providers: providers.filter((p) => p !== 'webgpu'), steps: K },
];
const reference = new Map();
const lines = [];
for (const run of runs) {
  const path = join(dir, run.file);
  if (!existsSync(path)) continue;
  const bytes = readFileSync(path);
  for (const ep of run.providers) {
    const line = { model: run.label, file: run.file, provider: ep, onnxruntime: ort.env.versions.node };
    try {
      const t0 = performance.now();
      const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep], graphOptimizationLevel: 'all' });
      line.createSeconds = (performance.now() - t0) / 1000;
      const feeds = feedsFor(session, run.steps ?? 1);
      const first = await session.run(feeds);
      // Every lowering of the step computes the same step: all compare with the first (CPU) run.
      const key = run.file.replace(/\.(webgpu|cpu-lowering)/, '');
      if (!reference.has(key)) reference.set(key, first);
      else {
        const ref = reference.get(key);
        const names = session.outputNames.filter((n) => n in ref);
        line.maxRelDiffVsCpu = Math.max(...names.map((n) => maxRelDiff(first[n].data, ref[n].data)));
        line.lossVsCpu = 'loss' in first ? [first.loss.data[0], ref.loss.data[0]] : undefined;
        const updated = names.filter((n) => n.startsWith('updated.') && !n.startsWith('updated.opt.') && !n.endsWith('.bias'));
        if (updated.length) line.updateMaxRelDiffVsCpu = Math.max(...updated.map((n) => maxRelDiff(first[n].data, ref[n].data)));
      }
      // The CPU runs are the reference for agreement; their timing is secondary (and the CUDA
      // lowering's ConvTranspose is slow on a CPU), so fewer of them and none of the Loop model.
      const repeats = ep !== 'cpu' ? REPEATS : run.steps ? 0 : Math.min(REPEATS, 2);
      const seconds = [];
      for (let r = 0; r < repeats; r++) {
        const t = performance.now();
        await session.run(feeds);
        seconds.push((performance.now() - t) / 1000);
      }
      line.secondsPerRun = seconds;
      if (seconds.length) {
        line.secondsPerStep = median(seconds) / (run.steps ?? 1);
        line.voxelsPerSecond = voxels / line.secondsPerStep;
      }
      line.gpuMemoryMiB = ep === 'cpu' ? null : gpuMemoryMiB();
      await session.release();
      Object.assign(line, cpuPlacement(path, ep));
    } catch (err) {
      line.error = String(err?.message ?? err).slice(0, 600);
    }
    lines.push(line);
    console.log(JSON.stringify(line));
    appendFileSync(results, `${JSON.stringify(line)}\n`);
  }
}

// Summary against PyTorch (its lines come first in RESULTS.jsonl).
const torch = readFileSync(results, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => String(l.provider).startsWith('torch'));
const torchSeconds = (model) => torch.find((t) => t.model === (model.startsWith('inference') ? 'forward' : 'train_step'))?.secondsPerStep;
console.log(`\n| graph (default 4-stage U-Net, batch ${BATCH} x [${ir.patchSize}]) | provider | s/step (median) | vs ${torch[0]?.provider ?? 'PyTorch'} | GPU MiB | max rel diff vs CPU | nodes on CPU |`);
console.log('|---|---|---|---|---|---|---|');
for (const t of torch) console.log(`| ${t.model} | ${t.provider} ${t.torch} | ${t.secondsPerStep?.toFixed(4)} | 1 | ${t.maxMemoryMiB ?? '-'} | - | - |`);
for (const l of lines) {
  const ts = torchSeconds(l.model);
  const ratio = l.secondsPerStep && ts ? `${(l.secondsPerStep / ts).toFixed(1)}x` : '-';
  console.log(`| ${l.model} | ${l.provider} | ${l.error ? `error: ${l.error.slice(0, 80)}` : (l.secondsPerStep?.toFixed(4) ?? 'reference only')} | ${ratio} | ${l.gpuMemoryMiB ?? '-'} | ${l.maxRelDiffVsCpu?.toExponential(1) ?? '-'} | ${l.nodesOnCpu ?? '?'} |`);
}
