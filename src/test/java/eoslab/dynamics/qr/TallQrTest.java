package eoslab.dynamics.qr;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Both thin-QR paths against the definition: V = Q R (reconstruction), QᵀQ = I (orthogonality),
 * R upper triangular with R_ii ≥ 0, and the two paths agree (the thin QR with a positive diagonal
 * is unique). Well-conditioned inputs take one CholeskyQR pass, moderately ill-conditioned float64
 * ones a second pass, and ill-conditioned ones the Householder fallback.
 */
class TallQrTest {
    static final Backend BE = CpuBackend.INSTANCE;

    /** Gaussian (d, k) matrix stored as k vectors of length d. */
    static double[] gaussian(int d, int k, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] a = new double[d * k];
        for (int i = 0; i < a.length; i++) a[i] = rng.nextGaussian();
        return a;
    }

    /**
     * V = U diag(s) Wᵀ with U (d, k) and W (k, k) Haar-orthonormal and s log-spaced from 1 down to
     * 1/cond: a (d, k) matrix of condition number {@code cond}, scaled by {@code scale}.
     */
    static double[] withCondition(int d, int k, double cond, double scale, long seed) {
        double[] u = gaussian(d, k, seed);
        HouseholderQr.factorHost(u, d, k);
        double[] w = gaussian(k, k, seed + 1);
        HouseholderQr.factorHost(w, k, k);
        double[] v = new double[d * k];
        for (int j = 0; j < k; j++)          // column j of V = Σ_l u_l s_l W_jl
            for (int l = 0; l < k; l++) {
                double s = scale * Math.pow(cond, -(double) l / (k - 1));
                double c = s * w[l * k + j];
                for (int i = 0; i < d; i++) v[j * d + i] += u[l * d + i] * c;
            }
        return v;
    }

    /** max_ij |(Q R)_ij − V_ij| with Q stored as k vectors of length d. */
    static double reconstructionError(double[] q, double[] r, double[] v, int d, int k) {
        double m = 0;
        for (int j = 0; j < k; j++)
            for (int i = 0; i < d; i++) {
                double s = 0;
                for (int l = 0; l <= j; l++) s += q[l * d + i] * r[l * k + j];
                m = Math.max(m, Math.abs(s - v[j * d + i]));
            }
        return m;
    }

    static double orthogonality(double[] q, int d, int k) {
        double s = 0;
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++) {
                double g = 0;
                for (int i = 0; i < d; i++) g += q[a * d + i] * q[b * d + i];
                g -= a == b ? 1 : 0;
                s += g * g;
            }
        return Math.sqrt(s);
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    static void assertUpperNonNegativeDiagonal(double[] r, int k) {
        for (int i = 0; i < k; i++) {
            assertTrue(r[i * k + i] >= 0, "R_ii >= 0 at " + i);
            for (int j = 0; j < i; j++) assertEquals(0.0, r[i * k + j], "R below the diagonal at " + i + "," + j);
        }
    }

    /** Runs one QR on a copy of {@code v} in {@code dtype}; returns {Q as doubles} and the result. */
    static Object[] factor(TallQr qr, double[] v, DType dtype) {
        Tensor t = BE.fromDoubles(dtype, v);
        QrResult res = qr.factor(t);
        return new Object[]{t.toDoubles(), res};
    }

    @Test
    void bothPathsFactorAWellConditionedMatrixInF64() {
        int d = 60, k = 7;
        double[] v = gaussian(d, k, 1);
        QrResult hh = (QrResult) factor(new HouseholderQr(BE, d, k), v, DType.F64)[1];
        for (QrMethod m : QrMethod.values()) {
            Object[] out = factor(TallQr.create(m, BE, DType.F64, d, k, Double.NaN), v, DType.F64);
            double[] q = (double[]) out[0];
            QrResult res = (QrResult) out[1];
            assertEquals(m == QrMethod.HOUSEHOLDER ? QrPath.HOUSEHOLDER : QrPath.CHOLESKY_QR, res.path(), m.toString());
            // float64: atol 1e-13·max|V| for V = QR, 1e-13 for ‖QᵀQ − I‖_F.
            assertTrue(reconstructionError(q, res.r(), v, d, k) <= 1e-13 * maxAbs(v), m + " V = QR");
            assertTrue(orthogonality(q, d, k) <= 1e-13, m + " orthogonality " + orthogonality(q, d, k));
            assertUpperNonNegativeDiagonal(res.r(), k);
            // Unique thin QR with positive diagonal: the paths agree, |ΔR| ≤ 1e-12 + 1e-12·|R|.
            for (int i = 0; i < k * k; i++) {
                assertEquals(hh.r()[i], res.r()[i], 1e-12 + 1e-12 * Math.abs(hh.r()[i]), m + " R[" + i + "]");
            }
        }
    }

    @Test
    void choleskyQr2OnF32TensorsUsesAFloat64Gram() {
        int d = 300, k = 6;
        double[] v = withCondition(d, k, 1e3, 1.0, 3);
        double[] vf = BE.fromDoubles(DType.F32, v).toDoubles(); // what the F32 tensor really holds
        Object[] out = factor(TallQr.create(QrMethod.CHOLESKY_QR2, BE, DType.F32, d, k, Double.NaN), v, DType.F32);
        double[] q = (double[]) out[0];
        QrResult res = (QrResult) out[1];
        assertEquals(QrPath.CHOLESKY_QR, res.path(), String.valueOf(res.fallbackReason()));
        // float32 Q: ‖QᵀQ − I‖_F ≤ 1e-5 (k·u_32 scale); V = QR to 2e-6·max|V| (a few u_32).
        assertTrue(orthogonality(q, d, k) <= 1e-5, "orthogonality " + orthogonality(q, d, k));
        assertEquals(orthogonality(q, d, k), res.orthoError(), 1e-9, "the reported orthoError is the stored Q's");
        assertTrue(reconstructionError(q, res.r(), vf, d, k) <= 2e-6 * maxAbs(vf), "V = QR " + reconstructionError(q, res.r(), vf, d, k));
    }

    @Test
    void onePassSufficesForFloat32UpToLargeConditionNumbers() {
        // κ = 1e5: a Gram in float32 would lose everything (κ²·u_32 ≈ 600); in float64 the one pass
        // loses κ²·u_64 ≈ 1e-6 plus the rounding of Q to float32, inside the 1e-4 bound.
        int d = 400, k = 8;
        double[] v = withCondition(d, k, 1e5, 1.0, 9);
        double[] vf = BE.fromDoubles(DType.F32, v).toDoubles();
        Object[] out = factor(TallQr.create(QrMethod.CHOLESKY_QR2, BE, DType.F32, d, k, Double.NaN), v, DType.F32);
        double[] q = (double[]) out[0];
        QrResult res = (QrResult) out[1];
        assertEquals(QrPath.CHOLESKY_QR, res.path(), String.valueOf(res.fallbackReason()));
        assertTrue(orthogonality(q, d, k) <= 1e-4, "orthogonality " + orthogonality(q, d, k));
        // V = QR to the rounding of V R⁻¹ (formed in float64, rounded once): a few u_32 of ‖Q‖·‖R‖ = ‖V‖.
        assertTrue(reconstructionError(q, res.r(), vf, d, k) <= 2e-6 * maxAbs(vf), "V = QR " + reconstructionError(q, res.r(), vf, d, k));
        double[] r = HouseholderQr.factorHost(vf.clone(), d, k);
        for (int i = 0; i < k; i++) assertEquals(r[i * k + i], res.rDiag(i), 1e-9 * r[0], "R_" + i + i);
    }

    @Test
    void choleskyQr2KeepsTheFastPathAtModerateConditioning() {
        // κ = 1e6 in float64: κ²u ≈ 1e-4 > the 1e-10 bound, so a second pass runs and repairs it (Yamamoto et al. 2015).
        int d = 200, k = 8;
        double[] v = withCondition(d, k, 1e6, 1.0, 5);
        Object[] out = factor(TallQr.create(QrMethod.CHOLESKY_QR2, BE, DType.F64, d, k, Double.NaN), v, DType.F64);
        double[] q = (double[]) out[0];
        QrResult res = (QrResult) out[1];
        assertEquals(QrPath.CHOLESKY_QR2, res.path(), String.valueOf(res.fallbackReason()));
        assertTrue(orthogonality(q, d, k) <= 1e-13, "orthogonality " + orthogonality(q, d, k));
        assertTrue(reconstructionError(q, res.r(), v, d, k) <= 1e-13 * maxAbs(v), "V = QR");
    }

    @Test
    void choleskyQr2FallsBackOnConditionNumber1e9() {
        int d = 200, k = 8;
        for (int round = 0; round < 3; round++) {
            DType dt = round == 0 ? DType.F64 : DType.F32;
            // κ = 1e9: κ²·u_64 ≈ 1e2, so the float64 Gram of V is numerically singular. In F32 the stored
            // V is V + O(u_32·‖V‖), whose κ is only ~1e7: CholeskyQR2 (float64 Gram, W = V R⁻¹ formed in
            // float64 and rounded once) may then legitimately keep the fast path, so the second F32 round
            // makes V exactly rank-deficient (column 7 = column 6) to force the fallback there.
            boolean rankDeficient = round == 2;
            double[] v = withCondition(d, k, 1e9, 3.0, 7);
            if (rankDeficient) System.arraycopy(v, 6 * d, v, 7 * d, d);
            double[] held = BE.fromDoubles(dt, v).toDoubles();
            Object[] out = factor(TallQr.create(QrMethod.CHOLESKY_QR2, BE, dt, d, k, Double.NaN), v, dt);
            double[] q = (double[]) out[0];
            QrResult res = (QrResult) out[1];
            if (dt == DType.F64 || rankDeficient) {
                assertEquals(QrPath.HOUSEHOLDER_FALLBACK, res.path(), dt + ": should fall back");
                assertNotNull(res.fallbackReason());
            }
            double u = dt == DType.F64 ? 1e-13 : 2e-6; // per-dtype: 1e-13 (f64), 2e-6 (f32)
            assertTrue(orthogonality(q, d, k) <= (dt == DType.F64 ? 1e-13 : 1e-5), dt + " orthogonality " + orthogonality(q, d, k));
            assertTrue(reconstructionError(q, res.r(), held, d, k) <= u * maxAbs(held), dt + " V = QR");
            // Householder on the matrix the tensor held: R agrees (R_kk to relative 1e-6, which is κ·u_64 for F64).
            double[] a = held.clone();
            double[] r = HouseholderQr.factorHost(a, d, k);
            for (int i = 0; i < k; i++) {
                assertEquals(r[i * k + i], res.rDiag(i), 1e-6 * r[i * k + i] + (rankDeficient ? 1e-6 * r[0] : 0), dt + " R_" + i + i);
            }
        }
    }

    @Test
    void tooStrictBoundTriggersTheFinalCheckFallbackAndStaysExact() {
        int d = 50, k = 4;
        double[] v = gaussian(d, k, 11);
        Object[] out = factor(new CholeskyQr2(BE, DType.F64, d, k, 1e-300), v, DType.F64);
        double[] q = (double[]) out[0];
        QrResult res = (QrResult) out[1];
        assertEquals(QrPath.HOUSEHOLDER_FALLBACK, res.path());
        assertTrue(res.orthoError() > 0 && res.orthoError() < 1e-13);
        assertTrue(reconstructionError(q, res.r(), v, d, k) <= 1e-13 * maxAbs(v));
        assertTrue(orthogonality(q, d, k) <= 1e-13);
    }

    @Test
    void householderHandlesARankDeficientMatrix() {
        int d = 20, k = 4;
        double[] v = gaussian(d, k, 13);
        System.arraycopy(v, 0, v, 2 * d, d); // column 2 = column 0
        Object[] out = factor(TallQr.create(QrMethod.CHOLESKY_QR2, BE, DType.F64, d, k, Double.NaN), v, DType.F64);
        double[] q = (double[]) out[0];
        QrResult res = (QrResult) out[1];
        assertEquals(QrPath.HOUSEHOLDER_FALLBACK, res.path());
        assertTrue(res.rDiag(2) <= 1e-14 * maxAbs(v), "R_22 of a dependent column " + res.rDiag(2));
        assertTrue(orthogonality(q, d, k) <= 1e-13);
        assertTrue(reconstructionError(q, res.r(), v, d, k) <= 1e-13 * maxAbs(v));
    }

    @Test
    void choleskyOfAKnownMatrix() {
        // G = RᵀR with R = [[2, 1], [0, 3]]: G = [[4, 2], [2, 10]].
        double[] r = CholeskyQr2.choleskyUpper(new double[]{4, 2, 2, 10}, 2);
        assertArrayEquals(new double[]{2, 1, 0, 3}, r, 1e-15);
        assertNull(CholeskyQr2.choleskyUpper(new double[]{1, 2, 2, 1}, 2), "indefinite");
    }

    @Test
    void rejectsAWrongShape() {
        TallQr qr = new HouseholderQr(BE, 10, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> qr.factor(BE.zeros(DType.F64, 29)));
        assertTrue(e.getMessage().contains("k=3"));
    }

    /**
     * d·k past 2^31 (the QR bench's d = 10^8, k = 32 on a GPU): no Householder holds it, but CholeskyQR2
     * needs none unless it falls back, so it is built (the fallback is made only when needed) and
     * cuSOLVER is not offered (its 32-bit indexing fails there).
     */
    @Test
    void choleskyQr2IsBuiltPastTheHouseholderLimit() {
        long d = 100_000_000L;
        assertDoesNotThrow(() -> new CholeskyQr2(BE, DType.F32, d, 32, 1e-4, null));
        assertThrows(IllegalArgumentException.class, () -> new HouseholderQr(BE, d, 32));
        assertFalse(eoslab.backend.cuda.CudaLinalg.fits(d, 32));
        assertTrue(eoslab.backend.cuda.CudaLinalg.fits(67_108_863L, 32));   // 2^31 − 32 elements
        assertFalse(eoslab.backend.cuda.CudaLinalg.fits(67_108_864L, 32));  // 2^31
    }
}
