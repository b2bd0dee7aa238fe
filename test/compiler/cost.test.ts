/** Parameter and FLOP counts against values worked out by hand. */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { defaultTree, isoPlan, unetTree } from './trees.js';

describe('architecture cost', () => {
  it('a tiny 2-stage U-Net: parameters and FLOPs by hand', () => {
    // 1 channel -> 2 classes, patch 4^3, features 2 and 4, one conv block per stage, one decoder block.
    const m = compile(unetTree({ encoderBlocks: [1, 1], decoderBlocks: [1] }), { ...isoPlan(2, [4, 4, 4], 1, 2), batchSize: 3 }, { baseFeatures: 2, maxFeatures: 4 });
    // encoder stage 0: conv 2*1*27 + 2 = 56, instance norm 2 + 2           = 60
    // encoder stage 1: conv 4*2*27 + 4 = 220, norm 8                       = 228
    // up: transposed conv weight [4, 2, 2, 2, 2] = 64, bias 2              = 66
    // decoder block: conv from concat (2 + 2) -> 2: 2*4*27 + 2 = 218, norm 4 = 222
    // head: 2*2 + 2                                                        = 6
    expect(m.cost.parameters).toBe(60 + 228 + 66 + 222 + 6);
    expect(m.cost.buffers).toBe(0);
    // FLOPs per sample: conv = 2 * C_in * k^3 * out + out (bias); norm 4 / element; activation 1 / element.
    // enc0: out 2*4^3 = 128 -> 2*1*27*128 + 128 + 4*128 + 128                = 7680
    // enc1: out 4*2^3 = 32  -> 2*2*27*32 + 32 + 4*32 + 32                    = 3648
    // up:   out 128 -> 2*4*128 + 128 (each output voxel gets one tap per input channel) = 1152
    // dec:  out 128 -> 2*4*27*128 + 128 + 4*128 + 128                        = 28416
    // head: out 128 -> 2*2*128 + 128                                          = 640
    expect(m.cost.flopsPerSample).toBe(7680 + 3648 + 1152 + 28416 + 640);
    // Conv-type outputs per sample: 128 + 32 + 128 + 128 + 128; all op outputs add norms, activations, concat (256).
    expect(m.cost.convOutputElementsPerSample).toBe(544);
    expect(m.cost.activationElementsPerSample).toBe(544 + 2 * (128 + 32 + 128) + 256);
    expect(m.cost.activationBytes).toBe(4 * 3 * (544 + 2 * (128 + 32 + 128) + 256));
  });

  it('nnU-Net default conv U-Net, 4 stages, patch [40, 56, 40], 1 channel, 3 classes', () => {
    const m = compile(defaultTree(4), isoPlan(4, [40, 56, 40], 1, 3));
    // Conv block = conv (C_out*C_in*27 + C_out) + instance norm (2*C_out). Features 32, 64, 128, 256.
    const block = (cin: number, cout: number) => cout * cin * 27 + cout + 2 * cout;
    const encoder = block(1, 32) + block(32, 32) + block(32, 64) + block(64, 64) + block(64, 128) + block(128, 128) + block(128, 256) + block(256, 256);
    expect(encoder).toBe(3_515_040);
    // Decoder stage: transposed conv C_in*C_out*8 + C_out, two blocks (2C -> C, C -> C), head 3*C + 3.
    const stage = (cin: number, c: number) => cin * c * 8 + c + block(2 * c, c) + block(c, c) + 3 * c + 3;
    expect(stage(256, 128) + stage(128, 64) + stage(64, 32)).toBe(2_088_137);
    expect(m.cost.parameters).toBe(5_603_177);
  });

  it('without deep supervision only the full-resolution head remains', () => {
    const plan = isoPlan(4, [16, 16, 16], 1, 3);
    const ds = compile(defaultTree(4), plan);
    const single = compile(defaultTree(4), plan, { deepSupervision: false });
    expect(single.outputs).toEqual(['decoder.stage2.head']);
    expect(single.graph.shape('decoder.stage2.head')).toEqual(['N', 3, 16, 16, 16]);
    // The two dropped heads: 1x1 convs 128 -> 3 and 64 -> 3 with bias.
    expect(ds.cost.parameters - single.cost.parameters).toBe(128 * 3 + 3 + 64 * 3 + 3);
  });

  it('batch norm statistics count as buffers, PReLU slopes as parameters', () => {
    const plan = isoPlan(2, [4, 4, 4], 1, 2);
    const opts = { baseFeatures: 2, maxFeatures: 4 };
    const base = compile(unetTree({ encoderBlocks: [1, 1], decoderBlocks: [1] }), plan, opts).cost;
    const bn = compile(unetTree({ encoderBlocks: [1, 1], decoderBlocks: [1], enorm: 'batch_norm', dnonlin: 'prelu' }), plan, opts).cost;
    expect(bn.parameters).toBe(base.parameters + 1); // one PReLU slope in the one decoder block
    expect(bn.buffers).toBe(2 * (2 + 4)); // running mean + var for the two encoder norms
  });
});
