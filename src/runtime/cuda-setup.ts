/**
 * `hnas setup cuda`: installs onnxruntime's CUDA execution provider beside onnxruntime-node's
 * core library (`libonnxruntime.so.1`, which loads providers from its own folder), taking it from
 * the npm registry alone: Microsoft's ONNX Runtime 1.29.0 Linux GPU build (CUDA 13, cuDNN 9)
 * repackaged as an npm tarball. onnxruntime-node's own CUDA route downloads from NuGet, which
 * many hospital and cluster networks block. For air-gapped hosts the same files can come from a
 * local folder or tarball. Provider and core must be the same onnxruntime release.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HnasError } from '../errors.js';
import { nativeDir } from './providers.js';

/** Where the provider comes from on the registry, and the onnxruntime release it was built from. */
export const CUDA_PROVIDER_SOURCE = {
  package: 'com.github.asus4.onnxruntime.linux-x64-gpu',
  version: '0.4.9',
  onnxruntime: '1.29.0',
  cuda: 13,
  cudnn: 9,
} as const;

/** The files a CUDA provider install consists of (the TensorRT provider in the same package is left out). */
export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;
export const CORE_LIBRARY = 'libonnxruntime.so.1';

/** An environment or input fault of the setup step (exit 1). */
export class SetupError extends HnasError {}

export interface CudaSetupOptions {
  /** A folder holding the two libraries (anywhere below it) or a .tgz/.tar.gz/.tar with them; default: the npm registry. */
  readonly from?: string;
  /** onnxruntime-node's native folder (default: the installed package's bin/napi-v6/<platform>/<arch>). */
  readonly target?: string;
  /** Download cache (default: $XDG_CACHE_HOME/hnas or ~/.cache/hnas). */
  readonly cacheDir?: string;
  readonly log?: (line: string) => void;
}

export interface CudaSetupResult {
  readonly target: string;
  readonly onnxruntime: string;
  readonly installed: readonly { readonly file: string; readonly bytes: number }[];
  /** The tarball or folder the files came from. */
  readonly source: string;
}

export const defaultCacheDir = (): string => join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hnas');

/** The onnxruntime release of a core library, from the version strings its build embeds. */
export function libraryVersion(file: string): string | null {
  const bytes = readFileSync(file);
  // The core exports its API under the symbol version VERS_<release>.
  const vers = /VERS_(\d+\.\d+\.\d+)/.exec(bytes.toString('latin1'));
  return vers?.[1] ?? null;
}

/** Providers carry the bare release string (ORT_VERSION) between NUL bytes. */
export function carriesVersion(file: string, version: string): boolean {
  return readFileSync(file).includes(Buffer.from(`\0${version}\0`, 'latin1'));
}

export async function installCudaProvider(o: CudaSetupOptions = {}): Promise<CudaSetupResult> {
  const log = o.log ?? (() => {});
  const target = o.target ?? nativeDir();
  const core = join(target, CORE_LIBRARY);
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new SetupError(`the CUDA provider on the npm registry is built for linux/x64; this is ${process.platform}/${process.arch}`);
  if (!existsSync(core)) throw new SetupError(`onnxruntime-node's core library is not at ${core}: run \`npm ci\` first`);
  const coreVersion = libraryVersion(core);
  if (coreVersion !== CUDA_PROVIDER_SOURCE.onnxruntime)
    throw new SetupError(
      `onnxruntime-node's core library is onnxruntime ${coreVersion ?? '(unknown version)'} but the CUDA provider is from onnxruntime ${CUDA_PROVIDER_SOURCE.onnxruntime}; provider and core must be the same release: ` +
        `npm install onnxruntime-node@${CUDA_PROVIDER_SOURCE.onnxruntime} --save-exact (with ONNXRUNTIME_NODE_INSTALL=skip), then rerun \`hnas setup cuda\``,
      { file: core },
    );

  const work = mkdtempSync(join(tmpdir(), 'hnas-cuda-'));
  try {
    const source = o.from ?? (await registryTarball(o.cacheDir ?? defaultCacheDir(), log));
    const files = collectFiles(source, work);
    const provider = files.get(CUDA_PROVIDER_FILES[0])!;
    if (!carriesVersion(provider, CUDA_PROVIDER_SOURCE.onnxruntime))
      throw new SetupError(`${CUDA_PROVIDER_FILES[0]} from ${source} is not onnxruntime ${CUDA_PROVIDER_SOURCE.onnxruntime}'s (it does not carry that release string); provider and core must be the same release`);
    const installed = CUDA_PROVIDER_FILES.map((name) => {
      // Copy beside the destination, then rename: no half-written library is ever loadable.
      const dest = join(target, name);
      const tmp = `${dest}.tmp-${process.pid}`;
      try {
        copyFileSync(files.get(name)!, tmp);
        renameSync(tmp, dest);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw new SetupError(`cannot write ${dest}: ${(err as Error).message}`, undefined, { cause: err });
      }
      log(`installed ${dest}`);
      return { file: dest, bytes: statSync(dest).size };
    });
    return { target, onnxruntime: coreVersion, installed, source };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The registry tarball, from the cache or fetched once with `npm pack` (npm checks the registry's integrity hash). */
async function registryTarball(cacheDir: string, log: (line: string) => void): Promise<string> {
  const { package: name, version } = CUDA_PROVIDER_SOURCE;
  const dir = join(cacheDir, 'cuda');
  const cached = join(dir, `${name}-${version}.tgz`);
  if (existsSync(cached)) {
    log(`using the cached ${cached}`);
    return cached;
  }
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, 'download-'));
  try {
    log(`downloading ${name}@${version} from the npm registry (179 MB, once; cached in ${dir})`);
    try {
      execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', tmp, '--silent'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim().split('\n').slice(-3).join(' ');
      throw new SetupError(`\`npm pack ${name}@${version}\` failed (${stderr || (err as Error).message}); on a host without registry access, copy the tarball here and run \`hnas setup cuda --from FILE.tgz\``, undefined, { cause: err });
    }
    const got = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!got) throw new SetupError(`\`npm pack ${name}@${version}\` wrote no tarball`);
    renameSync(join(tmp, got), cached);
    return cached;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The two libraries from a folder (searched recursively) or a tarball (extracted into `work`). */
function collectFiles(source: string, work: string): Map<string, string> {
  if (!existsSync(source)) throw new SetupError(`no such file or folder`, { file: source });
  let root = source;
  if (statSync(source).isFile()) {
    if (!/\.(tgz|tar\.gz|tar)$/.test(source)) throw new SetupError('expected a folder or a .tgz / .tar.gz / .tar file', { file: source });
    try {
      // Only the two members (the package's TensorRT provider and metadata are not needed).
      execFileSync('tar', ['-xf', source, '-C', work, '--wildcards', ...CUDA_PROVIDER_FILES.map((f) => `*${f}`)], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim().split('\n')[0];
      throw new SetupError(`cannot extract ${CUDA_PROVIDER_FILES.join(' and ')} (${stderr || (err as Error).message})`, { file: source }, { cause: err });
    }
    root = work;
  }
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if ((CUDA_PROVIDER_FILES as readonly string[]).includes(entry.name) && !found.has(entry.name)) found.set(entry.name, path);
    }
  };
  walk(root);
  const missing = CUDA_PROVIDER_FILES.filter((f) => !found.has(f));
  if (missing.length) throw new SetupError(`holds no ${missing.join(' and no ')} (expected the ${CUDA_PROVIDER_SOURCE.package}@${CUDA_PROVIDER_SOURCE.version} package or its Plugins/Linux/x64 folder)`, { file: source });
  return found;
}
