"""Reference resampling for bench/ctpreprocess.bench.ts and test/data/ct-scale.test.ts: what nnU-Net's
preprocessing does to one cropped, normalised case, with Debian's skimage and scipy.

Images: skimage.transform.resize order 3 (mode 'edge', anti_aliasing off, clip on). Segmentations: each
label's one-hot mask resized with order 1, voxels >= 0.5 take the label (later labels win). When the
case's spacing is anisotropic (max/min > 3; else the target's), the one coarsest axis is handled
separately: every slice across it is resized in-plane, then that axis is resampled by nearest
neighbour (scipy.ndimage.map_coordinates order 0, mode 'nearest', pixel-centre coordinates).

usage: python3 ctpreprocess_reference.py job.json   (prints one JSON line of timings)
job.json: {"image": raw float32 [C, *shape], "label": raw int16 [*shape] or null, "channels": C,
           "shape": [..], "new_shape": [..], "spacing": [..], "target": [..], "threshold": 3,
           "out_image": path, "out_label": path,
           "compare_image": raw float32 or null, "compare_label": raw int16 or null}
With compare_*, it also reports the max / mean absolute difference of the image and the Dice per label
of the segmentation against those files (after its own peak memory is recorded).
"""
import json
import resource
import sys
import time

import numpy as np
from scipy.ndimage import map_coordinates
from skimage.transform import resize


def separate_axis(spacing, target, threshold):
    def anisotropic(s):
        return max(s) / min(s) > threshold

    def lowres(s):
        axes = [a for a in range(3) if s[a] == max(s)]
        return axes[0] if len(axes) == 1 else None

    if anisotropic(spacing):
        return lowres(spacing)
    if anisotropic(target):
        return lowres(target)
    return None


def resize_seg(seg, new_shape, order):
    out = np.zeros(new_shape, dtype=seg.dtype)
    for c in np.unique(seg):
        m = resize((seg == c).astype(float), new_shape, order, mode="edge", clip=True, anti_aliasing=False)
        out[m >= 0.5] = c
    return out


def resample(volume, new_shape, is_seg, axis):
    """One channel (3D) to new_shape, as nnU-Net's resample_data_or_seg does."""
    shape = np.array(volume.shape)
    new_shape = np.array(new_shape)
    if np.all(shape == new_shape):
        return volume.copy()
    volume = volume if is_seg else volume.astype(float)
    fn = (lambda x, s: resize_seg(x, s, 1)) if is_seg else (lambda x, s: resize(x, s, 3, mode="edge", anti_aliasing=False))
    if axis is None:
        return fn(volume, tuple(new_shape))
    plane = tuple(int(v) for a, v in enumerate(new_shape) if a != axis)
    tmp = new_shape.copy()
    tmp[axis] = shape[axis]
    here = np.zeros(tmp, dtype=volume.dtype if is_seg else float)
    for t in range(shape[axis]):
        index = [slice(None)] * 3
        index[axis] = t
        here[tuple(index)] = fn(volume[tuple(index)], plane)
    if shape[axis] == new_shape[axis]:
        return here
    scales = [here.shape[a] / new_shape[a] for a in range(3)]
    grid = np.mgrid[: new_shape[0], : new_shape[1], : new_shape[2]].astype(float)
    coords = np.array([scales[a] * (grid[a] + 0.5) - 0.5 for a in range(3)])
    return map_coordinates(here, coords, order=0, mode="nearest")


def main():
    job = json.load(open(sys.argv[1]))
    channels = job["channels"]
    shape = tuple(job["shape"])
    new_shape = tuple(job["new_shape"])
    axis = separate_axis(job["spacing"], job["target"], job.get("threshold", 3))
    image = np.fromfile(job["image"], dtype=np.float32).reshape((channels, *shape))
    t = time.perf_counter()
    out = np.stack([resample(image[c], new_shape, False, axis) for c in range(channels)]).astype(np.float32)
    seconds_image = time.perf_counter() - t
    out.tofile(job["out_image"])
    seconds_label = None
    if job.get("label"):
        label = np.fromfile(job["label"], dtype=np.int16).reshape(shape)
        t = time.perf_counter()
        seg = resample(label, new_shape, True, axis).astype(np.int16)
        seconds_label = time.perf_counter() - t
        seg.tofile(job["out_label"])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {"seconds_image": seconds_image, "seconds_label": seconds_label, "separate_axis": axis, "max_rss_kb": rss}
    if job.get("compare_image"):
        del image
        other = np.fromfile(job["compare_image"], dtype=np.float32).reshape(out.shape)
        diff = np.abs(other.astype(np.float64) - out)
        report["max_abs_diff"] = float(diff.max())
        report["mean_abs_diff"] = float(diff.mean())
        report["value_range"] = [float(out.min()), float(out.max())]
        del other, diff
    if job.get("compare_label") and job.get("label"):
        other = np.fromfile(job["compare_label"], dtype=np.int16).reshape(seg.shape)
        dice = {}
        for v in np.union1d(np.unique(seg), np.unique(other)):
            a = seg == v
            b = other == v
            dice[str(int(v))] = float(2 * np.logical_and(a, b).sum() / (a.sum() + b.sum()))
        report["dice"] = dice
        report["label_voxels_differing"] = int((seg != other).sum())
    print(json.dumps(report))


if __name__ == "__main__":
    main()
