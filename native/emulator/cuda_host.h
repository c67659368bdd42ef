// Host emulation of the CUDA thread model, just enough to run kernels/eoslab.cu on the CPU.
//
// Used ONLY by the host emulator (native/emulator), which lets the Java CudaBackend (FFM
// bindings, kernelParams marshalling, pointer offsets, the row-major -> column-major cuBLAS
// mapping, the error records) run end to end on machines without a GPU. It says nothing about
// the real GPU's arithmetic (libdevice tanh/exp, FMA contraction, warp scheduling); only a run on
// a GPU (CudaBackendParityTest, `eoslab doctor`) checks that.
//
// The threads of a block run as coroutines on one OS thread; __syncthreads() yields to the next
// thread of the block, so a block's threads advance barrier by barrier exactly as the CUDA model
// requires. __shared__ becomes a function-local static (one block runs at a time).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

struct dim3 {
    unsigned x, y, z;
};
extern dim3 threadIdx, blockIdx, blockDim, gridDim;
void __syncthreads();

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

// One OS thread, cooperative scheduling: a read-compare-write cannot be interleaved.
inline int atomicCAS(int* address, int compare, int val) {
    int old = *address;
    if (old == compare) *address = val;
    return old;
}
inline float __double2float_rn(double d) { return (float)d; }
// On a GPU __trap() aborts the kernel and the context (the next call returns an error); here the process.
[[noreturn]] inline void __trap() {
    std::fprintf(stderr, "emulator: __trap() in a kernel\n");
    std::abort();
}
// vector_types.h: the 16-byte vector that kernels/gram.cu loads from shared memory.
struct alignas(16) double2 {
    double x, y;
};
#define __launch_bounds__(...)
