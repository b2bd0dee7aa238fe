/**
 * nnU-Net's memory proxy: the number of conv output elements of one sample, summed
 * over encoder, decoder, transposed convs and (deep-supervision) segmentation heads.
 * Norms and nonlinearities are not counted, as in nnU-Net.
 */
import type { EncoderType } from '../../compiler/ir/architecture.js';
import type { Vec3 } from './plan-types.js';

export interface ArchitectureShape {
  readonly encoderType: EncoderType;
  readonly featuresPerStage: readonly number[];
  readonly strides: readonly Vec3[];
  /** Conv encoder: convs per stage; residual: residual blocks per stage. */
  readonly blocksPerStageEncoder: readonly number[];
  readonly convsPerStageDecoder: readonly number[];
  readonly numClasses: number;
}

const prod = (c: number, s: readonly number[]): number => c * s[0]! * s[1]! * s[2]!;
const div = (s: readonly number[], d: readonly number[]): Vec3 => [Math.floor(s[0]! / d[0]!), Math.floor(s[1]! / d[1]!), Math.floor(s[2]! / d[2]!)];

export function convFeatureMapSize(patch: Vec3, arch: ArchitectureShape): number {
  const { featuresPerStage: f, strides, numClasses } = arch;
  const nStages = f.length;
  let total = 0;

  // Encoder.
  let size: Vec3 = patch;
  if (arch.encoderType === 'residual') total += prod(f[0]!, size); // stem conv
  for (let s = 0; s < nStages; s++) {
    const after = div(size, strides[s]!);
    const blocks = arch.blocksPerStageEncoder[s]!;
    if (arch.encoderType === 'conv') {
      total += blocks * prod(f[s]!, after);
    } else {
      const inChannels = s === 0 ? f[0]! : f[s - 1]!;
      const changes = inChannels !== f[s] || strides[s]!.some((x) => x !== 1);
      // Each block: two convs, plus a 1x1 projection on the skip when the first block changes shape.
      total += blocks * 2 * prod(f[s]!, after) + (changes ? prod(f[s]!, after) : 0);
    }
    size = after;
  }

  // Decoder: skip resolutions of stages 0..n-2, deepest first.
  const skips: Vec3[] = [];
  size = patch;
  for (let s = 0; s < nStages - 1; s++) {
    size = div(size, strides[s]!);
    skips.push(size);
  }
  for (let d = 0; d < nStages - 1; d++) {
    const skip = skips[nStages - 2 - d]!;
    const channels = f[nStages - 2 - d]!;
    total += arch.convsPerStageDecoder[d]! * prod(channels, skip); // conv blocks
    total += prod(channels, skip); // transposed conv
    total += prod(numClasses, skip); // deep-supervision head
  }
  return total;
}
