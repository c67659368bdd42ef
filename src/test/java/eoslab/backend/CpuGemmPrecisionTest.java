package eoslab.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * CpuGemm in BF16 and TF32 ({@link GemmPrecision}) on both of its paths (packed: m·n·k ≥ 32³ and
 * n ≥ one vector; dot: skinny n, with K below and above the 256-row blocks in which the transposed
 * form rounds A), all four transposes, padded leading dimensions, alpha ≠ 1,
 * beta ≠ 0, strided batches with a broadcast (stride 0) operand.
 *
 * <p>Two references, both in float64:
 * <ul>
 * <li>the product of the <em>rounded</em> operands, Ĉ = α op(Ã) op(B̃) + β C₀: the CPU must match it
 *     to float32 accumulation error, |C − Ĉ| ≤ (K + 4)·2⁻²⁴·(|α|(|Ã||B̃|) + |β C₀|) elementwise (K
 *     FMAs, alpha folded into A, the beta product and its add: one rounding each). This tight bound
 *     fails if a single operand were rounded differently (a bf16 rounding error is 2⁻⁸, ≫ K·2⁻²⁴).
 * <li>the product of the <em>unrounded</em> operands C = α op(A) op(B) (β = 0): |C_bf16 − C| ≤
 *     (2u + u² + (K + 4)·2⁻²⁴)(|α||A||B|) elementwise (u = 2⁻⁸ bf16, 2⁻¹¹ TF32: each product a·b
 *     becomes a(1+δ₁)b(1+δ₂)), and, to show the mode really rounds, the normwise relative error
 *     ‖C_bf16 − C‖/‖C‖ lies in [u/8, 2u] (for these Gaussian operands it is about 0.6u; in F32 it
 *     is ~1e-7).
 * </ul>
 * And the setting is honest: F32 gives the same bits as before, F64 GEMMs ignore it, BF16
 * results do not depend on the thread count.
 */
class CpuGemmPrecisionTest {
    static final Backend CPU = CpuBackend.INSTANCE;
    static final double U32 = 0x1p-24;

    /** One strided-batched GEMM problem; lda/ldb/ldc are padded by 3 beyond the stored row length. */
    record Problem(boolean ta, boolean tb, int m, int n, int k, double alpha, double beta, int batch, boolean broadcastA) {
        int lda() { return (ta ? m : k) + 3; }
        int ldb() { return (tb ? k : n) + 3; }
        int ldc() { return n + 3; }
        int sizeA() { return (ta ? k : m) * lda(); }
        int sizeB() { return (tb ? n : k) * ldb(); }
        int sizeC() { return m * ldc(); }
        long strideA() { return broadcastA ? 0 : sizeA(); }
    }

    static float[] gaussian(int n, SplittableRandom r) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) normal(r);
        return x;
    }

    static double normal(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    static float[] rounded(float[] x, GemmPrecision p) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = p.round(x[i]);
        return y;
    }

    /** op(X)[i, p] of the row-major storage x (element offset o, leading dimension ld). */
    static double op(float[] x, int o, int ld, boolean t, int i, int p) {
        return t ? x[o + p * ld + i] : x[o + i * ld + p];
    }

    /**
     * float64 reference of the batch: out[0] = α op(A)op(B) + β C₀ (stored like C, padding
     * untouched), out[1] = |α|(|op(A)||op(B)|) + |β C₀|, the scale of the error bounds.
     */
    static double[][] reference(Problem q, float[] a, float[] b, float[] c0) {
        double[] c = new double[c0.length], s = new double[c0.length];
        for (int i = 0; i < c0.length; i++) c[i] = c0[i];
        for (int bt = 0; bt < q.batch; bt++) {
            int ao = (int) (bt * q.strideA()), bo = bt * q.sizeB(), co = bt * q.sizeC();
            for (int i = 0; i < q.m; i++)
                for (int j = 0; j < q.n; j++) {
                    double acc = 0, abs = 0;
                    for (int p = 0; p < q.k; p++) {
                        double x = op(a, ao, q.lda(), q.ta, i, p), y = op(b, bo, q.ldb(), !q.tb, j, p);
                        acc += x * y;
                        abs += Math.abs(x * y);
                    }
                    int ci = co + i * q.ldc() + j;
                    c[ci] = q.alpha * acc + q.beta * c0[ci];
                    s[ci] = Math.abs(q.alpha) * abs + Math.abs(q.beta * c0[ci]);
                }
        }
        return new double[][] {c, s};
    }

    /** C = α op(A) op(B) + β C₀ on the CPU backend at precision p. */
    static float[] run(Problem q, float[] a, float[] b, float[] c0, GemmPrecision p) {
        GemmPrecision old = CPU.setGemmPrecision(p);
        try {
            Tensor ta = CPU.fromFloats(a), tb = CPU.fromFloats(b), tc = CPU.fromFloats(c0);
            CPU.gemm(q.ta, q.tb, q.m, q.n, q.k, q.alpha, ta, q.lda(), q.strideA(), tb, q.ldb(), q.sizeB(),
                    q.beta, tc, q.ldc(), q.sizeC(), q.batch);
            return (float[]) tc.storage;
        } finally {
            CPU.setGemmPrecision(old);
        }
    }

    record Operands(float[] a, float[] b, float[] c0) {
    }

    static Operands operands(Problem q, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int na = q.broadcastA ? q.sizeA() : q.batch * q.sizeA();
        return new Operands(gaussian(na, r), gaussian(q.batch * q.sizeB(), r), gaussian(q.batch * q.sizeC(), r));
    }

    static Problem[] problems(double beta) {
        java.util.List<Problem> l = new java.util.ArrayList<>();
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                l.add(new Problem(ta, tb, 45, 40, 300, 0.75, beta, 1, false));   // packed, two K-blocks
                l.add(new Problem(ta, tb, 50, 3, 77, 1.25, beta, 1, false));     // dot path (n = 3)
                l.add(new Problem(ta, tb, 40, 32, 64, 1.0, beta, 3, false));     // packed, one product per task
                l.add(new Problem(ta, tb, 20, 5, 33, 1.0, beta, 4, true));       // dot, A broadcast over the batch
                l.add(new Problem(ta, tb, 30, 2, 600, 0.5, beta, 1, false));     // dot, K in three blocks of 256
            }
        return l.toArray(Problem[]::new);
    }

    @Test
    void matchesTheFloat64ProductOfTheRoundedOperandsToFloat32AccumulationError() {
        long seed = 1;
        for (GemmPrecision p : new GemmPrecision[] {GemmPrecision.BF16, GemmPrecision.TF32}) {
            for (Problem q : problems(0.5)) {
                Operands o = operands(q, seed++);
                float[] got = run(q, o.a, o.b, o.c0, p);
                double[][] ref = reference(q, rounded(o.a, p), rounded(o.b, p), o.c0);
                double tol = (q.k + 4) * U32;
                for (int i = 0; i < got.length; i++) {
                    double e = ref[0][i], bound = tol * ref[1][i] + 1e-30;
                    if (Math.abs(got[i] - e) > bound) throw new AssertionError(p + " " + q + " at " + i + ": " + got[i] + " vs " + e + " (bound " + bound + ")");
                }
            }
        }
    }

    @Test
    void differsFromTheUnroundedProductByTheRoundingError() {
        long seed = 100;
        for (GemmPrecision p : GemmPrecision.values()) {
            double u = p.unitRoundoff();
            for (Problem q : problems(0.0)) {
                Operands o = operands(q, seed++);
                float[] got = run(q, o.a, o.b, o.c0, p);
                double[][] ref = reference(q, o.a, o.b, o.c0);                       // unrounded operands
                double tol = 2 * u + u * u + (q.k + 4) * U32, err2 = 0, ref2 = 0;
                for (int i = 0; i < got.length; i++) {
                    double e = ref[0][i], d = got[i] - e, bound = tol * ref[1][i] + 1e-30;
                    if (Math.abs(d) > bound) throw new AssertionError(p + " " + q + " at " + i + ": " + got[i] + " vs " + e + " (bound " + bound + ")");
                    err2 += d * d;
                    ref2 += e * e;
                }
                double rel = Math.sqrt(err2 / ref2);
                if (p == GemmPrecision.F32) assertTrue(rel < 1e-6, q + ": F32 relative error " + rel);
                else assertTrue(rel >= u / 8 && rel <= 2 * u, p + " " + q + ": normwise relative error " + rel + " not in [u/8, 2u], u = " + u);
            }
        }
    }

    @Test
    void f32IsUnchangedF64IgnoresTheSettingAndBf16IsDeterministic() {
        Problem q = new Problem(false, true, 45, 40, 300, 0.75, 0.5, 2, false);
        Operands o = operands(q, 7);
        // F32 through the backend is the plain sgemm, bit for bit
        float[] plain = o.c0.clone();
        CpuGemm.sgemm(q.ta, q.tb, q.m, q.n, q.k, (float) q.alpha, o.a, 0, q.lda(), (int) q.strideA(), o.b, 0, q.ldb(), q.sizeB(),
                (float) q.beta, plain, 0, q.ldc(), q.sizeC(), q.batch);
        float[] f32 = run(q, o.a, o.b, o.c0, GemmPrecision.F32), bf16 = run(q, o.a, o.b, o.c0, GemmPrecision.BF16);
        assertArrayEquals(plain, f32);
        assertFalse(Arrays.equals(f32, bf16), "BF16 changes the result");
        // ... and the backend is back at F32 afterwards: same bits again
        assertArrayEquals(plain, run(q, o.a, o.b, o.c0, CPU.gemmPrecision()));

        // F64 GEMMs are never rounded
        double[] ad = new double[o.a.length], bd = new double[o.b.length], cd = new double[o.c0.length];
        for (int i = 0; i < ad.length; i++) ad[i] = o.a[i] * (1 + 1e-9);  // not representable in bf16
        for (int i = 0; i < bd.length; i++) bd[i] = o.b[i];
        double[][] f64 = new double[2][];
        GemmPrecision[] ps = {GemmPrecision.F32, GemmPrecision.BF16};
        for (int t = 0; t < 2; t++) {
            GemmPrecision old = CPU.setGemmPrecision(ps[t]);
            try {
                Tensor c = CPU.fromDoubles(DType.F64, cd);
                CPU.gemm(q.ta, q.tb, q.m, q.n, q.k, q.alpha, CPU.fromDoubles(DType.F64, ad), q.lda(), q.strideA(),
                        CPU.fromDoubles(DType.F64, bd), q.ldb(), q.sizeB(), q.beta, c, q.ldc(), q.sizeC(), q.batch);
                f64[t] = c.toDoubles();
            } finally {
                CPU.setGemmPrecision(old);
            }
        }
        assertArrayEquals(f64[0], f64[1], 0.0, "F64 ignores --precision");

        // BF16 on one thread gives the bits it gives on all of them (both paths)
        Problem dot = new Problem(true, false, 70, 3, 90, 1.0, 0.0, 1, false);
        Operands od = operands(dot, 8);
        float[] many = run(q, o.a, o.b, o.c0, GemmPrecision.BF16), manyDot = run(dot, od.a, od.b, od.c0, GemmPrecision.BF16);
        int threads = Parallel.threads();
        Parallel.setThreads(1);
        try {
            assertArrayEquals(many, run(q, o.a, o.b, o.c0, GemmPrecision.BF16), "packed BF16 independent of threads");
            assertArrayEquals(manyDot, run(dot, od.a, od.b, od.c0, GemmPrecision.BF16), "dot BF16 independent of threads");
        } finally {
            Parallel.setThreads(threads);
        }
    }
}
