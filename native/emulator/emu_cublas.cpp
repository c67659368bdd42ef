// A host emulator of the cuBLAS subset eoslab binds (libcublas.so.13): the reference
// column-major GEMM of the BLAS specification, with cuBLAS's argument checks
// (CUBLAS_STATUS_INVALID_VALUE = 7 for a leading dimension below the stored row count) and
// beta == 0 not reading C. Running CudaBackend against it checks the row-major -> column-major
// operand swap (C^T = op(B)^T op(A)^T) on machines without a GPU.
//
// cublasGemmEx / cublasGemmStridedBatchedEx: float32 storage only (CUDA_R_32F); the compute types
// CUBLAS_COMPUTE_32F_FAST_16BF and _FAST_TF32 round both operands to nearest even to bfloat16 or
// TF32 exactly as eoslab's CpuGemm does (eoslab.backend.GemmPrecision.roundBits) and accumulate in
// float32; CUBLAS_COMPUTE_32F(_PEDANTIC) does not round. Real cuBLAS may instead pick which operands
// it converts, and may use TF32 under FAST_16BF: only the GPU parity run checks that side.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "emu_gemm.h"

namespace {
struct Handle {
    int magic = 0x0b1a5;
};

template <typename T>
int gemm(void* h, int ta, int tb, int m, int n, int k, const T* alpha, const T* A, int lda, const T* B, int ldb,
         const T* beta, T* C, int ldc, int drop = 0) {
    if (h == nullptr || static_cast<Handle*>(h)->magic != 0x0b1a5) return 1;   // NOT_INITIALIZED
    if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1)) return 7;
    if (m < 0 || n < 0 || k < 0) return 7;
    // op(A) is m x k: A is stored m x k (N) or k x m (T), column-major, lda >= its row count.
    if (lda < std::max(1, ta == 0 ? m : k)) return 7;
    if (ldb < std::max(1, tb == 0 ? k : n)) return 7;
    if (ldc < std::max(1, m)) return 7;
    gemm_core(ta, tb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc, drop, static_cast<const T*>(nullptr));
    return 0;
}

template <typename T>
int gemm_strided(void* h, int ta, int tb, int m, int n, int k, const T* alpha, const T* A, int lda, long long sA,
                 const T* B, int ldb, long long sB, const T* beta, T* C, int ldc, long long sC, int batch, int drop = 0) {
    if (batch < 0) return 7;
    for (int b = 0; b < batch; b++) {
        int st = gemm(h, ta, tb, m, n, k, alpha, A + b * sA, lda, B + b * sB, ldb, beta, C + b * sC, ldc, drop);
        if (st != 0) return st;
    }
    return 0;
}
constexpr int CUDA_R_32F = 0;
constexpr int CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_PEDANTIC = 69, CUBLAS_COMPUTE_32F_FAST_16BF = 75,
              CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
constexpr int CUBLAS_GEMM_DEFAULT = -1, CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99;

// The bits a compute type drops from float32 operands, or -1 for what the emulator does not
// support (other storage types, 16F/64F/32I compute, explicit algorithms): CUBLAS_STATUS_NOT_SUPPORTED.
int ex_drop(int at, int bt, int ct, int compute, int algo) {
    if (at != CUDA_R_32F || bt != CUDA_R_32F || ct != CUDA_R_32F) return -1;
    if (algo != CUBLAS_GEMM_DEFAULT && algo != CUBLAS_GEMM_DEFAULT_TENSOR_OP) return -1;
    switch (compute) {
        case CUBLAS_COMPUTE_32F:
        case CUBLAS_COMPUTE_32F_PEDANTIC: return 0;
        case CUBLAS_COMPUTE_32F_FAST_16BF: return 16;
        case CUBLAS_COMPUTE_32F_FAST_TF32: return 13;
        default: return -1;
    }
}
}  // namespace

extern "C" {
int cublasCreate_v2(void** handle) { *handle = new Handle(); return 0; }
int cublasDestroy_v2(void* handle) { delete static_cast<Handle*>(handle); return 0; }
int cublasGetVersion_v2(void*, int* v) { *v = 130000; return 0; }
int cublasGetProperty(int type, int* v) {
    if (type < 0 || type > 2) return 7;
    *v = type == 0 ? 13 : 0;
    return 0;
}
int cublasSetStream_v2(void*, void*) { return 0; }
int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda, const float* B,
                   int ldb, const float* beta, float* C, int ldc) {
    return gemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
int cublasDgemm_v2(void* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* A, int lda,
                   const double* B, int ldb, const double* beta, double* C, int ldc) {
    return gemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
int cublasSgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                              long long sA, const float* B, int ldb, long long sB, const float* beta, float* C, int ldc,
                              long long sC, int batch) {
    return gemm_strided(h, ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, batch);
}
int cublasDgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* A, int lda,
                              long long sA, const double* B, int ldb, long long sB, const double* beta, double* C, int ldc,
                              long long sC, int batch) {
    return gemm_strided(h, ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, batch);
}
int cublasGemmEx(void* h, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int Atype, int lda,
                 const void* B, int Btype, int ldb, const void* beta, void* C, int Ctype, int ldc, int compute, int algo) {
    int drop = ex_drop(Atype, Btype, Ctype, compute, algo);
    if (drop < 0) return 15;   // NOT_SUPPORTED
    return gemm(h, ta, tb, m, n, k, static_cast<const float*>(alpha), static_cast<const float*>(A), lda,
                static_cast<const float*>(B), ldb, static_cast<const float*>(beta), static_cast<float*>(C), ldc, drop);
}
int cublasGemmStridedBatchedEx(void* h, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int Atype,
                               int lda, long long sA, const void* B, int Btype, int ldb, long long sB, const void* beta,
                               void* C, int Ctype, int ldc, long long sC, int batch, int compute, int algo) {
    int drop = ex_drop(Atype, Btype, Ctype, compute, algo);
    if (drop < 0) return 15;
    return gemm_strided(h, ta, tb, m, n, k, static_cast<const float*>(alpha), static_cast<const float*>(A), lda, sA,
                        static_cast<const float*>(B), ldb, sB, static_cast<const float*>(beta), static_cast<float*>(C), ldc,
                        sC, batch, drop);
}
}
