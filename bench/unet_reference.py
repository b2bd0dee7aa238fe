"""PyTorch reference of the hnas compiler's U-Net, built from the same U-Net IR JSON and
loaded with the same safetensors weights (module names = the compiler's parameter names).

Usage: /usr/bin/python3 bench/unet_reference.py DIR [--threads 2] [--repeats 5]
DIR holds ir.json, weights.safetensors and input.bin (float32, shape [batch, C, *patch],
batch given in ir.json's "benchBatch"). Writes out{k}.bin (head k, highest resolution first)
and prints a JSON line {"parameters", "seconds": [...], "outputs": [[shape]...]}.
"""
import json
import struct
import sys
import time

import torch
from torch import nn

NONLINS = {
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "relu": lambda: nn.ReLU(),
    "elu": lambda: nn.ELU(1.0),
    "gelu": lambda: nn.GELU(),
    "prelu": lambda: nn.PReLU(),
}


def norm(style, c):
    return nn.InstanceNorm3d(c, eps=1e-5, affine=True) if style["norm"] == "instance_norm" else nn.BatchNorm3d(c, eps=1e-5)


class ConvBlock(nn.Module):
    """conv -> [dropout] -> norm -> [nonlinearity]"""

    def __init__(self, cin, cout, kernel, stride, style, dropout=True, nonlin=True):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, kernel, stride, [(k - 1) // 2 for k in kernel], bias=True)
        self.dropout = nn.Dropout3d(style["dropout"]) if dropout and style["dropout"] > 0 else None
        self.norm = norm(style, cout)
        self.act = NONLINS[style["nonlin"]]() if nonlin else None

    def forward(self, x):
        x = self.conv(x)
        if self.dropout is not None:
            x = self.dropout(x)
        x = self.norm(x)
        return self.act(x) if self.act is not None else x


class Skip(nn.Module):
    """[avg-pool when strided] -> [1x1 conv + norm when the channel count changes]"""

    def __init__(self, cin, cout, stride, style):
        super().__init__()
        self.pool = nn.AvgPool3d(stride, stride) if any(s != 1 for s in stride) else None
        self.conv = nn.Conv3d(cin, cout, 1, 1, 0, bias=False) if cin != cout else None
        self.norm = norm(style, cout) if cin != cout else None

    def forward(self, x):
        if self.pool is not None:
            x = self.pool(x)
        return self.norm(self.conv(x)) if self.conv is not None else x


class ResidualBlock(nn.Module):
    """BasicBlockD: act(conv2(conv1(x)) + skip(x))"""

    def __init__(self, cin, cout, kernel, stride, style):
        super().__init__()
        self.conv1 = ConvBlock(cin, cout, kernel, stride, style)
        self.conv2 = ConvBlock(cout, cout, kernel, [1, 1, 1], style, dropout=False, nonlin=False)
        self.skip = Skip(cin, cout, stride, style) if cin != cout or any(s != 1 for s in stride) else None
        self.act = NONLINS[style["nonlin"]]()

    def forward(self, x):
        s = self.skip(x) if self.skip is not None else x
        return self.act(self.conv2(self.conv1(x)) + s)


class Stages(nn.Module):
    pass


class UNet(nn.Module):
    def __init__(self, ir):
        super().__init__()
        self.ir = ir
        es, ds = ir["encoderStyle"], ir["decoderStyle"]
        self.encoder = Stages()
        c = ir["inputChannels"]
        if ir["stem"]:
            self.encoder.stem = ConvBlock(c, ir["stem"]["features"], ir["stem"]["kernel"], [1, 1, 1], es)
            c = ir["stem"]["features"]
        block = ResidualBlock if ir["encoderType"] == "residual" else ConvBlock
        for s, st in enumerate(ir["encoder"]):
            stage = Stages()
            for i in range(st["blocks"]):
                setattr(stage, f"block{i}", block(c, st["features"], st["kernel"], st["stride"] if i == 0 else [1, 1, 1], es))
                c = st["features"]
            setattr(self.encoder, f"stage{s}", stage)
        self.decoder = Stages()
        n_dec = len(ir["decoder"])
        for j, st in enumerate(ir["decoder"]):
            stage = Stages()
            stage.up = nn.ConvTranspose3d(c, st["features"], st["upStride"], st["upStride"], bias=True)
            c = 2 * st["features"]
            for i in range(st["blocks"]):
                setattr(stage, f"block{i}", ConvBlock(c, st["features"], st["kernel"], [1, 1, 1], ds))
                c = st["features"]
            if ir["deepSupervision"] or j == n_dec - 1:
                stage.head = nn.Conv3d(c, ir["numClasses"], 1, 1, 0, bias=True)
            setattr(self.decoder, f"stage{j}", stage)
        if n_dec == 0:
            self.decoder.head = nn.Conv3d(c, ir["numClasses"], 1, 1, 0, bias=True)

    def forward(self, x):
        ir = self.ir
        if ir["stem"]:
            x = self.encoder.stem(x)
        skips = []
        for s, st in enumerate(ir["encoder"]):
            stage = getattr(self.encoder, f"stage{s}")
            for i in range(st["blocks"]):
                x = getattr(stage, f"block{i}")(x)
            skips.append(x)
        heads = []
        for j, st in enumerate(ir["decoder"]):
            stage = getattr(self.decoder, f"stage{j}")
            x = torch.cat([stage.up(x), skips[st["skipStage"]]], 1)
            for i in range(st["blocks"]):
                x = getattr(stage, f"block{i}")(x)
            if hasattr(stage, "head"):
                heads.append(stage.head(x))
        if not ir["decoder"]:
            heads.append(self.decoder.head(x))
        return heads[::-1]


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", e
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32).reshape(e["shape"])
    return out


def main():
    d = sys.argv[1]
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3
    torch.set_num_threads(threads)
    ir = json.load(open(f"{d}/ir.json"))
    net = UNet(ir).eval()
    weights = read_safetensors(f"{d}/weights.safetensors")
    net.load_state_dict(weights, strict=True)  # buffers (batch-norm running stats) included
    shape = [ir["benchBatch"], ir["inputChannels"], *ir["patchSize"]]
    x = torch.frombuffer(bytearray(open(f"{d}/input.bin", "rb").read()), dtype=torch.float32).reshape(shape)
    seconds = []
    with torch.no_grad():
        outs = net(x)  # warm-up
        for _ in range(repeats):
            t = time.perf_counter()
            outs = net(x)
            seconds.append(time.perf_counter() - t)
    for k, o in enumerate(outs):
        open(f"{d}/out{k}.bin", "wb").write(o.contiguous().numpy().tobytes())
    params = sum(p.numel() for p in net.parameters())
    print(json.dumps({"parameters": params, "seconds": seconds, "outputs": [list(o.shape) for o in outs], "torch": torch.__version__}))


if __name__ == "__main__":
    main()
