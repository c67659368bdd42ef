package eoslab.backend;

import eoslab.tensor.Tensor;
import eoslab.util.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * CpuGemm against a scalar float64 reference, llm.c style: every element within
 * {@code atol + rtol |ref|}. Inputs are uniform in [-1, 1], so a dot product of length k has
 * rounding error growing like sqrt(k) * eps (random-walk accumulation); the tolerances are
 * <ul>
 *   <li>F32: atol = 2e-6 sqrt(k + 1), rtol = 1e-5 (eps_f32 = 6e-8; blocked sums over KC = 256),</li>
 *   <li>F64: atol = 4e-15 sqrt(k + 1), rtol = 1e-13 (eps_f64 = 1.1e-16).</li>
 * </ul>
 * A wrong element (a missed edge tile, a transposed index, a lost K-block) is off by O(1).
 * Shapes cover both paths: the dot-product path (small or skinny) and the packed path
 * (n >= 8 (F32 16), m n k >= 32^3, any m), with edge tiles in M, N and K and blocks crossing
 * MC = 96, KC = 256 (F64 128) and NC = 1024 (F64 512).
 */
class CpuGemmTest {
    private final int threadsBefore = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threadsBefore);
    }

    /** Scalar reference: C = alpha op(A) op(B) + beta C in double; beta = 0 ignores C. */
    static void reference(boolean ta, boolean tb, int m, int n, int k, double alpha,
                          double[] a, int ao, int lda, double[] b, int bo, int ldb,
                          double beta, double[] c, int co, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta ? a[ao + p * lda + i] : a[ao + i * lda + p];
                    double y = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    s += x * y;
                }
                int ci = co + i * ldc + j;
                c[ci] = beta == 0 ? alpha * s : alpha * s + beta * c[ci];
            }
        }
    }

    private static final int[][] SHAPES = { // {m, n, k}
            {1, 1, 1}, {1, 17, 33}, {17, 1, 33}, {33, 17, 1}, {3, 5, 7}, // dot path
            {256, 2, 100}, {2, 256, 100}, {5, 300, 40},                 // skinny: dot path
            {6, 32, 256}, {12, 64, 512},                                // exact tiles, full K-blocks
            {7, 33, 257}, {17, 33, 33}, {33, 17, 129}, {257, 33, 17},   // edge tiles
            {300, 300, 2}, {97, 40, 513}, {193, 45, 300},               // k tiny; crossing KC, MC
            {20, 1030, 20}, {9, 520, 130},                              // crossing NC (F32, F64)
            {1, 40, 1030}, {40, 9, 1030},                               // m = 1 packed; n < 16 dot, long k
            {7, 17, 4200},                                              // K beyond one packed B (16 KC)
    };

    private static final double[][] ALPHA_BETA = {{1, 0}, {0.7, -1.3}, {-2, 1}};

    @Test
    void sgemmMatchesReferenceForAllShapesTransposesAndScalars() {
        Random rnd = new Random(1);
        for (int[] s : SHAPES)
            for (int t = 0; t < 4; t++)
                for (double[] ab : ALPHA_BETA) checkF32(rnd, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, ab[0], ab[1]);
    }

    @Test
    void dgemmMatchesReferenceForAllShapesTransposesAndScalars() {
        Random rnd = new Random(2);
        for (int[] s : SHAPES)
            for (int t = 0; t < 4; t++)
                for (double[] ab : ALPHA_BETA) checkF64(rnd, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, ab[0], ab[1]);
    }

    /**
     * One F32 case with padded leading dimensions and nonzero offsets; with beta = 0 C starts as
     * NaN, which must not leak into the result.
     */
    private static void checkF32(Random rnd, int m, int n, int k, boolean ta, boolean tb, double alpha, double beta) {
        int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        int lda = ac + rnd.nextInt(3), ldb = bc + rnd.nextInt(3), ldc = n + rnd.nextInt(3);
        int ao = rnd.nextInt(5), bo = rnd.nextInt(5), co = rnd.nextInt(5);
        float[] a = randomF32(rnd, ao + ar * lda), b = randomF32(rnd, bo + br * ldb), c = randomF32(rnd, co + m * ldc);
        if (beta == 0) java.util.Arrays.fill(c, co, c.length, Float.NaN);
        double[] ref = toDouble(c);
        reference(ta, tb, m, n, k, alpha, toDouble(a), ao, lda, toDouble(b), bo, ldb, beta, ref, co, ldc);
        CpuGemm.sgemm(ta, tb, m, n, k, (float) alpha, a, ao, lda, 0, b, bo, ldb, 0, (float) beta, c, co, ldc, 0, 1);
        String what = String.format("sgemm m=%d n=%d k=%d ta=%b tb=%b alpha=%s beta=%s", m, n, k, ta, tb, alpha, beta);
        assertClose(what, ref, toDouble(c), co, m, n, ldc, 2e-6 * Math.sqrt(k + 1), 1e-5);
    }

    private static void checkF64(Random rnd, int m, int n, int k, boolean ta, boolean tb, double alpha, double beta) {
        int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        int lda = ac + rnd.nextInt(3), ldb = bc + rnd.nextInt(3), ldc = n + rnd.nextInt(3);
        int ao = rnd.nextInt(5), bo = rnd.nextInt(5), co = rnd.nextInt(5);
        double[] a = randomF64(rnd, ao + ar * lda), b = randomF64(rnd, bo + br * ldb), c = randomF64(rnd, co + m * ldc);
        if (beta == 0) java.util.Arrays.fill(c, co, c.length, Double.NaN);
        double[] ref = c.clone();
        reference(ta, tb, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, ref, co, ldc);
        CpuGemm.dgemm(ta, tb, m, n, k, alpha, a, ao, lda, 0, b, bo, ldb, 0, beta, c, co, ldc, 0, 1);
        String what = String.format("dgemm m=%d n=%d k=%d ta=%b tb=%b alpha=%s beta=%s", m, n, k, ta, tb, alpha, beta);
        assertClose(what, ref, c, co, m, n, ldc, 4e-15 * Math.sqrt(k + 1), 1e-13);
    }

    /** Checks the (m, n) window of C, and that the padding between rows (ld > n) is untouched. */
    private static void assertClose(String what, double[] ref, double[] got, int co, int m, int n, int ldc,
                                    double atol, double rtol) {
        for (int idx = 0; idx < got.length; idx++) {
            int i = (idx - co) / ldc, j = (idx - co) % ldc;
            boolean inside = idx >= co && i < m && j < n;
            if (!inside) {
                if (Double.doubleToLongBits(ref[idx]) != Double.doubleToLongBits(got[idx]))
                    fail(what + ": wrote outside C at flat index " + idx);
                continue;
            }
            double err = Math.abs(got[idx] - ref[idx]);
            if (!(err <= atol + rtol * Math.abs(ref[idx])))
                fail(String.format("%s: C[%d,%d] = %s, reference %s, |err| %.3g > %.3g", what, i, j, got[idx],
                        ref[idx], err, atol + rtol * Math.abs(ref[idx])));
        }
    }

    @Test
    void stridedBatchWithBroadcastOperands() {
        Random rnd = new Random(3);
        // {m, n, k}: dot path and packed path one task per element; packed path parallel inside.
        for (int[] s : new int[][]{{5, 7, 9}, {40, 48, 70}, {130, 130, 130}}) {
            int m = s[0], n = s[1], k = s[2], batch = 3;
            for (int bcase = 0; bcase < 3; bcase++) {
                // Strides: A broadcast (0), B broadcast (0), or neither; C strides padded by 4.
                int sa = bcase == 0 ? 0 : m * k + 1, sb = bcase == 1 ? 0 : k * n + 2, sc = m * n + 4;
                float[] a = randomF32(rnd, 1 + sa * (batch - 1) + m * k);
                float[] b = randomF32(rnd, 2 + sb * (batch - 1) + k * n);
                float[] c = randomF32(rnd, 3 + sc * (batch - 1) + m * n);
                double[] ref = toDouble(c);
                for (int bt = 0; bt < batch; bt++)
                    reference(false, true, m, n, k, 1.5, toDouble(a), 1 + bt * sa, k, toDouble(b), 2 + bt * sb, k,
                            0.5, ref, 3 + bt * sc, n);
                CpuGemm.sgemm(false, true, m, n, k, 1.5f, a, 1, k, sa, b, 2, k, sb, 0.5f, c, 3, n, sc, batch);
                double[] got = toDouble(c);
                for (int i = 0; i < got.length; i++) {
                    double tol = 2e-6 * Math.sqrt(k + 1) + 1e-5 * Math.abs(ref[i]);
                    assertTrue(Math.abs(got[i] - ref[i]) <= tol,
                            "batch case " + bcase + " shape " + m + "x" + n + "x" + k + " flat index " + i);
                }
            }
        }
    }

    @Test
    void alphaZeroAndKZeroOnlyScaleC() {
        // alpha = 0 must not read A or B (NaN there), k = 0 means op(A) op(B) = 0.
        float[] nan = new float[64];
        java.util.Arrays.fill(nan, Float.NaN);
        float[] c = {1, 2, 3, 4, 5, 6};
        CpuGemm.sgemm(false, false, 2, 3, 4, 0f, nan, 0, 4, 0, nan, 0, 3, 0, 2f, c, 0, 3, 0, 1);
        assertArrayEquals(new float[]{2, 4, 6, 8, 10, 12}, c);
        CpuGemm.sgemm(false, false, 2, 3, 0, 1f, nan, 0, 1, 0, nan, 0, 3, 0, 0f, c, 0, 3, 0, 1);
        assertArrayEquals(new float[6], c);
        double[] d = {Double.NaN, Double.NaN};
        CpuGemm.dgemm(true, true, 1, 2, 0, 1, new double[0], 0, 1, 0, new double[0], 0, 1, 0, 0, d, 0, 2, 0, 1);
        assertArrayEquals(new double[2], d);
    }

    @Test
    void backendGemmOnViewsWithOffsets() {
        // C (2, 3) = A (2, 4) B (4, 3) with all three as views into larger tensors.
        CpuBackend be = CpuBackend.INSTANCE;
        Random rnd = new Random(4);
        float[] ah = randomF32(rnd, 3 + 8), bh = randomF32(rnd, 5 + 12), ch = randomF32(rnd, 7 + 6);
        Tensor a = be.fromFloats(ah).view(3, 8), b = be.fromFloats(bh).view(5, 12), c = be.fromFloats(ch).view(7, 6);
        be.gemm(false, false, 2, 3, 4, 1.0, a, 4, b, 3, 0.0, c, 3);
        double[] ref = new double[6];
        reference(false, false, 2, 3, 4, 1, toDouble(ah), 3, 4, toDouble(bh), 5, 3, 0, ref, 0, 3);
        double[] got = c.toDoubles();
        for (int i = 0; i < 6; i++) assertEquals(ref[i], got[i], 1e-6 + 1e-6 * Math.abs(ref[i]), "C flat " + i);
    }

    @Test
    void resultIsBitIdenticalOnOneAndTwoThreads() {
        Random rnd = new Random(5);
        // {m, n, k}: packed with edges and several K-blocks; skinny (dot path).
        for (int[] s : new int[][]{{203, 301, 600}, {256, 2, 300}}) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = randomF32(rnd, m * k), b = randomF32(rnd, k * n);
            double[] ad = toDouble(a), bd = toDouble(b);
            float[] c1 = new float[m * n], c2 = new float[m * n];
            double[] d1 = new double[m * n], d2 = new double[m * n];
            Parallel.setThreads(1);
            CpuGemm.sgemm(false, false, m, n, k, 1f, a, 0, k, 0, b, 0, n, 0, 0f, c1, 0, n, 0, 1);
            CpuGemm.dgemm(false, false, m, n, k, 1, ad, 0, k, 0, bd, 0, n, 0, 0, d1, 0, n, 0, 1);
            Parallel.setThreads(2);
            CpuGemm.sgemm(false, false, m, n, k, 1f, a, 0, k, 0, b, 0, n, 0, 0f, c2, 0, n, 0, 1);
            CpuGemm.dgemm(false, false, m, n, k, 1, ad, 0, k, 0, bd, 0, n, 0, 0, d2, 0, n, 0, 1);
            assertArrayEquals(c1, c2, "sgemm differs between 1 and 2 threads for " + m + "x" + n + "x" + k);
            assertArrayEquals(d1, d2, "dgemm differs between 1 and 2 threads for " + m + "x" + n + "x" + k);
        }
    }

    private static float[] randomF32(Random rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }

    private static double[] randomF64(Random rnd, int len) {
        double[] x = new double[len];
        for (int i = 0; i < len; i++) x[i] = rnd.nextDouble() * 2 - 1;
        return x;
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }
}
