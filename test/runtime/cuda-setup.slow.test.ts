/**
 * The real CUDA provider install (`npm run test:slow`): downloads the 179 MB npm package once
 * (cached under ~/.cache/hnas), installs it into a temporary copy of onnxruntime-node, and asks
 * that copy for a CUDA session. On a machine without cuBLAS the provider loads and stops at the
 * first missing CUDA library, which is what doctor reports missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { installCudaProvider } from '../../src/runtime/cuda-setup.js';
import { diagnose } from '../../src/runtime/doctor.js';

const require = createRequire(import.meta.url);
const pkgDir = (name: string) => join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', name);

describe('hnas setup cuda from the npm registry', () => {
  it('installs the real provider into a copy of onnxruntime-node, which then lists and loads it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hnas-cuda-real-'));
    for (const name of ['onnxruntime-node', 'onnxruntime-common']) cpSync(pkgDir(name), join(root, 'node_modules', name), { recursive: true });
    const target = join(root, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
    const result = await installCudaProvider({ target });
    expect(result.onnxruntime).toBe('1.29.0');
    expect(statSync(join(target, 'libonnxruntime_providers_cuda.so')).size).toBeGreaterThan(200e6);

    const cuda = diagnose({ nativeDir: target }).devices.cuda;
    expect(cuda.installed).toBe(true);
    expect(cuda.libraries.map((l) => l.name)).toEqual(expect.arrayContaining(['libcublasLt.so.13', 'libcublas.so.13', 'libcudart.so.13', 'libcurand.so.10', 'libcudnn.so.9']));

    // A tiny model; the session either starts (a CUDA host) or fails naming a CUDA library the provider could not load.
    const script = `
      const ort = require('onnxruntime-node');
      const { onnx } = require(${JSON.stringify(require.resolve('onnx-proto'))});
      const m = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ version: 17 }], graph: { name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } }] } }).finish();
      console.log(JSON.stringify(ort.listSupportedBackends()));
      ort.InferenceSession.create(m, { executionProviders: ['cuda'] }).then(() => console.log('SESSION OK'), (e) => console.log('SESSION FAILED ' + e.message));`;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(run.stdout).toMatch(/"name":"cuda"/);
    const firstMissing = cuda.libraries.find((l) => !l.loadable && l.name !== 'libcudnn.so.9');
    // The loader's message ("libcublasLt.so.13: cannot open shared object file") goes to onnxruntime's log on stderr.
    if (firstMissing) expect(`${run.stdout}\n${run.stderr}`).toMatch(/SESSION FAILED[\s\S]*lib(cublas|cudart|curand|cuda)\S*\.so\S*: cannot open shared object file/);
    else if (cuda.ready) expect(run.stdout).toMatch(/SESSION OK/);
    execFileSync('rm', ['-rf', root]);
  });
});
