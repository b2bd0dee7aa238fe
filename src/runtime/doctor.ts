/**
 * `hnas doctor`: what runs where. The onnxruntime release, the execution providers present, for
 * CUDA every shared library its provider needs (DT_NEEDED of the provider plus cuDNN, which it
 * loads at run time) resolved the way the dynamic loader would (LD_LIBRARY_PATH, the ld.so
 * cache, the system folders) and in a PyTorch install's nvidia/<pkg>/lib folders, the GPU, and
 * WebGPU's Vulkan loader. Every missing piece comes with the command that fixes it, and
 * `requireDevice` fails with the same lines before a command plans or preprocesses anything.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { TrainingFailure } from '../errors.js';
import { CORE_LIBRARY, CUDA_PROVIDER_FILES, CUDA_PROVIDER_SOURCE, libraryVersion } from './cuda-setup.js';
import { readDynamicInfo } from './elf.js';
import { nativeDir, type Device } from './providers.js';

export type Found = 'LD_LIBRARY_PATH' | 'runpath' | 'ld.so cache' | 'system' | 'python';

export interface LibraryCheck {
  readonly name: string;
  /** Where the file is, or null. */
  readonly path: string | null;
  readonly via: Found | null;
  /** The dynamic loader would find it (a file only under a Python install is not on its path). */
  readonly loadable: boolean;
}

export interface Problem {
  readonly what: string;
  readonly fix: string;
}

export interface DeviceCheck {
  readonly device: Device;
  readonly installed: boolean;
  /** Every check passed (for CPU always). */
  readonly ready: boolean;
  readonly libraries: readonly LibraryCheck[];
  readonly problems: readonly Problem[];
}

export interface DoctorReport {
  readonly onnxruntime: { readonly package: string; readonly core: string | null; readonly nativeDir: string };
  readonly backends: readonly { readonly name: string; readonly bundled: boolean }[];
  readonly gpu: { readonly seen: boolean; readonly names: readonly string[]; readonly via: string | null };
  readonly devices: Readonly<Record<Device, DeviceCheck>>;
}

export interface DoctorOptions {
  /** onnxruntime-node's native folder (default: the installed package's). */
  readonly nativeDir?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** cuDNN is not a DT_NEEDED entry of the 1.29 provider: it is loaded when the first Conv runs. */
const RUNTIME_LOADED = ['libcudnn.so.9'];
const SYSTEM_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
const pip = (spec: string) => `python3 -m pip install '${spec}' (then rerun \`hnas doctor\` for the LD_LIBRARY_PATH line)`;
const FIXES: readonly [RegExp, string][] = [
  [/^libcudart\.so\.13$/, pip('nvidia-cuda-runtime==13.*')],
  [/^libcublas(Lt)?\.so\.13$/, pip('nvidia-cublas==13.*')],
  [/^libcurand\.so\.10$/, pip('nvidia-curand==10.*')],
  [/^libcudnn.*\.so\.9$/, pip('nvidia-cudnn-cu13==9.*')],
  [/^libnvrtc\.so\.13$/, pip('nvidia-cuda-nvrtc==13.*')],
  [/^libcuda\.so\.1$/, 'install the NVIDIA driver (>= 580, the first with CUDA 13), e.g. sudo apt-get install nvidia-driver'],
  [/^libvulkan\.so\.1$/, 'sudo apt-get install libvulkan1 (and the GPU driver\'s Vulkan ICD)'],
];
const fixFor = (lib: string) => FIXES.find(([re]) => re.test(lib))?.[1] ?? `install the package that provides ${lib} (apt-file search ${lib})`;

export function diagnose(o: DoctorOptions = {}): DoctorReport {
  const env = o.env ?? process.env;
  const dir = o.nativeDir ?? nativeDir();
  const backends = ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
  const core = existsSync(join(dir, CORE_LIBRARY)) ? libraryVersion(join(dir, CORE_LIBRARY)) : null;
  const resolver = new LibraryResolver(env);
  const gpu = findGpu();
  const gpuProblem: Problem = { what: 'no NVIDIA GPU or driver seen (nvidia-smi, /proc/driver/nvidia)', fix: 'run on a machine with an NVIDIA GPU and its driver (>= 580 for CUDA 13)' };

  const cuda = ((): DeviceCheck => {
    const provider = join(dir, CUDA_PROVIDER_FILES[0]);
    const problems: Problem[] = [];
    const listed = backends.some((b) => b.name === 'cuda');
    const missingFiles = CUDA_PROVIDER_FILES.filter((f) => !existsSync(join(dir, f)));
    if (!listed) problems.push({ what: `this onnxruntime-node (${ort.env.versions.node}) has no CUDA backend`, fix: `npm install onnxruntime-node@${CUDA_PROVIDER_SOURCE.onnxruntime} --save-exact` });
    if (missingFiles.length) problems.push({ what: `the CUDA provider is not installed (${missingFiles.join(', ')} missing in ${dir})`, fix: 'hnas setup cuda (or npm run setup:cuda; offline: hnas setup cuda --from DIR|TARBALL)' });
    if (core !== null && core !== CUDA_PROVIDER_SOURCE.onnxruntime)
      problems.push({ what: `onnxruntime core ${core} does not match the CUDA provider's release ${CUDA_PROVIDER_SOURCE.onnxruntime}`, fix: `npm install onnxruntime-node@${CUDA_PROVIDER_SOURCE.onnxruntime} --save-exact, then hnas setup cuda` });
    let libraries: LibraryCheck[] = [];
    if (!missingFiles.length) {
      let needed: string[];
      let runpath: string[] = [];
      try {
        const info = readDynamicInfo(provider);
        needed = [...info.needed];
        runpath = info.runpath.map((r) => r.replace('$ORIGIN', dir));
      } catch (err) {
        problems.push({ what: `cannot read ${provider}: ${(err as Error).message}`, fix: 'hnas setup cuda (reinstalls it)' });
        needed = [];
      }
      libraries = [...needed, ...RUNTIME_LOADED].map((n) => resolver.resolve(n, runpath));
      for (const lib of libraries) {
        if (lib.loadable) continue;
        if (lib.path) problems.push({ what: `${lib.name} is at ${lib.path} (a Python install) but not on the loader's path`, fix: `export LD_LIBRARY_PATH=${resolver.pythonDirs(libraries).join(delimiter)}${delimiter}$LD_LIBRARY_PATH` });
        else problems.push({ what: `${lib.name} not found (LD_LIBRARY_PATH, ld.so cache, system folders, PyTorch's nvidia/*/lib)`, fix: fixFor(lib.name) });
      }
    }
    if (!gpu.seen) problems.push(gpuProblem);
    return { device: 'cuda', installed: listed && !missingFiles.length, ready: problems.length === 0, libraries, problems: dedupe(problems) };
  })();

  const webgpu = ((): DeviceCheck => {
    const listed = backends.some((b) => b.name === 'webgpu');
    const vulkan = resolver.resolve('libvulkan.so.1', []);
    const problems: Problem[] = [];
    if (!listed) problems.push({ what: `this onnxruntime-node (${ort.env.versions.node}) has no WebGPU backend`, fix: `npm install onnxruntime-node@${CUDA_PROVIDER_SOURCE.onnxruntime} --save-exact` });
    if (!vulkan.loadable) problems.push({ what: 'libvulkan.so.1 (the Vulkan loader WebGPU runs on) not found', fix: fixFor('libvulkan.so.1') });
    if (!gpu.seen && !existsSync('/dev/dri')) problems.push({ what: 'no GPU seen (nvidia-smi, /proc/driver/nvidia, /dev/dri); WebGPU needs a GPU with a Vulkan driver', fix: 'run on a machine with a GPU and its Vulkan driver' });
    return { device: 'webgpu', installed: listed, ready: problems.length === 0, libraries: [vulkan], problems };
  })();

  return {
    onnxruntime: { package: ort.env.versions.node ?? 'unknown', core, nativeDir: dir },
    backends,
    gpu,
    devices: { cpu: { device: 'cpu', installed: true, ready: true, libraries: [], problems: [] }, cuda, webgpu },
  };
}

/** Throws TrainingFailure('provider') listing every problem and its fix when `device` cannot work here. */
export function requireDevice(device: Device, o: DoctorOptions = {}): void {
  if (device === 'cpu') return;
  const check = diagnose(o).devices[device];
  if (!check) throw new TrainingFailure(`unknown device '${String(device)}'`, 'provider');
  if (!check.ready) throw new TrainingFailure(`--device ${device} cannot work on this machine:\n${formatProblems(check.problems)}\n(\`hnas doctor\` shows the full report)`, 'provider');
}

export const formatProblems = (problems: readonly Problem[]): string => problems.map((p) => `  - ${p.what}\n    fix: ${p.fix}`).join('\n');

export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `onnxruntime-node ${r.onnxruntime.package}, core library ${r.onnxruntime.core ?? 'not found'} (${r.onnxruntime.nativeDir})`,
    `backends: ${r.backends.map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`).join(', ')}`,
    `GPU: ${r.gpu.seen ? `${r.gpu.names.join('; ') || 'seen'} (${r.gpu.via})` : 'none seen'}`,
  ];
  for (const d of Object.values(r.devices)) {
    lines.push('', `${d.device}: ${d.ready ? 'ready' : d.installed ? 'installed, not ready' : 'not installed'}`);
    for (const l of d.libraries) lines.push(`  ${l.loadable ? 'ok     ' : l.path ? 'unlisted' : 'MISSING'} ${l.name}${l.path ? ` ${l.path} (${l.via})` : ''}`);
    if (d.problems.length) lines.push(formatProblems(d.problems));
  }
  return lines.join('\n');
}

/** One line per fix: libraries that one command fixes (cuBLAS and cuBLASLt, one export) are listed together. */
function dedupe(problems: Problem[]): Problem[] {
  const byFix = new Map<string, string[]>();
  for (const p of problems) byFix.set(p.fix, [...(byFix.get(p.fix) ?? []), p.what]);
  return [...byFix].map(([fix, whats]) => ({ what: whats.join('; '), fix }));
}

function findGpu(): DoctorReport['gpu'] {
  try {
    const out = execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const names = out.split('\n').map((l) => l.trim()).filter(Boolean);
    if (names.length) return { seen: true, names, via: 'nvidia-smi' };
  } catch {
    // No nvidia-smi, or it found no device: fall back to the driver's proc files.
  }
  const proc = '/proc/driver/nvidia/gpus';
  if (existsSync(proc)) {
    const gpus = readdirSync(proc);
    if (gpus.length) return { seen: true, names: gpus.map((g) => `PCI ${g}`), via: proc };
  }
  return { seen: false, names: [], via: null };
}

/** Finds a library the way ld.so does, then in Python installs (PyTorch's nvidia/<pkg>/lib and torch/lib). */
class LibraryResolver {
  private cache: Map<string, string> | null = null;
  private python: string[] | null = null;
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  resolve(name: string, runpath: readonly string[]): LibraryCheck {
    const inDirs = (dirs: readonly string[]) => dirs.map((d) => join(d, name)).find((p) => existsSync(p));
    const ldPath = (this.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean);
    const hit = (path: string | undefined, via: Found, loadable = true): LibraryCheck | null => (path ? { name, path, via, loadable } : null);
    return (
      hit(inDirs(ldPath), 'LD_LIBRARY_PATH') ??
      hit(inDirs(runpath), 'runpath') ??
      hit(this.ldCache().get(name), 'ld.so cache') ??
      hit(inDirs(SYSTEM_DIRS), 'system') ??
      hit(inDirs(this.pythonLibDirs()), 'python', false) ?? { name, path: null, via: null, loadable: false }
    );
  }

  /** The Python library folders holding any of `libraries`, for one LD_LIBRARY_PATH line. */
  pythonDirs(libraries: readonly LibraryCheck[]): string[] {
    const dirs = this.pythonLibDirs();
    return dirs.filter((d) => libraries.some((l) => !l.loadable && l.path?.startsWith(`${d}/`)));
  }

  private ldCache(): Map<string, string> {
    if (this.cache) return this.cache;
    this.cache = new Map();
    for (const bin of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
      try {
        const out = execFileSync(bin, ['-p'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
        for (const m of out.matchAll(/^\s+(\S+) \(([^)]*)\) => (\S+)$/gm)) if (m[2]!.includes('x86-64') && !this.cache.has(m[1]!)) this.cache.set(m[1]!, m[3]!);
        break;
      } catch {
        // Try the next location of ldconfig.
      }
    }
    return this.cache;
  }

  private pythonLibDirs(): string[] {
    if (this.python) return this.python;
    const sitePackages = new Set<string>();
    try {
      const out = execFileSync('python3', ['-c', 'import site,sys; print("\\n".join(site.getsitepackages() + [site.getusersitepackages()] + sys.path))'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
      for (const l of out.split('\n')) if (/-packages$/.test(l.trim())) sitePackages.add(l.trim());
    } catch {
      // No python3: nothing to search.
    }
    for (const prefix of [this.env.VIRTUAL_ENV, this.env.CONDA_PREFIX].filter(Boolean) as string[]) {
      const lib = join(prefix, 'lib');
      if (existsSync(lib)) for (const py of readdirSync(lib).filter((d) => d.startsWith('python'))) sitePackages.add(join(lib, py, 'site-packages'));
    }
    const dirs: string[] = [];
    for (const sp of sitePackages) {
      const nvidia = join(sp, 'nvidia');
      if (existsSync(nvidia)) for (const pkg of readdirSync(nvidia)) if (existsSync(join(nvidia, pkg, 'lib'))) dirs.push(join(nvidia, pkg, 'lib'));
      if (existsSync(join(sp, 'torch', 'lib'))) dirs.push(join(sp, 'torch', 'lib'));
    }
    return (this.python = dirs);
  }
}
