// The reference column-major GEMM shared by the cuBLAS and cuBLASLt emulators (emu_cublas.cpp,
// emu_cublaslt.cpp): C = alpha op(A) op(B) + beta C, accumulating in T in the order p = 0..k-1, beta == 0
// not reading C, then (cuBLASLt's bias epilogue) C[i, j] += bias[i]. Operands may be rounded to
// bfloat16 / TF32 first (drop bits), exactly as eoslab's CpuGemm does.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace {
// Round-to-nearest-even of a float32 to 32 - drop bits (drop 16: bfloat16, 13: TF32, 0: none).
// NaN stays NaN (quiet); the carry of a round-up may reach the exponent (up to Inf), as it should.
inline float round_operand(float x, int drop) {
    if (drop == 0) return x;
    uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    uint32_t mask = ~((1u << drop) - 1u);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        bits = (bits | 0x00400000u) & mask;
    } else {
        uint32_t lsb = (bits >> drop) & 1u;
        bits = (bits + (1u << (drop - 1)) - 1u + lsb) & mask;
    }
    std::memcpy(&x, &bits, sizeof x);
    return x;
}
inline double round_operand(double x, int) { return x; }   // F64 GEMMs are never rounded

template <typename T>
void gemm_core(int ta, int tb, int m, int n, int k, T alpha, const T* A, int lda, const T* B, int ldb, T beta, T* C, int ldc,
               int drop, const T* bias) {
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            T acc = 0;
            for (int p = 0; p < k; p++) {
                T a = round_operand(ta == 0 ? A[i + (size_t)p * lda] : A[p + (size_t)i * lda], drop);
                T b = round_operand(tb == 0 ? B[p + (size_t)j * ldb] : B[j + (size_t)p * ldb], drop);
                acc += a * b;
            }
            T& c = C[i + (size_t)j * ldc];
            c = beta == 0 ? alpha * acc : alpha * acc + beta * c;
            if (bias != nullptr) c = c + bias[i];
        }
    }
}
}  // namespace
