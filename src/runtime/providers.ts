/**
 * Execution providers for onnxruntime-node sessions: one registry entry per device, with
 * how to tell whether it is installed and how to install it when it is not.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { LoweringOptions } from '../../compiler/onnx/context.js';
import { TrainingFailure } from '../errors.js';

export type Device = 'cpu' | 'cuda' | 'webgpu';

interface ProviderDef {
  readonly backend: string;
  readonly installHint: string;
  /** For providers onnxruntime-node does not bundle: the library its install script puts beside the binding. */
  readonly library?: string;
  readonly experimental?: boolean;
}

export const PROVIDERS: Readonly<Record<Device, ProviderDef>> = {
  cpu: { backend: 'cpu', installHint: 'the CPU provider is bundled with onnxruntime-node' },
  cuda: {
    backend: 'cuda',
    library: 'libonnxruntime_providers_cuda.so',
    installHint: 'install it with `hnas setup cuda` (from the npm registry, or `--from DIR|TARBALL` offline), then check with `hnas doctor` (needs an NVIDIA driver for CUDA 13, and CUDA 13 + cuDNN 9 libraries)',
  },
  webgpu: { backend: 'webgpu', experimental: true, installHint: 'the WebGPU provider needs libvulkan.so.1 and a GPU driver (bundled with onnxruntime-node >= 1.29)' },
};

/**
 * The lowering each device's graphs are emitted with. Every node must have a kernel on the
 * device (test/compiler/gpu-kernels.test.ts checks it against the providers' kernel tables): the
 * CUDA provider has kernels for every lowering; WebGPU lacks Identity/Sum/Min/Max/PRelu. On CUDA
 * the conv gradients take cuDNN's own forms (a Conv for the weight gradient, ConvTranspose for
 * the strided input gradient): 1,772 nodes in the default 4-stage step instead of the CPU
 * lowering's 5,090 (bench/gpu/count-nodes.ts), each node at least one kernel launch. Chosen by
 * that count; which is faster on a GPU is still to be measured (docs/gpu.md, bench/gpu).
 */
export const DEVICE_LOWERING: Readonly<Record<Device, Partial<LoweringOptions>>> = {
  cpu: {},
  cuda: { convWeightGrad: 'conv', convInputGrad: 'conv_transpose', convTranspose: 'native' },
  webgpu: { opSubset: 'webgpu' },
};

/** Session options for `device`; throws TrainingFailure('provider') naming how to install it when missing. */
export function sessionOptions(device: Device, threads?: number): ort.InferenceSession.SessionOptions {
  const def = PROVIDERS[device];
  if (!def) throw new TrainingFailure(`unknown device '${String(device)}'; expected one of ${Object.keys(PROVIDERS).join(', ')}`, 'provider');
  if (!providerInstalled(def)) throw new TrainingFailure(`execution provider '${device}' is not installed: ${def.installHint}`, 'provider');
  return {
    executionProviders: [def.backend],
    graphOptimizationLevel: 'all',
    // A training step allocates the same tensors every run; without the arena its peak memory
    // measured ~30 % lower at the same speed (docs/training.md).
    enableCpuMemArena: false,
    // Without the arena, the memory pattern's one planned block outgrows what is alive at the peak:
    // off, the CPU step's peak measured 0.75x / 0.88x (4 / 5 stages, below PyTorch's) at the same
    // speed within the noise (docs/training.md). Other devices keep it (GPU memory, not measured).
    ...(device === 'cpu' ? { enableMemPattern: false } : {}),
    // Threads that sleep instead of spinning between ops: the step was 11 % faster on an idle machine
    // and 26 % under load, where the data loader's workers share the cores (docs/training.md).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  };
}

/** Creates a session, turning provider start-up failures into TrainingFailure('provider'). */
export async function createSession(model: Uint8Array, device: Device = 'cpu', threads?: number): Promise<ort.InferenceSession> {
  const options = sessionOptions(device, threads);
  try {
    return await ort.InferenceSession.create(model, options);
  } catch (err) {
    if (device === 'cpu') throw err;
    throw new TrainingFailure(`execution provider '${device}' failed to start (${(err as Error).message}): ${PROVIDERS[device].installHint}`, 'provider', undefined, { cause: err });
  }
}

/** onnxruntime-node's native folder (bin/napi-v6/<platform>/<arch>), where non-bundled provider libraries go. */
export const nativeDir = (): string =>
  join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);

/** Bundled providers are always there; CUDA only once its library was installed (listSupportedBackends says bundled: false either way). */
export function providerInstalled(def: ProviderDef, dir: string = nativeDir()): boolean {
  const backend = ort.listSupportedBackends().find((b) => b.name === def.backend);
  if (!backend) return false;
  if (backend.bundled) return true;
  return def.library !== undefined && existsSync(join(dir, def.library));
}
