"""PyTorch reference of nnU-Net's PlainConvUNet and ResidualEncoderUNet, built from an nnU-Net
plan's `architecture` entry alone (network_class_name + arch_kwargs, as nnU-Net writes them in
nnUNetPlans.json), written from the architecture's description (../shared/reference/nnunet.md and
the facts of nnU-Net's dynamic_network_architectures): it never sees the hnas IR, so a mistake in
how hnas turns a plan into a network shows as a difference here.

Facts it encodes:
- conv block: Conv (padding (k-1)//2, bias = conv_bias) -> [dropout_op] -> norm_op -> nonlin.
- PlainConvUNet encoder stage s: n_conv_per_stage[s] conv blocks, the first with strides[s].
- ResidualEncoderUNet: a stem conv block (features_per_stage[0], kernel_sizes[0], stride 1), then
  per stage n_blocks_per_stage[s] BasicBlockD: conv block (strided, with dropout) -> conv + norm
  (no dropout, no nonlin); skip = AvgPool(stride) when strided, then a 1x1x1 conv without bias +
  norm when the channel count changes; out = nonlin(main + skip).
- Decoder (both): from the bottleneck up, ConvTranspose (kernel = stride = strides of the stage
  below, bias = conv_bias) -> concat [upsampled, skip] -> n_conv_per_stage_decoder conv blocks at
  the skip's features and kernel -> a 1x1x1 head (bias) on every stage (heads are always built);
  outputs highest resolution first, all of them with deep supervision, else only the last.

Module names follow hnas's parameter names (encoder.stage2.block0.conv1.conv.weight, ...), so
one safetensors file loads into both.

Usage: /usr/bin/python3 bench/nnunet_reference.py DIR
DIR holds plan.json ({"architecture": {...}, "input_channels", "num_classes", "deep_supervision",
"input_shape"}), weights.safetensors and input.bin (float32, input_shape). Prints one JSON line
{"parameters", "state": {name: shape}, "missing", "unexpected", "outputs": [[shape]...]} and, when
the weights load, writes out{k}.bin (head k, highest resolution first).
"""
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_reference import read_safetensors  # noqa: E402

NORMS = {"InstanceNorm3d": lambda c, kw: nn.InstanceNorm3d(c, **kw), "BatchNorm3d": lambda c, kw: nn.BatchNorm3d(c, **kw)}
NONLINS = {
    "LeakyReLU": lambda kw: nn.LeakyReLU(kw.get("negative_slope", 0.01)),
    "ReLU": lambda kw: nn.ReLU(),
    "ELU": lambda kw: nn.ELU(kw.get("alpha", 1.0)),
    "GELU": lambda kw: nn.GELU(),
    "PReLU": lambda kw: nn.PReLU(),
}
DROPOUTS = {"Dropout3d": nn.Dropout3d, "Dropout": nn.Dropout}


def last_name(dotted):
    return dotted.rsplit(".", 1)[-1]


class Ops:
    """The plan's norm, nonlinearity, dropout and conv bias."""

    def __init__(self, kw):
        self.bias = bool(kw["conv_bias"])
        norm_kw = {k: v for k, v in (kw.get("norm_op_kwargs") or {}).items()}
        self.norm = lambda c: NORMS[last_name(kw["norm_op"])](c, norm_kw)
        nonlin_kw = {k: v for k, v in (kw.get("nonlin_kwargs") or {}).items() if k != "inplace"}
        self.nonlin = lambda: NONLINS[last_name(kw["nonlin"])](nonlin_kw)
        drop_kw = {k: v for k, v in (kw.get("dropout_op_kwargs") or {}).items() if k != "inplace"}
        self.dropout = (lambda: DROPOUTS[last_name(kw["dropout_op"])](**drop_kw)) if kw.get("dropout_op") else None


class ConvBlock(nn.Module):
    """conv -> [dropout] -> [norm] -> [nonlin]"""

    def __init__(self, cin, cout, kernel, stride, ops, bias=None, dropout=True, norm=True, nonlin=True):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, kernel, stride, [(k - 1) // 2 for k in kernel], bias=ops.bias if bias is None else bias)
        self.dropout = ops.dropout() if dropout and ops.dropout else None
        self.norm = ops.norm(cout) if norm else None
        self.act = ops.nonlin() if nonlin else None

    def forward(self, x):
        for m in (self.conv, self.dropout, self.norm, self.act):
            if m is not None:
                x = m(x)
        return x


class Skip(nn.Module):
    """BasicBlockD's skip: [AvgPool(stride)] -> [1x1x1 conv, no bias, + norm]."""

    def __init__(self, cin, cout, stride, ops):
        super().__init__()
        self.pool = nn.AvgPool3d(stride, stride) if any(s != 1 for s in stride) else None
        if cin != cout:
            self.conv = nn.Conv3d(cin, cout, 1, 1, 0, bias=False)
            self.norm = ops.norm(cout)
        else:
            self.conv = self.norm = None

    def forward(self, x):
        if self.pool is not None:
            x = self.pool(x)
        if self.conv is not None:
            x = self.norm(self.conv(x))
        return x


class BasicBlockD(nn.Module):
    def __init__(self, cin, cout, kernel, stride, ops):
        super().__init__()
        self.conv1 = ConvBlock(cin, cout, kernel, stride, ops)
        self.conv2 = ConvBlock(cout, cout, kernel, [1, 1, 1], ops, dropout=False, nonlin=False)
        strided = any(s != 1 for s in stride)
        self.skip = Skip(cin, cout, stride, ops) if strided or cin != cout else None
        self.act = ops.nonlin()

    def forward(self, x):
        residual = self.skip(x) if self.skip is not None else x
        return self.act(self.conv2(self.conv1(x)) + residual)


class Container(nn.Module):
    pass


class NnUNet(nn.Module):
    def __init__(self, architecture, input_channels, num_classes, deep_supervision):
        super().__init__()
        kw = architecture["arch_kwargs"]
        residual = last_name(architecture["network_class_name"]) == "ResidualEncoderUNet"
        ops = Ops(kw)
        n = kw["n_stages"]
        features, kernels, strides = kw["features_per_stage"], kw["kernel_sizes"], kw["strides"]
        assert len(features) == len(kernels) == len(strides) == n
        self.deep_supervision = deep_supervision
        self.encoder = Container()
        c = input_channels
        if residual:
            self.encoder.stem = ConvBlock(c, features[0], kernels[0], [1, 1, 1], ops)
            c = features[0]
        blocks = kw["n_blocks_per_stage"] if residual else kw["n_conv_per_stage"]
        self.n_blocks = blocks
        for s in range(n):
            stage = Container()
            for i in range(blocks[s]):
                stride = strides[s] if i == 0 else [1, 1, 1]
                block = BasicBlockD(c, features[s], kernels[s], stride, ops) if residual else ConvBlock(c, features[s], kernels[s], stride, ops)
                setattr(stage, f"block{i}", block)
                c = features[s]
            setattr(self.encoder, f"stage{s}", stage)
        self.decoder = Container()
        self.n_dec_blocks = kw["n_conv_per_stage_decoder"]
        for j in range(n - 1):
            below, skip = n - 1 - j, n - 2 - j
            stage = Container()
            stage.up = nn.ConvTranspose3d(features[below], features[skip], strides[below], strides[below], bias=ops.bias)
            c = 2 * features[skip]
            for i in range(self.n_dec_blocks[j]):
                setattr(stage, f"block{i}", ConvBlock(c, features[skip], kernels[skip], [1, 1, 1], ops))
                c = features[skip]
            stage.head = nn.Conv3d(c, num_classes, 1, 1, 0, bias=True)
            setattr(self.decoder, f"stage{j}", stage)

    def forward(self, x):
        if hasattr(self.encoder, "stem"):
            x = self.encoder.stem(x)
        skips = []
        for s, count in enumerate(self.n_blocks):
            stage = getattr(self.encoder, f"stage{s}")
            for i in range(count):
                x = getattr(stage, f"block{i}")(x)
            skips.append(x)
        heads = []
        n_dec = len(self.n_dec_blocks)
        for j in range(n_dec):
            stage = getattr(self.decoder, f"stage{j}")
            x = torch.cat([stage.up(x), skips[-(j + 2)]], 1)
            for i in range(self.n_dec_blocks[j]):
                x = getattr(stage, f"block{i}")(x)
            if self.deep_supervision or j == n_dec - 1:
                heads.append(stage.head(x))
        return heads[::-1]


def main():
    d = sys.argv[1]
    torch.set_num_threads(1)
    spec = json.load(open(f"{d}/plan.json"))
    net = NnUNet(spec["architecture"], spec["input_channels"], spec["num_classes"], spec["deep_supervision"]).eval()
    state = net.state_dict()
    report = {
        "parameters": sum(p.numel() for p in net.parameters()),
        "state": {k: list(v.shape) for k, v in state.items()},
    }
    weights = read_safetensors(f"{d}/weights.safetensors")
    # BatchNorm's step counter is bookkeeping, not a weight.
    report["missing"] = sorted(k for k in set(state) - set(weights) if not k.endswith("num_batches_tracked"))
    report["unexpected"] = sorted(set(weights) - set(state))
    report["mismatched"] = sorted(k for k in set(state) & set(weights) if list(state[k].shape) != list(weights[k].shape))
    if not (report["missing"] or report["unexpected"] or report["mismatched"]):
        net.load_state_dict(weights, strict=False)  # complete up to num_batches_tracked (checked above)
        x = torch.frombuffer(bytearray(open(f"{d}/input.bin", "rb").read()), dtype=torch.float32).reshape(spec["input_shape"])
        with torch.no_grad():
            outs = net(x)
        for k, o in enumerate(outs):
            open(f"{d}/out{k}.bin", "wb").write(o.contiguous().numpy().tobytes())
        report["outputs"] = [list(o.shape) for o in outs]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
