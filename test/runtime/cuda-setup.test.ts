import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installCudaProvider, SetupError } from '../../src/runtime/cuda-setup.js';
import { diagnose, requireDevice } from '../../src/runtime/doctor.js';
import { readDynamicInfo } from '../../src/runtime/elf.js';
import { nativeDir, PROVIDERS, providerInstalled } from '../../src/runtime/providers.js';
import { TrainingFailure } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { CUDA_NEEDED, fakeElf, fakeNativeDir, fakeProviderTarball } from './fake-provider.js';

const readelf = (() => {
  try {
    execFileSync('readelf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('ELF dynamic section', () => {
  it.skipIf(!readelf)("reads the same DT_NEEDED and RUNPATH as binutils' readelf (onnxruntime's core library; node)", () => {
    for (const file of [join(nativeDir(), 'libonnxruntime.so.1'), process.execPath]) {
      const text = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
      const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
      const runpath = [...text.matchAll(/\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[([^\]]+)\]/g)].flatMap((m) => m[1]!.split(':'));
      expect(needed.length).toBeGreaterThan(0);
      expect(readDynamicInfo(file)).toEqual({ needed, runpath });
    }
  });

  it('reads a generated shared object; names a non-ELF file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hnas-elf-'));
    writeFileSync(join(dir, 'a.so'), fakeElf(CUDA_NEEDED));
    writeFileSync(join(dir, 'b.so'), 'not a library');
    expect(readDynamicInfo(join(dir, 'a.so')).needed).toEqual(CUDA_NEEDED);
    expect(() => readDynamicInfo(join(dir, 'b.so'))).toThrow(/b\.so: not an ELF file/);
  });
});

describe('hnas setup cuda (offline, from a fake package tarball)', () => {
  it('installs both libraries beside the core; doctor then reports the provider present and each CUDA library missing with its fix', async () => {
    const target = fakeNativeDir();
    const { code, err } = await runCli('setup', 'cuda', '--from', fakeProviderTarball(), '--ort-dir', target);
    expect(code, err).toBe(0);
    expect(existsSync(join(target, 'libonnxruntime_providers_cuda.so'))).toBe(true);
    expect(existsSync(join(target, 'libonnxruntime_providers_shared.so'))).toBe(true);
    expect(providerInstalled(PROVIDERS.cuda, target)).toBe(true);

    // No CUDA libraries on this machine's loader path: an empty LD_LIBRARY_PATH keeps the result independent of the shell.
    const cuda = diagnose({ nativeDir: target, env: { LD_LIBRARY_PATH: '' } }).devices.cuda;
    expect(cuda.installed).toBe(true);
    expect(cuda.libraries.map((l) => l.name)).toEqual([...CUDA_NEEDED, 'libcudnn.so.9']);
    expect(cuda.libraries.find((l) => l.name === 'libc.so.6')!.loadable).toBe(true);
    const problems = cuda.problems.map((p) => `${p.what} -> ${p.fix}`).join('\n');
    if (!cuda.libraries.find((l) => l.name === 'libcublasLt.so.13')!.loadable) expect(problems).toMatch(/libcublasLt\.so\.13.*nvidia-cublas==13/);
    if (!cuda.libraries.find((l) => l.name === 'libcudnn.so.9')!.loadable) expect(problems).toMatch(/libcudnn\.so\.9.*nvidia-cudnn-cu13==9/);
    expect(cuda.ready).toBe(false);

    const json = await runCli('doctor', '--json', '--ort-dir', target);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    expect(report.onnxruntime.core).toBe('1.29.0');
    expect(report.devices.cuda.installed).toBe(true);
    expect(report.devices.cuda.problems.length).toBeGreaterThan(0);
  });

  it('a library folder works as --from too; a Python install off the loader path gets an LD_LIBRARY_PATH line', async () => {
    const target = fakeNativeDir();
    const folder = mkdtempSync(join(tmpdir(), 'hnas-from-'));
    execFileSync('tar', ['-xzf', fakeProviderTarball(), '-C', folder]);
    await installCudaProvider({ from: folder, target });
    const venv = mkdtempSync(join(tmpdir(), 'hnas-venv-'));
    const lib = join(venv, 'lib', 'python3.12', 'site-packages', 'nvidia', 'cublas', 'lib');
    execFileSync('mkdir', ['-p', lib]);
    writeFileSync(join(lib, 'libcublasLt.so.13'), '');
    const cuda = diagnose({ nativeDir: target, env: { VIRTUAL_ENV: venv, LD_LIBRARY_PATH: '' } }).devices.cuda;
    const lt = cuda.libraries.find((l) => l.name === 'libcublasLt.so.13')!;
    expect(lt).toMatchObject({ path: join(lib, 'libcublasLt.so.13'), via: 'python', loadable: false });
    expect(cuda.problems.some((p) => p.fix.startsWith(`export LD_LIBRARY_PATH=${lib}:`))).toBe(true);
    // With that folder on LD_LIBRARY_PATH the loader finds it.
    const fixed = diagnose({ nativeDir: target, env: { VIRTUAL_ENV: venv, LD_LIBRARY_PATH: lib } }).devices.cuda;
    expect(fixed.libraries.find((l) => l.name === 'libcublasLt.so.13')).toMatchObject({ via: 'LD_LIBRARY_PATH', loadable: true });
  });

  it('refuses a core of another onnxruntime release, a provider of another release, and a tarball without the libraries, installing nothing', async () => {
    const newer = fakeNativeDir('1.30.0');
    await expect(installCudaProvider({ from: fakeProviderTarball(), target: newer })).rejects.toThrow(/core library is onnxruntime 1\.30\.0 but the CUDA provider is from onnxruntime 1\.29\.0.*npm install onnxruntime-node@1\.29\.0 --save-exact/);
    const target = fakeNativeDir();
    await expect(installCudaProvider({ from: fakeProviderTarball('1.28.1'), target })).rejects.toThrow(SetupError);
    const empty = join(mkdtempSync(join(tmpdir(), 'hnas-empty-')), 'empty.tgz');
    execFileSync('tar', ['-czf', empty, '-C', tmpdir(), '--files-from', '/dev/null']);
    await expect(installCudaProvider({ from: empty, target })).rejects.toThrow(/cannot extract|holds no/);
    for (const dir of [newer, target]) expect(existsSync(join(dir, 'libonnxruntime_providers_cuda.so'))).toBe(false);
    const cli = await runCli('setup', 'cuda', '--from', '/no/such/file.tgz', '--ort-dir', target);
    expect(cli.code).toBe(1);
    expect(cli.err).toMatch(/no\/such\/file\.tgz: no such file or folder/);
  });
});

describe('--device cuda on a machine where it cannot work', () => {
  const cudaReady = diagnose().devices.cuda.ready;

  it.skipIf(cudaReady)('fails at once with the doctor\'s message, exit 1, before planning (train, optimize, predict)', async () => {
    expect(() => requireDevice('cuda')).toThrow(TrainingFailure);
    const missing = mkdtempSync(join(tmpdir(), 'hnas-nodata-'));
    for (const argv of [
      ['train', join(missing, 'no-dataset'), '--fold', '0', '--device', 'cuda'],
      ['optimize', join(missing, 'no-dataset'), '--device', 'cuda'],
      ['predict', join(missing, 'no-model'), join(missing, 'no-images'), '-o', join(missing, 'out'), '--device', 'cuda'],
    ]) {
      const { code, err } = await runCli(...argv);
      expect(code, `${argv[0]}: ${err}`).toBe(1);
      expect(err).toMatch(/--device cuda cannot work on this machine:[\s\S]*fix: /);
      // The dataset does not exist: a message about it would mean planning started first.
      expect(err).not.toMatch(/dataset\.json|no-dataset|no-model/);
    }
  });
});
