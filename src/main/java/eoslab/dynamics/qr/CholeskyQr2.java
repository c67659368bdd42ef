package eoslab.dynamics.qr;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * CholeskyQR2 (Fukaya, Nakatsukasa, Yanagisawa, Yamamoto 2014; Yamamoto et al. 2015) with float64
 * Gram matrices and a guarded fallback to {@link HouseholderQr}. The heavy work is one (k, k)·(k, d)
 * GEMM per pass on the backend; only k×k numbers cross to the host (on a GPU: cuBLAS GEMM, the
 * one-pass Gram of kernels/gram.cu, cuSOLVER Householder as the fallback; issue #5). On host arrays
 * (the CPU backend) each GEMM is fused with the Gram that follows it ({@link HostPasses}).
 *
 * <pre>
 *   G1 = VᵀV,  R1 = chol(G1),  W = V R1⁻¹          pass 1 (V kept for the fallback)
 *   G2 = WᵀW,  R2 = chol(G2),  V ← W R2⁻¹,  R = R2 R1   pass 2
 *   e  = ‖VᵀV − I‖_F  (float64)                    check
 * </pre>
 *
 * One pass loses orthogonality like κ(V)²·u (it squares the condition number); the second pass
 * repairs it to O(u) as long as W is not far from orthonormal, i.e. κ(V) ≲ u^{-1/2}. So it falls
 * back to Householder on the untouched V when chol(G1) or chol(G2) breaks down or ‖G2 − I‖_F &gt; 1/2
 * (κ(W) &gt; √3: pass 2 is no longer guaranteed); and when the final check exceeds the bound it
 * re-orthonormalizes the computed Q with Householder and folds that R into R (V = Q R still holds,
 * Q is well conditioned there, so this is accurate).
 */
public final class CholeskyQr2 implements TallQr {
    /** ‖G2 − I‖_F above which pass 2 is not trusted (κ(W)² ≤ (1+½)/(1−½) = 3 below it). */
    static final double PASS1_LIMIT = 0.5;

    private final Backend backend;
    private final DType dtype;
    private final long d;
    private final int k;
    private final double orthoBound;
    private final Tensor work; // (k, d) row-major: W of pass 1
    private final TallQr householder;

    /** CholeskyQR2 falling back to the host {@link HouseholderQr}. */
    public CholeskyQr2(Backend backend, DType dtype, long d, int k, double orthoBound) {
        this(backend, dtype, d, k, orthoBound, null);
    }

    /**
     * CholeskyQR2 falling back to {@code householder} (a Householder QR on the same backend that
     * leaves R_jj &gt;= 0, e.g. cuSOLVER's on a GPU so V never leaves the device), or to the host
     * {@link HouseholderQr} when null.
     */
    public CholeskyQr2(Backend backend, DType dtype, long d, int k, double orthoBound, TallQr householder) {
        if (k < 1 || d < k) throw new IllegalArgumentException("QR needs 1 <= k <= d, got k=" + k + ", d=" + d);
        if (d > Integer.MAX_VALUE) throw new IllegalArgumentException("CholeskyQR2: vector length " + d + " exceeds the GEMM int range");
        if (!(orthoBound > 0)) throw new IllegalArgumentException("CholeskyQR2: orthogonality bound must be > 0, got " + orthoBound);
        this.backend = backend;
        this.dtype = dtype;
        this.d = d;
        this.k = k;
        this.orthoBound = orthoBound;
        this.work = backend.zeros(dtype, d * k);
        if (householder != null && (householder.d() != d || householder.k() != k)) {
            throw new IllegalArgumentException("CholeskyQR2: fallback QR is for (" + householder.d() + ", " + householder.k() + "), not (" + d + ", " + k + ")");
        }
        this.householder = householder != null ? householder : new HouseholderQr(backend, d, k);
    }

    /**
     * Default bound on {@code ‖QᵀQ − I‖_F}: CholeskyQR2 reaches a few units of roundoff times k, so
     * 1e-10 in float64; a float32 Q rounded to 2^-24 cannot do better than ~k·6e-8, so 1e-4.
     */
    public static double defaultBound(DType dtype) {
        return dtype == DType.F64 ? 1e-10 : 1e-4;
    }

    public double orthoBound() {
        return orthoBound;
    }

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
        if (v.dtype != dtype) throw new IllegalArgumentException("CholeskyQR2 built for " + dtype + ", got " + v.dtype);

        // Host arrays (CPU backend): the fused blocked passes of HostPasses, 3 reads of V instead of 5.
        boolean host = HostPasses.applies(v) && HostPasses.applies(work);
        double[] r1 = choleskyUpper(host ? HostPasses.gram(v, (int) d, k) : Gram.of(backend, v, d, k), k);
        if (r1 == null) return fallback(v, "Gram matrix VᵀV not numerically positive definite");
        double[] g2 = host ? HostPasses.solveAndGram(v, invertUpper(r1, k), work, (int) d, k) : multiplyByInverseAndGram(v, r1, work);
        double e1 = Gram.offIdentity(g2, k);
        if (!(e1 <= PASS1_LIMIT)) return fallback(v, "pass 1 lost orthogonality: ‖WᵀW − I‖_F = " + e1);
        double[] r2 = choleskyUpper(g2, k);
        if (r2 == null) return fallback(v, "Gram matrix WᵀW not numerically positive definite");
        double[] g3 = host ? HostPasses.solveAndGram(work, invertUpper(r2, k), v, (int) d, k) : multiplyByInverseAndGram(work, r2, v);
        double[] r = upperTimesUpper(r2, r1, k);

        double e = Gram.offIdentity(g3, k);
        if (!(e <= orthoBound)) {
            // V = Q R with Q well conditioned (κ ≤ √3·(1+O(u))): Householder on Q is accurate.
            QrResult h = householder.factor(v);
            return new QrResult(upperTimesUpper(h.r(), r, k), k, QrPath.HOUSEHOLDER_FALLBACK, e,
                    "‖QᵀQ − I‖_F = " + e + " after two passes exceeds the bound " + orthoBound);
        }
        return new QrResult(r, k, QrPath.CHOLESKY_QR2, e, null);
    }

    private QrResult fallback(Tensor v, String reason) {
        QrResult h = householder.factor(v);
        return new QrResult(h.r(), k, QrPath.HOUSEHOLDER_FALLBACK, Double.NaN, reason);
    }

    /**
     * {@code dst = src R⁻¹} for k vectors: in the row-major (k, d) storage this is
     * {@code dstᵀ = R⁻ᵀ srcᵀ}, one GEMM with the (k, k) lower-triangular R⁻ᵀ formed in float64
     * (cuBLAS on a GPU: V stays on the device, only the k × k inverse goes there); returns
     * {@code dstᵀdst} (the backend's one-pass float64 Gram, kernels/gram.cu on a GPU).
     */
    private double[] multiplyByInverseAndGram(Tensor src, double[] r, Tensor dst) {
        double[] rinv = invertUpper(r, k);
        double[] rinvT = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) rinvT[i * k + j] = rinv[j * k + i];
        Tensor t = backend.fromDoubles(dtype, rinvT); // (k, k)
        backend.gemm(false, false, k, (int) d, k, 1.0, t, k, src, (int) d, 0.0, dst, (int) d);
        return Gram.of(backend, dst, d, k);
    }

    /**
     * Upper-triangular R with {@code G = RᵀR} (R_jj &gt; 0), or null when a pivot is not positive or
     * not finite: G is then not numerically positive definite.
     */
    public static double[] choleskyUpper(double[] g, int k) {
        double[] r = new double[k * k];
        for (int j = 0; j < k; j++) {
            double s = g[j * k + j];
            for (int i = 0; i < j; i++) s -= r[i * k + j] * r[i * k + j];
            if (!(s > 0) || !Double.isFinite(s)) return null;
            double rjj = Math.sqrt(s);
            r[j * k + j] = rjj;
            for (int l = j + 1; l < k; l++) {
                double t = g[j * k + l];
                for (int i = 0; i < j; i++) t -= r[i * k + j] * r[i * k + l];
                r[j * k + l] = t / rjj;
            }
        }
        return r;
    }

    /** Inverse of an upper-triangular (k, k) matrix by back substitution, column by column. */
    static double[] invertUpper(double[] r, int k) {
        double[] x = new double[k * k];
        for (int c = 0; c < k; c++) {
            for (int i = c; i >= 0; i--) {
                double s = i == c ? 1 : 0;
                for (int l = i + 1; l <= c; l++) s -= r[i * k + l] * x[l * k + c];
                x[i * k + c] = s / r[i * k + i];
            }
        }
        return x;
    }

    /** {@code A B} for upper-triangular (k, k) A and B. */
    static double[] upperTimesUpper(double[] a, double[] b, int k) {
        double[] c = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int j = i; j < k; j++) {
                double s = 0;
                for (int l = i; l <= j; l++) s += a[i * k + l] * b[l * k + j];
                c[i * k + j] = s;
            }
        return c;
    }
}
