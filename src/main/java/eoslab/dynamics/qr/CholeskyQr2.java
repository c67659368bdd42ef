package eoslab.dynamics.qr;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * CholeskyQR with float64 Gram matrices, a second pass only when the first one's orthogonality check
 * fails (CholeskyQR2: Fukaya, Nakatsukasa, Yanagisawa, Yamamoto 2014; Yamamoto et al. 2015), and a
 * guarded fallback to Householder. V is overwritten by Q in place: two backend passes per QR in the
 * usual case ({@link Backend#gram}, {@link Backend#applyUpperAndGram}), and only k×k numbers cross
 * to the host (on a GPU: kernels/gram.cu, cuSOLVER Householder as the fallback; issue #5).
 *
 * <pre>
 *   G1 = VᵀV,  R1 = chol(G1)                          read V
 *   V ← V R1⁻¹,  G2 = VᵀV  (the check, free)          read V, write V
 *   if ‖G2 − I‖_F ≤ bound: done, R = R1               (one pass: CHOLESKY_QR)
 *   R2 = chol(G2),  V ← V R2⁻¹,  G3 = VᵀV,  R = R2 R1  read V, write V  (CHOLESKY_QR2)
 * </pre>
 *
 * Why one pass usually suffices: G1 is formed in float64 from the stored V (products of floats are
 * exact in float64) and V R1⁻¹ is accumulated in float64 and rounded once, so the first Q loses
 * orthogonality like u₆₄·κ(V)² plus the rounding of Q to the dtype (~k·u), not like u·κ(V)² as with
 * a Gram in V's own precision. For float32 V and the default bound 1e-4 one pass holds up to
 * κ(V) ≈ 10⁶; for float64 V and 1e-10, up to κ(V) ≈ 10³ (then the second pass repairs it to O(u)
 * as long as κ(V) ≲ u₆₄^{-1/2}). The Lyapunov tracker's V = J·Q is as conditioned as the one-step
 * Jacobian, far below either.
 *
 * <p>Fallbacks: chol(G1) breaks down → Householder on the untouched V. After the first pass V holds
 * Q1 = V R1⁻¹, which still satisfies V_orig = Q1 R1 to the dtype's rounding (the product was float64
 * and rounded once); so when ‖G2 − I‖_F &gt; 1/2 (κ(Q1) &gt; √3: a second pass is not guaranteed)
 * or chol(G2) breaks down, Householder factors Q1 = Q_h R_h and R = R_h R1; and when the final check
 * exceeds the bound, Householder re-orthonormalizes the computed Q and folds its R in the same way
 * (Q is well conditioned there, so this is accurate).
 */
public final class CholeskyQr2 implements TallQr {
    /** ‖G2 − I‖_F above which pass 2 is not trusted (κ(Q1)² ≤ (1+½)/(1−½) = 3 below it). */
    static final double PASS1_LIMIT = 0.5;

    private final Backend backend;
    private final DType dtype;
    private final long d;
    private final int k;
    private final double orthoBound;
    private TallQr householder;   // null until a fallback is needed when none was given

    /** CholeskyQR2 falling back to the host {@link HouseholderQr}. */
    public CholeskyQr2(Backend backend, DType dtype, long d, int k, double orthoBound) {
        this(backend, dtype, d, k, orthoBound, null);
    }

    /**
     * CholeskyQR2 falling back to {@code householder} (a Householder QR on the same backend that
     * leaves R_jj &gt;= 0, e.g. cuSOLVER's on a GPU so V never leaves the device), or to the host
     * {@link HouseholderQr} when null (made when first needed: at d·k &gt; 2^31 elements, which neither
     * the host nor cuSOLVER holds, CholeskyQR2 still runs and only a fallback would fail).
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
        if (householder != null && (householder.d() != d || householder.k() != k)) {
            throw new IllegalArgumentException("CholeskyQR2: fallback QR is for (" + householder.d() + ", " + householder.k() + "), not (" + d + ", " + k + ")");
        }
        this.householder = householder;
    }

    /** The Householder QR to fall back to, for {@code reason}. */
    private TallQr fallback(String reason) {
        if (householder != null) return householder;
        try {
            return householder = new HouseholderQr(backend, d, k);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("CholeskyQR2 needs its Householder fallback (" + reason + ") but none holds d·k = " + d * k
                    + " elements: " + e.getMessage());
        }
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
        if (v.dtype != dtype) throw new IllegalArgumentException("CholeskyQR built for " + dtype + ", got " + v.dtype);
        double[] r1 = choleskyUpper(backend.gram(v, d, k), k);
        if (r1 == null) {
            String reason = "Gram matrix VᵀV not numerically positive definite";
            return new QrResult(fallback(reason).factor(v).r(), k, QrPath.HOUSEHOLDER_FALLBACK, Double.NaN, reason);
        }
        double[] g2 = backend.applyUpperAndGram(v, invertUpper(r1, k), d, k);   // V ← Q1 = V R1⁻¹
        double e1 = Gram.offIdentity(g2, k);
        if (e1 <= orthoBound) return new QrResult(r1, k, QrPath.CHOLESKY_QR, e1, null);
        if (!(e1 <= PASS1_LIMIT)) return refactor(v, r1, e1, "pass 1 lost orthogonality: ‖Q1ᵀQ1 − I‖_F = " + e1);
        double[] r2 = choleskyUpper(g2, k);
        if (r2 == null) return refactor(v, r1, e1, "Gram matrix Q1ᵀQ1 not numerically positive definite");
        double[] g3 = backend.applyUpperAndGram(v, invertUpper(r2, k), d, k);   // V ← Q = Q1 R2⁻¹
        double[] r = upperTimesUpper(r2, r1, k);
        double e = Gram.offIdentity(g3, k);
        if (!(e <= orthoBound)) return refactor(v, r, e, "‖QᵀQ − I‖_F = " + e + " after two passes exceeds the bound " + orthoBound);
        return new QrResult(r, k, QrPath.CHOLESKY_QR2, e, null);
    }

    /** V holds Q with V_orig = Q r: Householder on Q, Q = Q_h R_h, so V_orig = Q_h (R_h r). */
    private QrResult refactor(Tensor v, double[] r, double err, String reason) {
        QrResult h = fallback(reason).factor(v);
        return new QrResult(upperTimesUpper(h.r(), r, k), k, QrPath.HOUSEHOLDER_FALLBACK, err, reason);
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
