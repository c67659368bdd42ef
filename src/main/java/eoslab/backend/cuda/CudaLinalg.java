package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import eoslab.dynamics.qr.QrPath;
import eoslab.dynamics.qr.QrResult;
import eoslab.dynamics.qr.TallQr;
import eoslab.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Dense factorizations on the GPU with cuSOLVER, for what the Backend interface leaves to the
 * host: the QR step of the Benettin/Lyapunov tracker (SPEC §4) and symmetric eigendecompositions
 * (exact sharpness dimension from full minibatch Hessians, SPEC §3).
 *
 * <p>Layouts are chosen so no transpose is needed. cuSOLVER is column-major: k vectors of length
 * d stored one after another (eoslab's "k blocks of n" layout) are exactly a column-major d × k
 * matrix with ld = d; a symmetric row-major matrix is its own transpose.
 */
public final class CudaLinalg implements AutoCloseable {
    private final CudaBackend gpu;
    private final MemorySegment handle;
    private boolean closed;

    private CudaLinalg(CudaBackend gpu, MemorySegment handle) {
        this.gpu = gpu;
        this.handle = handle;
    }

    /** A cuSOLVER handle on {@code gpu}'s context; throws {@link CudaUnavailableException} without libcusolver. */
    public static CudaLinalg open(CudaBackend gpu) {
        gpu.enter();
        Cusolver.LIB.require();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            CudaStatus.check("cusolverDnCreate", Cusolver.cusolverDnCreate(p));
            return new CudaLinalg(gpu, p.get(ADDRESS, 0));
        }
    }

    /**
     * Thin QR of the k vectors of length d held one after another in {@code v} (k blocks of d):
     * V = Q R with Q's columns orthonormal. {@code v} is overwritten with Q (same layout); returns
     * R (k × k, upper triangular, row-major) on the host, whose diagonal gives the ln|R_ii| of the
     * Benettin method. cuSOLVER geqrf (Householder) + orgqr. Requires d ≥ k.
     */
    public double[] qr(Tensor v, int k, int d) {
        gpu.enter();
        if (k < 1 || d < k) throw new IllegalArgumentException("qr needs 1 <= k <= d, got k = " + k + ", d = " + d);
        if (v.size < (long) k * d) throw new IllegalArgumentException("qr: " + v + " holds fewer than " + k + " x " + d);
        checkInt32(d, k);
        boolean f32 = f32(v);
        long es = v.dtype.bytes;
        MemorySegment A = MemorySegment.ofAddress(gpu.addr(v));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment lw = a.allocate(JAVA_INT);
            CudaStatus.check(f32 ? "cusolverDnSgeqrf_bufferSize" : "cusolverDnDgeqrf_bufferSize", f32
                    ? Cusolver.cusolverDnSgeqrf_bufferSize(handle, d, k, A, d, lw)
                    : Cusolver.cusolverDnDgeqrf_bufferSize(handle, d, k, A, d, lw));
            int lwork = lw.get(JAVA_INT, 0);
            if (lwork < 0) throw new IllegalStateException("cuSOLVER geqrf workspace size overflowed (" + lwork + ") for d = " + d + ", k = " + k);
            DevicePointer tau = gpu.allocateBytes(k * es);
            DevicePointer info = gpu.allocateBytes(4);
            MemorySegment T = MemorySegment.ofAddress(tau.address()), I = MemorySegment.ofAddress(info.address());
            DevicePointer work = gpu.allocateBytes(Math.max(1, lwork) * es);
            MemorySegment W = MemorySegment.ofAddress(work.address());
            CudaStatus.check(f32 ? "cusolverDnSgeqrf" : "cusolverDnDgeqrf", f32
                    ? Cusolver.cusolverDnSgeqrf(handle, d, k, A, d, T, W, lwork, I)
                    : Cusolver.cusolverDnDgeqrf(handle, d, k, A, d, T, W, lwork, I));
            checkInfo(f32 ? "cusolverDnSgeqrf" : "cusolverDnDgeqrf", info, a);
            // R is the upper triangle of the first k rows: column j holds R[0..j, j] at j*d.
            double[] r = new double[k * k];
            MemorySegment col = a.allocate(k * es, 8);
            for (int j = 0; j < k; j++) {
                CudaStatus.check("cuMemcpyDtoH_v2", CudaDriver.cuMemcpyDtoH_v2(col, gpu.addr(v) + (long) j * d * es, (j + 1) * es));
                for (int i = 0; i <= j; i++) r[i * k + j] = f32 ? col.getAtIndex(JAVA_FLOAT, i) : col.getAtIndex(JAVA_DOUBLE, i);
            }
            CudaStatus.check(f32 ? "cusolverDnSorgqr_bufferSize" : "cusolverDnDorgqr_bufferSize", f32
                    ? Cusolver.cusolverDnSorgqr_bufferSize(handle, d, k, k, A, d, T, lw)
                    : Cusolver.cusolverDnDorgqr_bufferSize(handle, d, k, k, A, d, T, lw));
            int lwork2 = lw.get(JAVA_INT, 0);
            if (lwork2 < 0) throw new IllegalStateException("cuSOLVER orgqr workspace size overflowed (" + lwork2 + ") for d = " + d + ", k = " + k);
            if (lwork2 > lwork) {
                work = gpu.allocateBytes(lwork2 * es);
                W = MemorySegment.ofAddress(work.address());
                lwork = lwork2;
            }
            CudaStatus.check(f32 ? "cusolverDnSorgqr" : "cusolverDnDorgqr", f32
                    ? Cusolver.cusolverDnSorgqr(handle, d, k, k, A, d, T, W, lwork, I)
                    : Cusolver.cusolverDnDorgqr(handle, d, k, k, A, d, T, W, lwork, I));
            checkInfo(f32 ? "cusolverDnSorgqr" : "cusolverDnDorgqr", info, a);
            java.lang.ref.Reference.reachabilityFence(work);
            java.lang.ref.Reference.reachabilityFence(tau);
            return r;
        }
    }

    /**
     * Whether cuSOLVER's 32-bit (S/D) QR can take d × k: its indices are ints, and past 2^31 elements
     * it fails (an overflowed workspace size, a huge allocation or an illegal address: PyTorch issue
     * 134326 sees it even on the 64-bit API), so such sizes are refused before any call.
     */
    public static boolean fits(long d, int k) {
        return d * k <= Integer.MAX_VALUE;
    }

    private static void checkInt32(long d, int k) {
        if (!fits(d, k)) {
            throw new IllegalArgumentException("cuSOLVER QR: d·k = " + d * k + " elements exceeds its 32-bit indexing (2^31 − 1); CholeskyQR2 (--qr cholqr2) has no such limit");
        }
    }

    /**
     * cuSOLVER Householder as a {@link TallQr}: the fallback of CholeskyQR2 on a CUDA backend, so V
     * stays on the device (only R, k × k, comes to the host). R is normalized to R_jj &gt;= 0 like
     * {@link eoslab.dynamics.qr.HouseholderQr} (row j of R and column j of Q negated where geqrf gave
     * R_jj &lt; 0), so both paths give the same Q. A cuSOLVER handle is opened per call: the
     * fallback is rare, and the tracker then needs no cleanup.
     */
    public static TallQr householder(CudaBackend gpu, long d, int k) {
        if (k < 1 || d < k) throw new IllegalArgumentException("QR needs 1 <= k <= d, got k=" + k + ", d=" + d);
        checkInt32(d, k);
        return new TallQr() {
            @Override
            public long d() {
                return d;
            }

            @Override
            public int k() {
                return k;
            }

            @Override
            public QrResult factor(Tensor v) {
                TallQr.checkShape(v, d, k);
                double[] r;
                try (CudaLinalg la = open(gpu)) {
                    r = la.qr(v, k, (int) d);
                }
                for (int j = 0; j < k; j++) {
                    if (r[j * k + j] >= 0) continue;
                    for (int l = j; l < k; l++) r[j * k + l] = -r[j * k + l];
                    gpu.scale(v.view(j * d, d), -1);
                }
                return new QrResult(r, k, QrPath.HOUSEHOLDER, Double.NaN, null);
            }
        };
    }

    /**
     * Eigendecomposition of the symmetric (n, n) matrix {@code a} (row-major = column-major):
     * eigenvalues ascending into {@code w} (n), and, when {@code vectors}, {@code a} is overwritten
     * with the eigenvectors, eigenvector i being row i of {@code a}. cuSOLVER syevd (divide and
     * conquer). cuSOLVER reads the lower triangle of the column-major matrix, which is the UPPER
     * triangle (j >= i) of the row-major {@code a}; the strict lower triangle is ignored.
     */
    public void eigh(Tensor a, int n, Tensor w, boolean vectors) {
        gpu.enter();
        if (n < 1 || a.size < (long) n * n || w.size < n) throw new IllegalArgumentException("eigh: need an (n, n) matrix and n eigenvalues, n = " + n);
        if (a.dtype != w.dtype) throw new IllegalArgumentException("dtype mismatch: " + a + " vs " + w);
        boolean f32 = f32(a);
        long es = a.dtype.bytes;
        int jobz = vectors ? Cusolver.CUSOLVER_EIG_MODE_VECTOR : Cusolver.CUSOLVER_EIG_MODE_NOVECTOR;
        int uplo = Cusolver.CUBLAS_FILL_MODE_LOWER;
        MemorySegment A = MemorySegment.ofAddress(gpu.addr(a)), Wv = MemorySegment.ofAddress(gpu.addr(w));
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment lw = ar.allocate(JAVA_INT);
            CudaStatus.check(f32 ? "cusolverDnSsyevd_bufferSize" : "cusolverDnDsyevd_bufferSize", f32
                    ? Cusolver.cusolverDnSsyevd_bufferSize(handle, jobz, uplo, n, A, n, Wv, lw)
                    : Cusolver.cusolverDnDsyevd_bufferSize(handle, jobz, uplo, n, A, n, Wv, lw));
            int lwork = lw.get(JAVA_INT, 0);
            DevicePointer work = gpu.allocateBytes(Math.max(1, lwork) * es), info = gpu.allocateBytes(4);
            MemorySegment W = MemorySegment.ofAddress(work.address()), I = MemorySegment.ofAddress(info.address());
            CudaStatus.check(f32 ? "cusolverDnSsyevd" : "cusolverDnDsyevd", f32
                    ? Cusolver.cusolverDnSsyevd(handle, jobz, uplo, n, A, n, Wv, W, lwork, I)
                    : Cusolver.cusolverDnDsyevd(handle, jobz, uplo, n, A, n, Wv, W, lwork, I));
            checkInfo(f32 ? "cusolverDnSsyevd" : "cusolverDnDsyevd", info, ar);
            java.lang.ref.Reference.reachabilityFence(work);
        }
    }

    private static boolean f32(Tensor t) {
        return switch (t.dtype) {
            case F32 -> true;
            case F64 -> false;
            case I32 -> throw new IllegalArgumentException("needs an F32 or F64 tensor, got " + t);
        };
    }

    /** LAPACK's info: 0 ok, -i argument i illegal, +i (syevd) i off-diagonals did not converge. */
    private static void checkInfo(String call, DevicePointer info, Arena a) {
        MemorySegment h = a.allocate(JAVA_INT);
        CudaStatus.check("cuMemcpyDtoH_v2", CudaDriver.cuMemcpyDtoH_v2(h, info.address(), 4));
        int v = h.get(JAVA_INT, 0);
        if (v != 0) {
            throw new CudaException(call, v, call + " failed: devInfo = " + v
                    + (v < 0 ? " (argument " + -v + " is illegal)" : " (" + v + " off-diagonal elements did not converge)"));
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        gpu.enter();
        CudaStatus.check("cusolverDnDestroy", Cusolver.cusolverDnDestroy(handle));
    }

}
