#!/usr/bin/env bash
# Build the host emulator of libcuda.so.1, libcublas.so.13 and libcusolver.so.12 (see cuda_host.h) into DIR
# (default target/cuda-emulator). Run the JVM with -Deoslab.cuda.libpath=DIR to use it.
# Test-only: it lets CudaBackend run end to end without a GPU; it is never shipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-target/cuda-emulator}"
cxx="${CXX:-g++}"
command -v "$cxx" >/dev/null || { echo "no C++ compiler ($cxx): cannot build the CUDA emulator" >&2; exit 2; }
mkdir -p "$out"
flags=(-std=c++17 -O2 -fPIC -shared -ffp-contract=off -Wall -Wextra -Werror -Wno-unused-parameter -Wno-unknown-pragmas)  # #pragma unroll is for nvcc
"$cxx" "${flags[@]}" -o "$out/libcuda.so.1" native/emulator/emu_driver.cpp
"$cxx" "${flags[@]}" -o "$out/libcublas.so.13" native/emulator/emu_cublas.cpp
"$cxx" "${flags[@]}" -o "$out/libcusolver.so.12" native/emulator/emu_cusolver.cpp
"$cxx" "${flags[@]}" -o "$out/libcublasLt.so.13" native/emulator/emu_cublaslt.cpp
echo "emulator: $out/libcuda.so.1 $out/libcublas.so.13 $out/libcusolver.so.12 $out/libcublasLt.so.13"
