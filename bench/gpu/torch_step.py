"""PyTorch reference for the GPU check: the same U-Net (bench/unet_reference.py, built from ir.json,
random init) and the same training step (bench/training_reference.py: Dice + CE with deep supervision,
clipping at 12, SGD Nesterov), timed forward-only and per training step on CUDA (or CPU): median of 7 after a warm-up, peak CUDA memory.
Usage: python3 bench/gpu/torch_step.py DIR [cuda|cpu]  -> one JSON line per mode.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import torch  # noqa: E402
from training_reference import loss_fn  # noqa: E402
from unet_reference import UNet  # noqa: E402

d = sys.argv[1]
dev = torch.device(sys.argv[2] if len(sys.argv) > 2 else "cuda")
ir = json.load(open(f"{d}/ir.json"))
torch.manual_seed(0)
net = UNet(ir).to(dev).train()
shape = [ir["benchBatch"], ir["inputChannels"], *ir["patchSize"]]
x = torch.randn(shape, device=dev)
y = torch.randint(0, ir["numClasses"], [shape[0], 1, *shape[2:]], device=dev).float()
opt = torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.99, nesterov=True, weight_decay=3e-5)


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, repeats=int(os.environ.get("HNAS_GPU_REPEATS", "7"))):
    fn()
    sync()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        out.append(time.perf_counter() - t)
    return out


def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(net(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 12)
    opt.step()


with torch.no_grad():
    fwd = timed(lambda: net(x))
train = timed(step)
voxels = shape[0] * shape[2] * shape[3] * shape[4]
memory = round(torch.cuda.max_memory_allocated() / 2**20) if dev.type == "cuda" else None
for mode, secs in (("forward", fwd), ("train_step", train)):
    median = sorted(secs)[(len(secs) - 1) // 2]
    print(json.dumps({"model": mode, "provider": f"torch-{dev.type}", "torch": torch.__version__, "secondsPerRun": secs, "secondsPerStep": median, "voxelsPerSecond": voxels / median, "maxMemoryMiB": memory}))
