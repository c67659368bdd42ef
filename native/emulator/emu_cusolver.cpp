// A host emulator of the dense cuSOLVER subset eoslab binds (libcusolver.so.12): Householder QR
// (geqrf, LAPACK's storage of reflectors and tau) with orgqr, and a cyclic Jacobi symmetric
// eigensolver standing in for syevd (ascending eigenvalues, eigenvectors in the columns,
// column-major). It checks CudaLinalg's layouts and its R extraction without a GPU; it is not
// cuSOLVER's algorithm and says nothing about cuSOLVER's accuracy.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace {
struct Handle {
    int magic = 0x501e;
};
bool ok(void* h) { return h != nullptr && static_cast<Handle*>(h)->magic == 0x501e; }

template <typename T>
int geqrf(void* h, int m, int n, T* A, int lda, T* tau, T* work, int lwork, int* info) {
    if (!ok(h)) return 1;
    if (m < 0 || n < 0 || lda < std::max(1, m) || work == nullptr || lwork < 1) return 3;
    for (int j = 0; j < std::min(m, n); j++) {
        T* x = A + (size_t)j * lda;
        double norm = 0;
        for (int i = j; i < m; i++) norm += (double)x[i] * x[i];
        norm = std::sqrt(norm);
        double alpha = x[j];
        if (norm == 0) { tau[j] = 0; continue; }
        double beta = alpha >= 0 ? -norm : norm;
        for (int i = j + 1; i < m; i++) x[i] = (T)(x[i] / (alpha - beta));
        tau[j] = (T)((beta - alpha) / beta);
        x[j] = (T)beta;
        for (int c = j + 1; c < n; c++) {           // A[j:, c] -= tau v (v^T A[j:, c]), v = [1, x[j+1:]]
            T* y = A + (size_t)c * lda;
            double s = y[j];
            for (int i = j + 1; i < m; i++) s += (double)x[i] * y[i];
            s *= tau[j];
            y[j] = (T)(y[j] - s);
            for (int i = j + 1; i < m; i++) y[i] = (T)(y[i] - s * x[i]);
        }
    }
    *info = 0;
    return 0;
}

template <typename T>
int orgqr(void* h, int m, int n, int k, T* A, int lda, const T* tau, T* work, int lwork, int* info) {
    if (!ok(h)) return 1;
    if (m < 0 || n < 0 || n > m || k < 0 || k > n || lda < std::max(1, m) || work == nullptr || lwork < 1) return 3;
    std::vector<double> Q((size_t)m * n, 0.0), v(m);
    for (int j = 0; j < n; j++) Q[j + (size_t)j * m] = 1;
    for (int j = k - 1; j >= 0; j--) {               // Q = H_0 ... H_{k-1} I
        v[j] = 1;
        for (int i = j + 1; i < m; i++) v[i] = A[i + (size_t)j * lda];
        for (int c = 0; c < n; c++) {
            double s = 0;
            for (int i = j; i < m; i++) s += v[i] * Q[i + (size_t)c * m];
            s *= tau[j];
            for (int i = j; i < m; i++) Q[i + (size_t)c * m] -= s * v[i];
        }
    }
    for (int c = 0; c < n; c++)
        for (int i = 0; i < m; i++) A[i + (size_t)c * lda] = (T)Q[i + (size_t)c * m];
    *info = 0;
    return 0;
}

template <typename T>
int syevd(void* h, int jobz, int uplo, int n, T* A, int lda, T* W, T* work, int lwork, int* info) {
    if (!ok(h)) return 1;
    if ((jobz != 0 && jobz != 1) || (uplo != 0 && uplo != 1) || n < 0 || lda < std::max(1, n) || work == nullptr || lwork < 1) return 3;
    std::vector<double> a((size_t)n * n), V((size_t)n * n, 0.0);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            bool stored = uplo == 0 ? i >= j : i <= j;     // read only the named triangle
            a[i + (size_t)j * n] = stored ? A[i + (size_t)j * lda] : A[j + (size_t)i * lda];
        }
    for (int i = 0; i < n; i++) V[i + (size_t)i * n] = 1;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) off += a[p + (size_t)q * n] * a[p + (size_t)q * n];
        if (off < 1e-30) break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[p + (size_t)q * n];
                if (apq == 0) continue;
                double theta = (a[q + (size_t)q * n] - a[p + (size_t)p * n]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
                double c = 1 / std::sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) {            // columns p, q
                    double akp = a[k + (size_t)p * n], akq = a[k + (size_t)q * n];
                    a[k + (size_t)p * n] = c * akp - s * akq;
                    a[k + (size_t)q * n] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) {            // rows p, q
                    double apk = a[p + (size_t)k * n], aqk = a[q + (size_t)k * n];
                    a[p + (size_t)k * n] = c * apk - s * aqk;
                    a[q + (size_t)k * n] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) {
                    double vkp = V[k + (size_t)p * n], vkq = V[k + (size_t)q * n];
                    V[k + (size_t)p * n] = c * vkp - s * vkq;
                    V[k + (size_t)q * n] = s * vkp + c * vkq;
                }
            }
    }
    std::vector<int> order(n);
    for (int i = 0; i < n; i++) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int x, int y) { return a[x + (size_t)x * n] < a[y + (size_t)y * n]; });
    for (int r = 0; r < n; r++) {
        int c = order[r];
        W[r] = (T)a[c + (size_t)c * n];
        if (jobz == 1)
            for (int i = 0; i < n; i++) A[i + (size_t)r * lda] = (T)V[i + (size_t)c * n];
    }
    *info = 0;
    return 0;
}
}  // namespace

extern "C" {
int cusolverGetProperty(int type, int* v) { if (type < 0 || type > 2) return 3; *v = type == 0 ? 12 : 0; return 0; }
int cusolverGetVersion(int* v) { *v = 12000; return 0; }
int cusolverDnCreate(void** h) { *h = new Handle(); return 0; }
int cusolverDnDestroy(void* h) { delete static_cast<Handle*>(h); return 0; }
int cusolverDnSetStream(void*, void*) { return 0; }
int cusolverDnSgeqrf_bufferSize(void* h, int m, int n, float*, int, int* lw) { *lw = std::max(1, n); return ok(h) ? 0 : 1; }
int cusolverDnDgeqrf_bufferSize(void* h, int m, int n, double*, int, int* lw) { *lw = std::max(1, n); return ok(h) ? 0 : 1; }
int cusolverDnSgeqrf(void* h, int m, int n, float* A, int lda, float* tau, float* w, int lw, int* info) { return geqrf(h, m, n, A, lda, tau, w, lw, info); }
int cusolverDnDgeqrf(void* h, int m, int n, double* A, int lda, double* tau, double* w, int lw, int* info) { return geqrf(h, m, n, A, lda, tau, w, lw, info); }
int cusolverDnSorgqr_bufferSize(void* h, int, int n, int, const float*, int, const float*, int* lw) { *lw = std::max(1, n); return ok(h) ? 0 : 1; }
int cusolverDnDorgqr_bufferSize(void* h, int, int n, int, const double*, int, const double*, int* lw) { *lw = std::max(1, n); return ok(h) ? 0 : 1; }
int cusolverDnSorgqr(void* h, int m, int n, int k, float* A, int lda, const float* tau, float* w, int lw, int* info) { return orgqr(h, m, n, k, A, lda, tau, w, lw, info); }
int cusolverDnDorgqr(void* h, int m, int n, int k, double* A, int lda, const double* tau, double* w, int lw, int* info) { return orgqr(h, m, n, k, A, lda, tau, w, lw, info); }
int cusolverDnSsyevd_bufferSize(void* h, int, int, int n, const float*, int, const float*, int* lw) { *lw = std::max(1, n); return ok(h) ? 0 : 1; }
int cusolverDnDsyevd_bufferSize(void* h, int, int, int n, const double*, int, const double*, int* lw) { *lw = std::max(1, n); return ok(h) ? 0 : 1; }
int cusolverDnSsyevd(void* h, int jobz, int uplo, int n, float* A, int lda, float* W, float* w, int lw, int* info) { return syevd(h, jobz, uplo, n, A, lda, W, w, lw, info); }
int cusolverDnDsyevd(void* h, int jobz, int uplo, int n, double* A, int lda, double* W, double* w, int lw, int* info) { return syevd(h, jobz, uplo, n, A, lda, W, w, lw, info); }
}
