#!/usr/bin/env bash
# Runs the GPU check on a GPU machine that has python3 + torch but possibly no Node.js.
# Expects in .gpu/: infer.onnx, step.onnx, ir.json (bench/gpu/prepare.ts), node.xz (an xz'd Node 20
# binary) and ortmods.tar.xz (onnxruntime-node + onnxruntime-common, linux/x64 only); in .gl/: the
# Vulkan/GL loader .debs. Writes JSON lines to ${OUT:-.}/gpu-check.jsonl.
set -u
out=${OUT:-.}
echo "node on the machine: $(which node || echo none)"; nvidia-smi -L
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null
node=$(which node || true)
if [ -z "$node" ]; then mkdir -p /tmp/n && xz -dc .gpu/node.xz > /tmp/n/node && chmod +x /tmp/n/node && node=/tmp/n/node; fi
mkdir -p /tmp/gpucheck && tar -xJf .gpu/ortmods.tar.xz -C /tmp/gpucheck && mkdir -p /tmp/gpucheck/node_modules
mv /tmp/gpucheck/onnxruntime-node /tmp/gpucheck/onnxruntime-common /tmp/gpucheck/node_modules/ 2>/dev/null
cp bench/gpu/ort-check.mjs /tmp/gpucheck/
"$node" --version
timeout 240 "$node" /tmp/gpucheck/ort-check.mjs "$PWD/.gpu" cpu webgpu 2>&1 | tee "$out/gpu-check.jsonl"
timeout 120 python3 bench/gpu/torch_step.py .gpu cuda 2>&1 | tee -a "$out/gpu-check.jsonl"
