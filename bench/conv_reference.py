"""PyTorch side of the training bench's op-alone conv comparison (HNAS_BENCH_ONLY=kernels).

Usage: /usr/bin/python3 bench/conv_reference.py N C O D H W STRIDE REPEATS [--threads 2]
Times a 3x3x3 conv (pad 1) on [N, C, D, H, W] three ways, as the training step needs them: forward,
the input gradient and the weight gradient (aten.convolution_backward with one output each), after
one warm-up each; prints one JSON line {"forward": [wall, cpu], "input_grad": ..., "weight_grad": ...}
with the medians of REPEATS runs in milliseconds.
"""
import json
import statistics
import sys
import time

import torch


def main():
    n, c, o, d, h, w, s, repeats = (int(v) for v in sys.argv[1:9])
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, d, h, w, generator=g)
    weight = torch.randn(o, c, 3, 3, 3, generator=g)
    y = torch.nn.functional.conv3d(x, weight, stride=s, padding=1)
    dy = torch.randn(y.shape, generator=g)

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(dy, x, weight, None, [s] * 3, [1] * 3, [1] * 3, False, [0] * 3, 1, mask)

    runs = {
        "forward": lambda: torch.nn.functional.conv3d(x, weight, stride=s, padding=1),
        "input_grad": backward([True, False, False]),
        "weight_grad": backward([False, True, False]),
    }
    out = {}
    with torch.no_grad():
        for name, f in runs.items():
            f()
            walls, cpus = [], []
            for _ in range(repeats):
                t, p = time.perf_counter(), time.process_time()
                f()
                walls.append(1e3 * (time.perf_counter() - t))
                cpus.append(1e3 * (time.process_time() - p))
            out[name] = [statistics.median(walls), statistics.median(cpus)]
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
