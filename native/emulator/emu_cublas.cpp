// A host emulator of the cuBLAS subset eoslab binds (libcublas.so.13): the reference
// column-major GEMM of the BLAS specification, with cuBLAS's argument checks
// (CUBLAS_STATUS_INVALID_VALUE = 7 for a leading dimension below the stored row count) and
// beta == 0 not reading C. Running CudaBackend against it checks the row-major -> column-major
// operand swap (C^T = op(B)^T op(A)^T) on machines without a GPU.
#include <algorithm>
#include <cstddef>

namespace {
struct Handle {
    int magic = 0x0b1a5;
};

template <typename T>
int gemm(void* h, int ta, int tb, int m, int n, int k, const T* alpha, const T* A, int lda, const T* B, int ldb,
         const T* beta, T* C, int ldc) {
    if (h == nullptr || static_cast<Handle*>(h)->magic != 0x0b1a5) return 1;   // NOT_INITIALIZED
    if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1)) return 7;
    if (m < 0 || n < 0 || k < 0) return 7;
    // op(A) is m x k: A is stored m x k (N) or k x m (T), column-major, lda >= its row count.
    if (lda < std::max(1, ta == 0 ? m : k)) return 7;
    if (ldb < std::max(1, tb == 0 ? k : n)) return 7;
    if (ldc < std::max(1, m)) return 7;
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            T acc = 0;
            for (int p = 0; p < k; p++) {
                T a = ta == 0 ? A[i + (size_t)p * lda] : A[p + (size_t)i * lda];
                T b = tb == 0 ? B[p + (size_t)j * ldb] : B[j + (size_t)p * ldb];
                acc += a * b;
            }
            T& c = C[i + (size_t)j * ldc];
            c = *beta == 0 ? *alpha * acc : *alpha * acc + *beta * c;
        }
    }
    return 0;
}

template <typename T>
int gemm_strided(void* h, int ta, int tb, int m, int n, int k, const T* alpha, const T* A, int lda, long long sA,
                 const T* B, int ldb, long long sB, const T* beta, T* C, int ldc, long long sC, int batch) {
    if (batch < 0) return 7;
    for (int b = 0; b < batch; b++) {
        int st = gemm(h, ta, tb, m, n, k, alpha, A + b * sA, lda, B + b * sB, ldb, beta, C + b * sC, ldc);
        if (st != 0) return st;
    }
    return 0;
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
}
