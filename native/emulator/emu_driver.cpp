// A host emulator of the CUDA driver API subset eoslab binds (libcuda.so.1): memory is host
// malloc, kernels are kernels/eoslab.cu compiled for the host (see cuda_host.h), launched
// block by block with the block's threads as coroutines. It also checks what the real driver
// cannot show without a crash: that kernel pointer arguments and memcpy ranges fall inside live
// allocations, and that the module image is a fatbin. Fresh allocations are filled with 0xFF
// (NaN) bytes, because cuMemAlloc does not zero memory.
#include "cuda_host.h"

#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

dim3 threadIdx, blockIdx, blockDim, gridDim;

#include "../../kernels/eoslab.cu"

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

namespace {

std::map<uintptr_t, size_t> allocations;   // base -> bytes
int bad_pointer_errors = 0;

bool inside(uintptr_t p, size_t bytes) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) return false;
    --it;
    return p >= it->first && p + bytes <= it->first + it->second;
}

// ---- coroutine block scheduler ----------------------------------------------------------------

const size_t STACK = 256 * 1024;
ucontext_t scheduler;
std::vector<ucontext_t> threads;
std::vector<char*> stacks;
std::vector<dim3> tids;
std::vector<bool> done;
int current = -1;
void (*body)(void*) = nullptr;
void* body_arg = nullptr;

void thread_main() {
    body(body_arg);
    done[current] = true;
    swapcontext(&threads[current], &scheduler);
}

// Kernels without __syncthreads run their threads one after another, without coroutines.
void run_block_plain(unsigned nthreads) {
    for (unsigned t = 0; t < nthreads; t++) {
        threadIdx = dim3{t % blockDim.x, (t / blockDim.x) % blockDim.y, t / (blockDim.x * blockDim.y)};
        body(body_arg);
    }
}

void run_block(unsigned nthreads) {
    if (threads.size() < nthreads) {
        threads.resize(nthreads);
        while (stacks.size() < nthreads) stacks.push_back(static_cast<char*>(std::malloc(STACK)));
    }
    tids.assign(nthreads, dim3{0, 0, 0});
    done.assign(nthreads, false);
    for (unsigned t = 0; t < nthreads; t++) {
        tids[t] = dim3{t % blockDim.x, (t / blockDim.x) % blockDim.y, t / (blockDim.x * blockDim.y)};
        getcontext(&threads[t]);
        threads[t].uc_stack.ss_sp = stacks[t];
        threads[t].uc_stack.ss_size = STACK;
        threads[t].uc_link = &scheduler;
        makecontext(&threads[t], thread_main, 0);
    }
    // Round-robin: each thread runs to its next __syncthreads (or its end).
    for (bool any = true; any;) {
        any = false;
        for (unsigned t = 0; t < nthreads; t++) {
            if (done[t]) continue;
            current = (int)t;
            threadIdx = tids[t];
            swapcontext(&scheduler, &threads[t]);
            any = true;
        }
    }
    current = -1;
}

// ---- kernel table: unpack kernelParams by the kernel's own C++ parameter types ----------------

struct Kernel {
    const char* name;
    bool barriers;                  // calls __syncthreads (needs the coroutine scheduler)
    void (*launch)(void** params);
    bool (*check)(void** params);   // pointer arguments inside allocations?
};

template <typename T>
bool arg_ok(void* slot) {
    if constexpr (std::is_pointer_v<T>) {
        uintptr_t p = (uintptr_t)*static_cast<T*>(slot);
        return p == 0 || inside(p, 1);
    } else {
        return true;
    }
}

template <typename... A, size_t... I>
bool check_impl(void** p, std::index_sequence<I...>) {
    return (arg_ok<A>(p[I]) && ...);
}

template <typename... A, size_t... I>
void call_impl(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(*static_cast<A*>(p[I])...);
}

template <typename... A>
struct Bound {
    static inline void (*fn)(A...) = nullptr;
    static inline void** params = nullptr;
    static void run(void*) { call_impl(fn, params, std::index_sequence_for<A...>{}); }
};

template <typename... A>
void launch_with(void (*f)(A...), void** params) {
    Bound<A...>::fn = f;
    Bound<A...>::params = params;
    body = &Bound<A...>::run;
    body_arg = nullptr;
}

template <typename... A>
bool check_with(void (*)(A...), void** params) {
    return check_impl<A...>(params, std::index_sequence_for<A...>{});
}

#define K(name) {#name, false, [](void** p) { launch_with(name, p); }, [](void** p) { return check_with(name, p); }},
#define KB(name) {#name, true, [](void** p) { launch_with(name, p); }, [](void** p) { return check_with(name, p); }},
const Kernel KERNELS[] = {
    K(fill_f32) K(fill_f64) K(fill_i32) K(convert_f32_f64) K(convert_f64_f32) K(gather_rows_b32) K(gather_rows_b64)
    K(axpby_f32) K(axpby_f64) K(mul_f32) K(mul_f64) KB(dot_partial_f32) KB(dot_partial_f64) KB(sum_f64)
    KB(dot_rows_partial_f32) KB(dot_rows_partial_f64) KB(sum_f64_rows)
    K(add_bias_f32) K(add_bias_f64) KB(sum_rows_f32) KB(sum_rows_f64) KB(sum_rows_partial_f32) KB(sum_rows_partial_f64)
    K(sum_rows_finish_f32) K(sum_rows_finish_f64) K(activation_f32) K(activation_f64)
    K(im2col_f32) K(im2col_f64) K(col2im_f32) K(col2im_f64) K(add_channel_bias_f32) K(add_channel_bias_f64)
    KB(sum_channels_f32) KB(sum_channels_f64) K(max_pool2d_f32) K(max_pool2d_f64) K(gather_indexed_f32) K(gather_indexed_f64)
    K(scatter_indexed_f32) K(scatter_indexed_f64) KB(gram_partial_f32) KB(gram_partial_f64) K(gram_reduce_f64)
    KB(qr_apply_gram_f32) KB(qr_apply_gram_f64) K(qr_apply_f32) K(qr_apply_f64)
    K(activation_backward_f32) K(activation_backward_f64) K(activation_rbackward_f32) K(activation_rbackward_f64)
    KB(softmax_ce_f32) KB(softmax_ce_f64) KB(softmax_ce_r_f32) KB(softmax_ce_r_f64) KB(mse_f32) KB(mse_f64)
    // kernels/transformer.cu (GPT-2)
    K(embedding_forward_f32) K(embedding_forward_f64) KB(embedding_backward_wte_f32) KB(embedding_backward_wte_f64)
    K(embedding_backward_wpe_f32) K(embedding_backward_wpe_f64) KB(layernorm_forward_f32) KB(layernorm_forward_f64)
    KB(layernorm_backward_f32) KB(layernorm_backward_f64) KB(layernorm_param_partial_f32) KB(layernorm_param_partial_f64)
    K(colsum2_finish_f32) K(colsum2_finish_f64) KB(layernorm_rforward_f32) KB(layernorm_rforward_f64)
    KB(layernorm_rbackward_f32) KB(layernorm_rbackward_f64) KB(layernorm_rparam_partial_f32) KB(layernorm_rparam_partial_f64)
    KB(softmax_causal_forward_f32) KB(softmax_causal_forward_f64) KB(softmax_jvp_f32) KB(softmax_jvp_f64)
    KB(softmax_jvp_r_f32) KB(softmax_jvp_r_f64)
    K(adamw_update_f32) K(adamw_update_f64) K(adamw_tangents_f32) K(adamw_tangents_f64)
    // kernels/attention.cu
    KB(attn_fwd_f32) KB(attn_fwd_f64) KB(attn_bwd_dq_f32) KB(attn_bwd_dq_f64) KB(attn_bwd_dkdv_f32) KB(attn_bwd_dkdv_f64)
    KB(attn_rfwd_f32) KB(attn_rfwd_f64) KB(attn_rbwd_dq_f32) KB(attn_rbwd_dq_f64) KB(attn_rbwd_dkdv_f32) KB(attn_rbwd_dkdv_f64)
};
#undef K
#undef KB

}  // namespace

void __syncthreads() {
    int t = current;
    if (t < 0) {
        std::fprintf(stderr, "emulator: __syncthreads in a kernel not marked KB in emu_driver.cpp\n");
        std::abort();
    }
    swapcontext(&threads[t], &scheduler);
}

extern "C" {

CUresult cuGetErrorName(CUresult e, const char** s) {
    static const std::map<int, const char*> names = {{0, "CUDA_SUCCESS"}, {1, "CUDA_ERROR_INVALID_VALUE"},
        {2, "CUDA_ERROR_OUT_OF_MEMORY"}, {200, "CUDA_ERROR_INVALID_IMAGE"}, {500, "CUDA_ERROR_NOT_FOUND"},
        {700, "CUDA_ERROR_ILLEGAL_ADDRESS"}};
    auto it = names.find(e);
    if (it == names.end()) return 1;
    *s = it->second;
    return 0;
}
CUresult cuGetErrorString(CUresult e, const char** s) { return cuGetErrorName(e, s); }
CUresult cuInit(unsigned int) { return 0; }
CUresult cuDriverGetVersion(int* v) { *v = 13000; return 0; }
CUresult cuDeviceGetCount(int* c) { *c = 1; return 0; }
CUresult cuDeviceGet(int* d, int ordinal) { if (ordinal != 0) return 101; *d = 0; return 0; }
CUresult cuDeviceGetName(char* name, int len, int) { std::snprintf(name, len, "eoslab host emulator"); return 0; }
CUresult cuDeviceGetAttribute(int* pi, int attrib, int) {
    *pi = attrib == 75 ? 9 : attrib == 76 ? 0 : attrib == 16 ? 1 : 0;
    return 0;
}
size_t memory_total();
CUresult cuDeviceTotalMem_v2(size_t* bytes, int) { *bytes = memory_total(); return 0; }
CUresult cuDevicePrimaryCtxRetain(void** ctx, int) { *ctx = (void*)0x10; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int) { return 0; }
CUresult cuCtxSetCurrent(void*) { return 0; }
CUresult cuCtxSynchronize(void) { return bad_pointer_errors ? 700 : 0; }
CUresult cuStreamSynchronize(void*) { return cuCtxSynchronize(); }

CUresult cuModuleLoadData(void** module, const void* image) {
    uint32_t magic;
    std::memcpy(&magic, image, 4);
    if (magic != 0xBA55ED50u) return 200;
    *module = (void*)0x20;
    return 0;
}
CUresult cuModuleLoadFatBinary(void** module, const void* image) { return cuModuleLoadData(module, image); }
CUresult cuModuleUnload(void*) { return 0; }

CUresult cuModuleGetFunction(void** f, void*, const char* name) {
    for (const Kernel& k : KERNELS) {
        if (std::strcmp(k.name, name) == 0) {
            *f = (void*)&k;
            return 0;
        }
    }
    return 500;
}

CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void* stream, void** params, void** extra) {
    const Kernel* k = static_cast<const Kernel*>(f);
    // The launch limits of sm_80 and sm_90 (CUDA Programming Guide, "Technical Specifications per
    // Compute Capability"): the real driver refuses a launch past any of them with
    // CUDA_ERROR_INVALID_VALUE, so a launch shape that only the GPU would reject fails here too.
    // Checked one dimension at a time in 64 bits: bx * by * bz can wrap in 32.
    const char* bad = nullptr;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) bad = "a zero grid or block dimension";
    else if (bx > 1024 || by > 1024) bad = "blockDim.x or blockDim.y > 1024";
    else if (bz > 64) bad = "blockDim.z > 64";
    else if ((unsigned long long)bx * by * bz > 1024) bad = "more than 1024 threads per block";
    else if (gx > 2147483647u) bad = "gridDim.x > 2^31 - 1";
    else if (gy > 65535 || gz > 65535) bad = "gridDim.y or gridDim.z > 65535";
    // Dynamic shared memory: 48 KiB per block unless the kernel opted in with
    // cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES), which eoslab never calls.
    // The emulator has no extern __shared__ either, so any nonzero request is refused.
    else if (shared > 48 * 1024) bad = "more than 48 KiB of dynamic shared memory without the opt-in attribute";
    else if (shared != 0) bad = "dynamic shared memory (no eoslab kernel uses it; the emulator cannot provide it)";
    else if (stream != nullptr || extra != nullptr || params == nullptr) bad = "a stream, extra or null kernelParams";
    if (bad != nullptr) {
        std::fprintf(stderr, "emulator: cuLaunchKernel(%s, grid (%u, %u, %u), block (%u, %u, %u), shared %u): %s\n",
                     k->name, gx, gy, gz, bx, by, bz, shared, bad);
        return 1;   // CUDA_ERROR_INVALID_VALUE
    }
    if (!k->check(params)) {
        std::fprintf(stderr, "emulator: %s got a pointer argument outside every allocation\n", k->name);
        bad_pointer_errors++;
        return 700;
    }
    gridDim = dim3{gx, gy, gz};
    blockDim = dim3{bx, by, bz};
    k->launch(params);
    for (unsigned z = 0; z < gz; z++)
        for (unsigned y = 0; y < gy; y++)
            for (unsigned x = 0; x < gx; x++) {
                blockIdx = dim3{x, y, z};
                if (k->barriers) run_block(bx * by * bz);
                else run_block_plain(bx * by * bz);
            }
    return 0;
}

// Device memory: 4 GiB, or EOSLAB_EMULATOR_MEMORY bytes, so tests can run the allocator out of memory.
size_t memory_total() {
    static const size_t total = [] {
        const char* e = std::getenv("EOSLAB_EMULATOR_MEMORY");
        return e != nullptr ? (size_t)std::strtoull(e, nullptr, 10) : size_t(1) << 32;
    }();
    return total;
}
size_t memory_used = 0;

CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    if (bytes == 0) return 1;
    size_t r = (bytes + 255) / 256 * 256;
    if (r > memory_total() - memory_used) return 2;   // CUDA_ERROR_OUT_OF_MEMORY
    void* q = std::aligned_alloc(256, r);
    if (q == nullptr) return 2;
    std::memset(q, 0xFF, r);
    allocations[(uintptr_t)q] = bytes;
    memory_used += r;
    *p = (CUdeviceptr)(uintptr_t)q;
    return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
    auto it = allocations.find((uintptr_t)p);
    if (it == allocations.end()) return 1;
    memory_used -= (it->second + 255) / 256 * 256;
    allocations.erase(it);
    std::free((void*)(uintptr_t)p);
    return 0;
}
CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
    *total = memory_total();
    *free = memory_total() - memory_used;
    return 0;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void* s, size_t n) {
    if (!inside(d, n)) return 1;
    std::memcpy((void*)(uintptr_t)d, s, n);
    return 0;
}
CUresult cuMemcpyDtoH_v2(void* d, CUdeviceptr s, size_t n) {
    if (!inside(s, n)) return 1;
    std::memcpy(d, (void*)(uintptr_t)s, n);
    return bad_pointer_errors ? 700 : 0;
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr s, size_t n) {
    if (!inside(d, n) || !inside(s, n)) return 1;
    std::memmove((void*)(uintptr_t)d, (void*)(uintptr_t)s, n);
    return 0;
}
CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char c, size_t n) {
    if (!inside(d, n)) return 1;
    std::memset((void*)(uintptr_t)d, c, n);
    return 0;
}

// What the emulator's own checks found (the host-side JNI-free test reads nothing else).
int eoslabEmulatorBadPointers(void) { return bad_pointer_errors; }
}
