"""Reference resampling for bench/data.bench.ts: scipy.ndimage.map_coordinates (cubic/linear B-spline,
mirror boundary) at the same pixel-centre coordinates hnas uses, clamped to the volume.

usage: python3 data_reference.py in.raw Z Y X out.raw Z2 Y2 X2 ORDER  -> prints seconds
"""
import sys
import time

import numpy as np
from scipy.ndimage import map_coordinates

src, z, y, x, dst, z2, y2, x2, order = sys.argv[1:]
shape = (int(z), int(y), int(x))
new = (int(z2), int(y2), int(x2))
data = np.fromfile(src, dtype=np.float32).reshape(shape)
t = time.perf_counter()
axes = [np.clip((np.arange(m) + 0.5) * n / m - 0.5, 0, n - 1) for n, m in zip(shape, new)]
coords = np.meshgrid(*axes, indexing="ij")
out = map_coordinates(data.astype(np.float64), coords, order=int(order), mode="mirror", prefilter=True)
seconds = time.perf_counter() - t
out.astype(np.float32).tofile(dst)
print(seconds)
