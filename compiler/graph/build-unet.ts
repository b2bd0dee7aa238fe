/**
 * Lowering of the U-Net IR to the tensor-op graph, following nnU-Net's building blocks:
 * conv block = conv -> [dropout] -> norm -> nonlinearity; residual BasicBlockD; decoder
 * = transposed conv (kernel = stride) -> concat skip -> conv blocks -> 1x1x1 head.
 * Parameter names follow the module structure (`encoder.stage2.block0.conv.weight`) and
 * equal the state_dict keys of the PyTorch reference in bench/unet_reference.py.
 */
import type { Vec3 } from '../ir/plan.js';
import type { BlockStyle, UNetIR } from '../ir/unet.js';
import type { NonlinKind } from '../ir/architecture.js';
import { Graph } from './graph.js';

/** nnU-Net's He init uses the leaky-ReLU gain with negative slope 1e-2 for every conv. */
const HE_SLOPE = 0.01;
const NORM_EPS = 1e-5;
export const INPUT_NAME = 'input';
export const BATCH_DIM = 'N';

export interface BuiltUNet {
  readonly graph: Graph;
  /** Output value names, highest resolution first (output 0 is the final segmentation). */
  readonly outputs: readonly string[];
}

export function buildUNetGraph(ir: UNetIR): BuiltUNet {
  const g = new Graph();
  const x = g.input(INPUT_NAME, [BATCH_DIM, ir.inputChannels, ...ir.patchSize]);
  const b = new Blocks(g);
  const es = ir.encoderStyle;

  // Encoder: keep each stage's output for the skip connections.
  const skips: string[] = [];
  let h = x;
  let channels = ir.inputChannels;
  if (ir.stem) {
    h = b.convBlock('encoder.stem', h, channels, ir.stem.features, ir.stem.kernel, [1, 1, 1], es);
    channels = ir.stem.features;
  }
  ir.encoder.forEach((stage, s) => {
    for (let i = 0; i < stage.blocks; i++) {
      const stride: Vec3 = i === 0 ? stage.stride : [1, 1, 1];
      const name = `encoder.stage${s}.block${i}`;
      h = ir.encoderType === 'residual'
        ? b.residualBlock(name, h, channels, stage.features, stage.kernel, stride, es)
        : b.convBlock(name, h, channels, stage.features, stage.kernel, stride, es);
      channels = stage.features;
    }
    skips.push(h);
  });

  // Decoder, bottleneck first; one head per stage with deep supervision, else only the last.
  const heads: string[] = [];
  ir.decoder.forEach((stage, j) => {
    const pre = `decoder.stage${j}`;
    const up = b.upsample(`${pre}.up`, h, channels, stage.features, stage.upStride);
    h = g.op('concat', `${pre}.concat`, [up, skips[stage.skipStage]!], { axis: 1 });
    channels = 2 * stage.features;
    for (let i = 0; i < stage.blocks; i++) {
      h = b.convBlock(`${pre}.block${i}`, h, channels, stage.features, stage.kernel, [1, 1, 1], ir.decoderStyle);
      channels = stage.features;
    }
    if (ir.deepSupervision || j === ir.decoder.length - 1) heads.push(b.conv(`${pre}.head`, h, channels, ir.numClasses, [1, 1, 1], [1, 1, 1], true));
  });
  // A one-stage network has no decoder stages: its head sits on the encoder output.
  if (ir.decoder.length === 0) heads.push(b.conv('decoder.head', h, channels, ir.numClasses, [1, 1, 1], [1, 1, 1], true));
  heads.reverse();
  heads.forEach((o) => g.output(o));
  return { graph: g, outputs: heads };
}

/** What each nonlinearity terminal means, as in nnU-Net (LeakyReLU slope 1e-2, ELU alpha 1, exact GELU). */
const NONLINEARITIES: Record<NonlinKind, (g: Graph, name: string, x: string) => string> = {
  leaky_relu: (g, name, x) => g.op('leaky_relu', name, [x], { slope: 0.01 }),
  relu: (g, name, x) => g.op('relu', name, [x], {}),
  elu: (g, name, x) => g.op('elu', name, [x], { alpha: 1 }),
  gelu: (g, name, x) => g.op('gelu', name, [x], {}),
  // torch.nn.PReLU(): one learnable slope, initialised to 0.25.
  prelu: (g, name, x) => g.op('prelu', name, [x, g.param(`${name}.weight`, [1], { kind: 'fill', value: 0.25 })], {}),
};

/** The building blocks, each appending ops and named parameters to one graph. */
class Blocks {
  constructor(private readonly g: Graph) {}

  conv(name: string, x: string, cin: number, cout: number, kernel: Vec3, stride: Vec3, bias: boolean): string {
    const w = this.g.param(`${name}.weight`, [cout, cin, ...kernel], { kind: 'he', fanIn: cin * prod(kernel), slope: HE_SLOPE });
    const inputs = [x, w];
    if (bias) inputs.push(this.g.param(`${name}.bias`, [cout], { kind: 'fill', value: 0 }));
    return this.g.op('conv', name, inputs, { stride, pads: kernel.map((k) => (k - 1) / 2) });
  }

  norm(name: string, x: string, c: number, style: BlockStyle, zeroInit = false): string {
    const scale = this.g.param(`${name}.weight`, [c], { kind: 'fill', value: zeroInit ? 0 : 1 });
    const shift = this.g.param(`${name}.bias`, [c], { kind: 'fill', value: 0 });
    if (style.norm === 'instance_norm') return this.g.op('instance_norm', name, [x, scale, shift], { eps: NORM_EPS });
    const mean = this.g.param(`${name}.running_mean`, [c], { kind: 'fill', value: 0 }, false);
    const variance = this.g.param(`${name}.running_var`, [c], { kind: 'fill', value: 1 }, false);
    return this.g.op('batch_norm', name, [x, scale, shift, mean, variance], { eps: NORM_EPS });
  }

  nonlin(name: string, x: string, style: BlockStyle): string {
    return NONLINEARITIES[style.nonlin](this.g, name, x);
  }

  /** conv -> [dropout] -> norm -> [nonlinearity]. */
  convBlock(name: string, x: string, cin: number, cout: number, kernel: Vec3, stride: Vec3, style: BlockStyle,
    opts: { dropout?: boolean; nonlin?: boolean; zeroNorm?: boolean } = {}): string {
    let h = this.conv(`${name}.conv`, x, cin, cout, kernel, stride, true);
    if ((opts.dropout ?? true) && style.dropout > 0) h = this.g.op('dropout', `${name}.dropout`, [h], { rate: style.dropout });
    h = this.norm(`${name}.norm`, h, cout, style, opts.zeroNorm);
    return (opts.nonlin ?? true) ? this.nonlin(`${name}.act`, h, style) : h;
  }

  /**
   * nnU-Net's BasicBlockD: act(conv2(conv1(x)) + skip(x)); the skip average-pools when the block is
   * strided and projects (1x1 conv without bias -> norm) only when the channel count changes.
   */
  residualBlock(name: string, x: string, cin: number, cout: number, kernel: Vec3, stride: Vec3, style: BlockStyle): string {
    const h1 = this.convBlock(`${name}.conv1`, x, cin, cout, kernel, stride, style);
    const h2 = this.convBlock(`${name}.conv2`, h1, cout, cout, kernel, [1, 1, 1], style, { dropout: false, nonlin: false, zeroNorm: true });
    let skip = x;
    if (stride.some((s) => s !== 1)) skip = this.g.op('avg_pool', `${name}.skip.pool`, [skip], { kernel: stride });
    if (cin !== cout) {
      skip = this.conv(`${name}.skip.conv`, skip, cin, cout, [1, 1, 1], [1, 1, 1], false);
      skip = this.norm(`${name}.skip.norm`, skip, cout, style);
    }
    return this.nonlin(`${name}.act`, this.g.op('add', `${name}.add`, [h2, skip], {}), style);
  }

  /** Transposed conv with kernel = stride; PyTorch weight layout [C_in, C_out, ...k]. */
  upsample(name: string, x: string, cin: number, cout: number, stride: Vec3): string {
    // PyTorch's kaiming fan-in for a transposed conv weight is size(1) * prod(kernel) = C_out * prod(k).
    const w = this.g.param(`${name}.weight`, [cin, cout, ...stride], { kind: 'he', fanIn: cout * prod(stride), slope: HE_SLOPE });
    const bias = this.g.param(`${name}.bias`, [cout], { kind: 'fill', value: 0 });
    return this.g.op('conv_transpose', name, [x, w, bias], { stride });
  }
}

const prod = (xs: readonly number[]) => xs.reduce((p, v) => p * v, 1);
