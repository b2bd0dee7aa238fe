#!/usr/bin/env bash
# The GPU check on a borrowed GPU machine (python3 + PyTorch there; maybe no Node, no network).
# Prepare here first: npx tsx bench/gpu/prepare.ts   (writes .gpu/ and .gpu/plan.json, which says
# whether one call fits the 64 MiB limit or two back-to-back calls are needed):
#   one call:   bash bench/gpu/run-device.sh all      carry [.gpu/models, .gpu/runtime, .gpu/cuda]
#   two calls:  bash bench/gpu/run-device.sh unpack   carry [.gpu/runtime]
#               bash bench/gpu/run-device.sh check    carry [.gpu/models, .gpu/cuda]
# (the unpacked runtime lives in the ignored .gpu-device/, which survives while the machine is warm).
# `check` also runs here without a GPU: `bash bench/gpu/run-device.sh local` (CPU provider only,
# HNAS_GPU_REPEATS=2 timed runs instead of 7; the timeouts are sized for a GPU machine's 16 cores).
# Writes JSON lines to ${OUT:-.}/gpu-check.jsonl and prints a summary table.
set -u
phase=${1:-all}
out=${OUT:-.}
dev=$PWD/.gpu-device
ort_native=$dev/node_modules/onnxruntime-node/bin/napi-v6/linux/x64

unpack() {
  rm -rf "$dev" && mkdir -p "$dev/node_modules" "$dev/bin"
  if command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'; then
    ln -s "$(command -v node)" "$dev/bin/node"
  else
    xz -dc .gpu/runtime/node.xz > "$dev/bin/node" && chmod +x "$dev/bin/node"
  fi
  xz -dc .gpu/runtime/ortmods.tar.xz | tar -xf - -C "$dev/node_modules"
  for f in .gpu/runtime/*.deb; do [ -f "$f" ] && dpkg -x "$f" "$dev/vulkan"; done
  "$dev/bin/node" --version
}

install_cuda() {
  xz -dc .gpu/cuda/libonnxruntime_providers_cuda.so.xz > "$ort_native/libonnxruntime_providers_cuda.so"
  cp .gpu/cuda/libonnxruntime_providers_shared.so "$ort_native/"
  # The CUDA 13 libraries of the PyTorch install (what `hnas doctor` would print).
  local nv
  nv=$(python3 -c 'import glob, os, site; print(":".join(sorted({d for p in site.getsitepackages() + [site.getusersitepackages()] for d in glob.glob(os.path.join(p, "nvidia", "*", "lib"))})))' 2>/dev/null)
  export LD_LIBRARY_PATH=${nv}:$dev/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  # The NVIDIA driver's Vulkan ICD where containers mount it.
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
}

check() {
  local providers=${1:-cpu cuda webgpu} torchdev=${2:-cuda}
  nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
  : > "$out/gpu-check.jsonl"
  timeout "${torch_timeout:-60}" "${PYTHON:-python3}" bench/gpu/torch_step.py .gpu/models "$torchdev" 2>&1 | tee -a "$out/gpu-check.jsonl"
  cp bench/gpu/ort-check.mjs "$dev/"
  # shellcheck disable=SC2086
  timeout "${ort_timeout:-240}" "$dev/bin/node" "$dev/ort-check.mjs" "$PWD/.gpu/models" "$out/gpu-check.jsonl" $providers 2>&1 | tee -a "$out/gpu-check.jsonl.log"
}

case "$phase" in
  unpack) unpack ;;
  check) install_cuda; check ;;
  all) unpack && install_cuda && check ;;
  local) export HNAS_GPU_REPEATS=${HNAS_GPU_REPEATS:-2} torch_timeout=900 ort_timeout=1800 PYTHON=${PYTHON:-/usr/bin/python3}; unpack && install_cuda && check cpu cpu ;;
  *) echo "usage: run-device.sh all|unpack|check|local" >&2; exit 2 ;;
esac
