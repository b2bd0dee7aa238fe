"""PyTorch reference of one hnas training step: the U-Net of bench/unet_reference.py (same IR JSON,
same safetensors weights), Dice + CE with deep supervision (nnU-Net's weights and nearest-neighbour
target downsampling), backward, gradient clipping at norm 12, SGD (momentum 0.99, Nesterov, wd 3e-5).

Usage: /usr/bin/python3 bench/training_reference.py DIR [--threads 2]
DIR holds ir.json (with "benchBatch"), weights.safetensors, input.bin, labels.bin (float32).
Runs the first step, prints one JSON line (loss, grad_norm and the per-parameter norm of the update,
for the numerical cross-check), then serves stdin so the caller can interleave its own steps with
ours: each line "forward" runs the inference forward pass (eval mode, no autograd) on the same batch
and answers {"seconds", "cpu_seconds", "head0_norm"}; each line "step" runs one step and answers {"seconds": s, "cpu_seconds": c} (wall and CPU time of
all threads; OpenMP threads spin a while after each parallel region, so CPU time includes some spinning); "quit" answers {"peak_mib": m}
(peak RSS growth since before the first step) and exits.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from unet_reference import UNet, read_safetensors  # noqa: E402


def rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def head_loss(z, y, smooth=1e-5):
    valid = (y >= 0).float()
    ce_voxel = F.cross_entropy(z, y.clamp(min=0).long()[:, 0], reduction="none")[:, None] * valid
    ce = ce_voxel.sum() / valid.sum().clamp(min=1)
    p = torch.softmax(z, 1) * valid
    onehot = torch.zeros_like(z).scatter_(1, y.clamp(min=0).long(), 1) * valid
    axes = list(range(2, z.dim()))
    tp = (p * onehot).sum(axes)
    dc = (2 * tp + smooth) / ((p.sum(axes) + onehot.sum(axes) + smooth).clamp(min=1e-8))
    return (1 - dc[:, 1:].mean()) + ce


def loss_fn(heads, y):
    n = len(heads)
    w = [0.0 if i == n - 1 else 1 / 2**i for i in range(n)] if n > 1 else [1.0]
    w = [x / sum(w) for x in w]
    total = 0
    for h, wi in zip(heads, w):
        if wi == 0:
            continue
        f = [y.shape[a] // h.shape[a] for a in range(2, y.dim())]
        yt = y[:, :, :: f[0], :: f[1], :: f[2]]
        total = total + wi * head_loss(h, yt)
    return total


def main():
    d = sys.argv[1]
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    torch.set_num_threads(threads)
    ir = json.load(open(f"{d}/ir.json"))
    net = UNet(ir).train()
    net.load_state_dict(read_safetensors(f"{d}/weights.safetensors"), strict=True)
    shape = [ir["benchBatch"], ir["inputChannels"], *ir["patchSize"]]
    x = torch.frombuffer(bytearray(open(f"{d}/input.bin", "rb").read()), dtype=torch.float32).reshape(shape)
    y = torch.frombuffer(bytearray(open(f"{d}/labels.bin", "rb").read()), dtype=torch.float32).reshape([shape[0], 1, *shape[2:]])
    opt = torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.99, nesterov=True, weight_decay=3e-5)
    before = {k: v.detach().clone() for k, v in net.named_parameters()}
    # The inference forward runs the initial weights (as ours does), not the ones the steps updated.
    infer = UNet(ir).eval()
    infer.load_state_dict(read_safetensors(f"{d}/weights.safetensors"), strict=True)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(net.parameters(), 12)
        opt.step()
        return loss.item(), norm.item()

    base = rss_kib("VmRSS")
    loss, norm = step()
    update = {k: (v.detach() - before[k]).norm().item() for k, v in net.named_parameters()}
    print(json.dumps({"loss": loss, "grad_norm": norm, "update": update, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        if line.strip() == "step":
            t, c = time.perf_counter(), time.process_time()
            step()
            print(json.dumps({"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - c}), flush=True)
        elif line.strip() == "forward":
            # Inference: eval mode, no autograd, the same batch of patches (a sliding window's batch).
            with torch.no_grad():
                t, c = time.perf_counter(), time.process_time()
                heads = infer(x)
                seconds, cpu = time.perf_counter() - t, time.process_time() - c
            print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "head0_norm": heads[0].norm().item()}), flush=True)
        elif line.strip() == "quit":
            break
    print(json.dumps({"peak_mib": (rss_kib("VmHWM") - base) / 1024}), flush=True)


if __name__ == "__main__":
    main()
