#!/usr/bin/env bash
# Compile kernels/eoslab.cu into one fatbin that ships inside the jar as the resource
# /eoslab/kernels.fatbin (CudaBackend loads it with cuModuleLoadData).
#   SASS for sm_80 (A100) and sm_90 (H100/H200), plus compute_90 PTX so newer GPUs JIT it.
# Run by Maven (exec-maven-plugin, generate-resources). Without nvcc the build goes on CPU only.
#   usage: native/build-kernels.sh [output.fatbin]      (default target/classes/eoslab/kernels.fatbin)
#   env:   NVCC=/path/to/nvcc   EOSLAB_CUDA_ARCHS="80 90"
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-target/classes/eoslab/kernels.fatbin}"
src=kernels/eoslab.cu

nvcc="${NVCC:-}"
if [[ -z "$nvcc" ]]; then
  for c in nvcc /usr/local/bin/nvcc /usr/local/cuda/bin/nvcc; do
    if command -v "$c" >/dev/null 2>&1; then nvcc="$(command -v "$c")"; break; fi
  done
fi
if [[ -z "$nvcc" ]]; then
  echo "nvcc not found: building CPU only (no kernels.fatbin; --device cuda will say so)"
  exit 0
fi

# ptxas's per-kernel registers and static shared memory (--resource-usage), for
# CudaKernelResourceTest: a kernel whose registers x the block size the Java side launches it with
# exceed 65536, or whose __shared__ exceeds 48 KiB, cannot launch on the GPU at all.
usage="${EOSLAB_RESOURCE_USAGE:-target/kernels-resource-usage.txt}"

# Up to date? (the fatbin is newer than every kernel source and this script)
if [[ -f "$out" && -f "$usage" ]]; then
  stale=0
  for f in kernels/*.cu kernels/*.cuh "$0"; do
    [[ -e "$f" && "$f" -nt "$out" ]] && stale=1
  done
  if [[ $stale == 0 ]]; then exit 0; fi
fi

archs="${EOSLAB_CUDA_ARCHS:-80 90}"
gencode=()
last=""
for a in $archs; do gencode+=(-gencode "arch=compute_$a,code=sm_$a"); last=$a; done
gencode+=(-gencode "arch=compute_$last,code=compute_$last")

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
# --fmad=false: F32 a*x + b*y must round like Java (no fused multiply-add); see kernels/eoslab.cu.
# -Werror all-warnings and ptxas -Werror: a warning is a build failure.
# (ptxas writes the resource usage to stderr, with any error: shown only when the build fails.)
if ! "$nvcc" -fatbin -O3 --fmad=false -std=c++17 -Werror all-warnings -Xptxas -Werror --resource-usage \
  "${gencode[@]}" -o "$tmp" "$src" 2> "$usage.tmp"; then
  cat "$usage.tmp" >&2
  exit 1
fi
mv "$usage.tmp" "$usage"
mv "$tmp" "$out"
echo "kernels: $out ($(stat -c %s "$out") bytes, sm_${archs// /,sm_} + compute_$last PTX, $("$nvcc" --version | tail -1))"
