/**
 * Prepares the GPU check (bench/gpu/run-device.sh) for a borrowed GPU machine that has python3 +
 * PyTorch but maybe no Node.js and no network, and takes at most 64 MiB per call (working tree +
 * carried paths). Writes, under OUT (default .gpu, git-ignored):
 *   models/   infer.onnx, step.onnx (CUDA lowering), step.cpu-lowering.onnx (the CPU's, to compare
 *             on the GPU), step.webgpu.onnx (WebGPU op subset),
 *             steps.onnx (the K-step Loop model, CUDA lowering), ir.json: the nnU-Net default
 *             4-stage U-Net, batch 2 x [40,56,40], parameters as inputs (so the files stay small)
 *   runtime/  node.xz (this Node binary), ortmods.tar.xz (onnxruntime-node 1.29.0 linux/x64 +
 *             onnxruntime-common), libvulkan1_*.deb (WebGPU's Vulkan loader)
 *   cuda/     libonnxruntime_providers_cuda.so.xz (only sm_90 cubins kept by
 *             ../shared/tools/fatbin-keep.py, so xz shrinks it ~4x) + libonnxruntime_providers_shared.so
 *   plan.json the calls to make: one when everything fits the limit, else runtime first, then cuda.
 *   npx tsx bench/gpu/prepare.ts [OUT] [--keep-arch 90] [--models-only]   (--models-only: keep runtime/ and cuda/)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { compile } from '../../compiler/index.js';
import { emitOnnx } from '../../compiler/onnx/emit.js';
import { compileTrainingStep } from '../../compiler/train/index.js';
import { multiStepModel, transferBytes } from '../../compiler/train/multi-step.js';
import { CUDA_PROVIDER_FILES, CUDA_PROVIDER_SOURCE, defaultCacheDir, installCudaProvider } from '../../src/runtime/cuda-setup.js';
import { DEVICE_LOWERING, nativeDir } from '../../src/runtime/providers.js';
import { defaultTree, isoPlan } from '../../test/compiler/trees.js';

const LIMIT = 64 * 2 ** 20;
const args = process.argv.slice(2);
const keepArch = args.includes('--keep-arch') ? args[args.indexOf('--keep-arch') + 1]! : '90';
const out = resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--keep-arch') ?? '.gpu');
const modelsOnly = args.includes('--models-only');
const repo = resolve(import.meta.dirname, '..', '..');
const FATBIN_KEEP = resolve(repo, '..', 'shared', 'tools', 'fatbin-keep.py');
const sh = (cmd: string, argv: string[], opts: { cwd?: string } = {}) => execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
const size = (p: string): number => (statSync(p).isDirectory() ? readdirSync(p).reduce((a, f) => a + size(join(p, f)), 0) : statSync(p).size);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const fresh = (p: string) => (rmSync(p, { recursive: true, force: true }), mkdirSync(p, { recursive: true }), p);

// 1. The graphs.
const models = fresh(join(out, 'models'));
const plan = isoPlan(4, [40, 56, 40], 1, 3, 2);
const model = compile(defaultTree(4), plan);
const step = compileTrainingStep(model);
const cudaStep = step.onnx(DEVICE_LOWERING.cuda);
writeFileSync(join(models, 'infer.onnx'), emitOnnx(model.graph, { params: 'inputs', lowering: DEVICE_LOWERING.cuda }));
writeFileSync(join(models, 'step.onnx'), cudaStep);
writeFileSync(join(models, 'step.cpu-lowering.onnx'), step.onnx(DEVICE_LOWERING.cpu));
writeFileSync(join(models, 'step.webgpu.onnx'), step.onnx(DEVICE_LOWERING.webgpu));
writeFileSync(join(models, 'steps.onnx'), multiStepModel(cudaStep, step.signature));
writeFileSync(join(models, 'ir.json'), JSON.stringify({ ...model.ir, benchBatch: plan.batchSize, transfer: { k1: transferBytes(step.signature, 1), k4: transferBytes(step.signature, 4) } }));
console.log(`models: ${model.cost.parameters} parameters, ${mib(size(models))}`);

// 2. Node and onnxruntime-node (linux/x64 only, no provider libraries of a local setup).
const runtime = join(out, 'runtime');
const cuda = join(out, 'cuda');
if (!modelsOnly) {
fresh(runtime);
execFileSync('sh', ['-c', `xz -T2 -6 -c "${process.execPath}" > "${join(runtime, 'node.xz')}"`]);
const nm = join(repo, 'node_modules');
const ortFiles = ['onnxruntime-node/package.json', 'onnxruntime-node/dist', 'onnxruntime-node/lib', ...['libonnxruntime.so.1', 'onnxruntime_binding.node'].map((f) => `onnxruntime-node/bin/napi-v6/linux/x64/${f}`), 'onnxruntime-common'].filter((f) => existsSync(join(nm, f)));
execFileSync('sh', ['-c', `tar -C "${nm}" -cf - ${ortFiles.map((f) => `"${f}"`).join(' ')} | xz -T2 -6 > "${join(runtime, 'ortmods.tar.xz')}"`]);
// WebGPU's Vulkan loader, which the GPU machine may lack (a Debian package, unpacked there without root).
try {
  sh('apt-get', ['download', 'libvulkan1'], { cwd: runtime });
} catch {
  console.log('apt-get download libvulkan1 failed: WebGPU will need the machine\'s own libvulkan.so.1');
}
console.log(`runtime: node ${process.version} + onnxruntime-node ${JSON.parse(execFileSync('node', ['-p', `JSON.stringify(require("${nm}/onnxruntime-node/package.json").version)`]).toString())}: ${mib(size(runtime))}`);

// 3. The CUDA provider, installed into a scratch copy of the native folder, then shrunk.
fresh(cuda);
const scratch = mkdtempSync(join(tmpdir(), 'hnas-gpu-prep-'));
try {
  sh('cp', [join(nativeDir(), 'libonnxruntime.so.1'), scratch]);
  await installCudaProvider({ target: scratch, cacheDir: defaultCacheDir(), log: (l) => console.log(l) });
  if (!existsSync(FATBIN_KEEP)) throw new Error(`${FATBIN_KEEP} not found (../shared/tools)`);
  const shrunk = join(scratch, 'shrunk.so');
  sh('python3', [FATBIN_KEEP, join(scratch, CUDA_PROVIDER_FILES[0]), shrunk, keepArch]);
  execFileSync('sh', ['-c', `xz -T2 -6 -c "${shrunk}" > "${join(cuda, `${CUDA_PROVIDER_FILES[0]}.xz`)}"`]);
  sh('cp', [join(scratch, CUDA_PROVIDER_FILES[1]), cuda]);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`cuda: onnxruntime ${CUDA_PROVIDER_SOURCE.onnxruntime} CUDA provider, sm_${keepArch} only: ${mib(size(cuda))}`);
}

// 4. What fits in one call: the working tree (tracked + untracked, not ignored) travels every time.
const tree = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo })
  .toString().split('\0').filter((f) => f && existsSync(join(repo, f))).reduce((a, f) => a + statSync(join(repo, f)).size, 0);
const rel = (p: string) => relative(repo, p);
const parts = { models: size(models), runtime: size(runtime), cuda: size(cuda) };
const one = tree + parts.models + parts.runtime + parts.cuda;
const calls = one <= LIMIT
  ? [{ carry: [rel(models), rel(runtime), rel(cuda)], command: 'bash bench/gpu/run-device.sh all', bytes: one }]
  : [
      { carry: [rel(runtime)], command: 'bash bench/gpu/run-device.sh unpack', bytes: tree + parts.runtime },
      { carry: [rel(models), rel(cuda)], command: 'bash bench/gpu/run-device.sh check', bytes: tree + parts.models + parts.cuda },
    ];
for (const c of calls) if (c.bytes > LIMIT) throw new Error(`a call would carry ${mib(c.bytes)} > 64 MiB: ${JSON.stringify(c)}`);
writeFileSync(join(out, 'plan.json'), `${JSON.stringify({ limitBytes: LIMIT, workingTreeBytes: tree, parts, calls }, null, 2)}\n`);
console.log(`working tree ${mib(tree)}; ${calls.length} call(s):`);
for (const c of calls) console.log(`  run(command: '${c.command}', carry: ${JSON.stringify(c.carry)})  ${mib(c.bytes)}`);
