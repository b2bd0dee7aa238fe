/** `hnas setup cuda [--from DIR|TARBALL]`: the CUDA execution provider from the npm registry (src/runtime/cuda-setup.ts). */
import type { Command } from 'commander';
import { CUDA_PROVIDER_SOURCE, installCudaProvider } from '../../runtime/cuda-setup.js';
import { diagnose, formatProblems } from '../../runtime/doctor.js';
import { output } from '../output.js';

export function registerSetup(program: Command): void {
  const setup = program.command('setup').description('opt-in installs that `npm ci` does not do');
  setup
    .command('cuda')
    .description(`install onnxruntime ${CUDA_PROVIDER_SOURCE.onnxruntime}'s CUDA provider (CUDA ${CUDA_PROVIDER_SOURCE.cuda}, cuDNN ${CUDA_PROVIDER_SOURCE.cudnn}) from the npm package ${CUDA_PROVIDER_SOURCE.package}@${CUDA_PROVIDER_SOURCE.version} beside onnxruntime-node`)
    .option('--from <dir-or-tarball>', 'take the libraries from a folder or .tgz (air-gapped hosts) instead of the registry')
    .option('--ort-dir <dir>', "onnxruntime-node's native folder to install into (default: the installed package's)")
    .option('--cache <dir>', 'download cache (default: $XDG_CACHE_HOME/hnas or ~/.cache/hnas)')
    .option('--json', 'machine-readable summary')
    .action(async (opts: { from?: string; ortDir?: string; cache?: string; json?: boolean }) => {
      const log = opts.json ? undefined : (line: string) => process.stderr.write(`${line}\n`);
      const result = await installCudaProvider({ from: opts.from, target: opts.ortDir, cacheDir: opts.cache, log });
      const cuda = diagnose({ nativeDir: result.target }).devices.cuda;
      output(!!opts.json, { ...result, ready: cuda.ready, problems: cuda.problems }, () =>
        [`CUDA provider for onnxruntime ${result.onnxruntime} installed in ${result.target}`, cuda.ready ? 'CUDA is ready (hnas doctor)' : `still needed before --device cuda works:\n${formatProblems(cuda.problems)}`].join('\n'),
      );
    });
}
