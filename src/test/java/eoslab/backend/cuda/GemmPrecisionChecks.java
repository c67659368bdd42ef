package eoslab.backend.cuda;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.backend.GemmPrecision;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * BF16 and TF32 GEMMs of a device backend (cublasGemmEx / cublasGemmStridedBatchedEx) against
 * CpuBackend at the same {@link GemmPrecision}: batch 1, strided batched, A broadcast (stride 0),
 * C broadcast (stride 0: a loop of cublasGemmEx), all four transposes, padded leading dimensions,
 * alpha ≠ 1 and beta ≠ 0. Shared by the emulator run ({@link GemmPrecisionEmulatorMain}) and the
 * GPU run ({@link CudaGemmPrecisionParityTest}).
 *
 * <p>Tolerances, elementwise, with S = |α|(|op(A)||op(B)|) + |β C₀| in float64 and u the unit
 * roundoff of the precision (2⁻⁸ bf16, 2⁻¹¹ TF32), γ = (3K + 8)·2⁻²⁴ the float32 accumulation
 * error of both sides ((K + 4)·2⁻²⁴ for the CPU's FMA chains, (2K + 4)·2⁻²⁴ for a product-then-add
 * loop):
 * <ul>
 * <li>{@code sameRounding} (the emulator rounds both operands to nearest even exactly as the CPU
 *     does): |dev − cpu| ≤ γ·S. Tight: one operand rounded differently would cost ~u·|a b| ≫ γ.
 * <li>otherwise (real cuBLAS, which may choose which operands it converts, may truncate instead of
 *     rounding, and may use TF32 under FAST_16BF): each side is within its own rounding error of
 *     the exact product, the CPU's (2u + u²)·S, the GPU's at most (4u + 4u²)·S (a conversion with
 *     relative error ≤ 2u per operand, truncation being the worst), so |dev − cpu| ≤
 *     (6u + 5u² + γ)·S. For random data S ≈ √K·|C|, i.e. a relative tolerance of about
 *     6u√K ≈ 0.023·√K for bf16, the "1e-2·√K" rule of thumb with its constant derived.
 * </ul>
 * And the mode must really do something on the device: ‖dev(p) − dev(F32)‖/‖dev(F32)‖ ≥ u/8, or
 * ≥ u_TF32/8 on a real GPU (the least rounding cuBLAS may pick).
 */
final class GemmPrecisionChecks {
    private GemmPrecisionChecks() {
    }

    record Case(boolean ta, boolean tb, int m, int n, int k, int batch, boolean broadcastA, boolean broadcastC) {
        int lda() { return (ta ? m : k) + 2; }
        int ldb() { return (tb ? k : n) + 1; }
        int ldc() { return n + 3; }
        int sizeA() { return (ta ? k : m) * lda(); }
        int sizeB() { return (tb ? n : k) * ldb(); }
        int sizeC() { return m * ldc(); }
        long strideA() { return broadcastA ? 0 : sizeA(); }
        long strideC() { return broadcastC ? 0 : sizeC(); }
    }

    static List<Case> cases() {
        List<Case> l = new ArrayList<>();
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                l.add(new Case(ta, tb, 37, 29, 130, 1, false, false));   // cublasGemmEx
                l.add(new Case(ta, tb, 21, 18, 40, 3, false, false));    // cublasGemmStridedBatchedEx
                l.add(new Case(ta, tb, 21, 4, 40, 3, true, false));      // A broadcast, skinny (CPU dot path)
                l.add(new Case(ta, tb, 9, 20, 33, 2, false, true));      // C broadcast: a loop of cublasGemmEx
            }
        return l;
    }

    /** Runs every case for BF16 and TF32; returns the failures (empty: all held) and prints one line per precision. */
    static List<String> run(Backend dev, boolean sameRounding, java.io.PrintStream log) {
        List<String> fails = new ArrayList<>();
        Backend cpu = CpuBackend.INSTANCE;
        double alpha = 0.75, beta = 0.5;
        for (GemmPrecision p : new GemmPrecision[] {GemmPrecision.BF16, GemmPrecision.TF32}) {
            double u = p.unitRoundoff(), worst = 0, leastEffect = Double.MAX_VALUE;
            long seed = 11;
            for (Case q : cases()) {
                SplittableRandom r = new SplittableRandom(seed++);
                double[] a = gaussian((q.broadcastA ? 1 : q.batch) * q.sizeA(), r);
                double[] b = gaussian(q.batch * q.sizeB(), r);
                double[] c0 = gaussian((q.broadcastC ? 1 : q.batch) * q.sizeC(), r);
                double[] want = gemm(cpu, p, q, alpha, a, b, beta, c0);
                double[] got = gemm(dev, p, q, alpha, a, b, beta, c0);
                double[] f32 = gemm(dev, GemmPrecision.F32, q, alpha, a, b, beta, c0);
                double[] s = scale(q, alpha, a, b, beta, c0);
                double gamma = (3.0 * q.k + 8) * 0x1p-24;
                double rtol = sameRounding ? gamma : 6 * u + 5 * u * u + gamma;
                double d2 = 0, f2 = 0;
                for (int i = 0; i < want.length; i++) {
                    double err = Math.abs(got[i] - want[i]), bound = rtol * s[i] + 1e-30;
                    worst = Math.max(worst, err / (s[i] + 1e-30));
                    if (!(err <= bound)) {
                        fails.add(p + " " + q + " at " + i + ": device " + got[i] + " cpu " + want[i] + " (bound " + bound + ")");
                        break;
                    }
                    d2 += (got[i] - f32[i]) * (got[i] - f32[i]);
                    f2 += f32[i] * f32[i];
                }
                double effect = Math.sqrt(d2 / f2);
                leastEffect = Math.min(leastEffect, effect);
                double minEffect = (sameRounding ? u : GemmPrecision.TF32.unitRoundoff()) / 8;
                if (!(effect >= minEffect)) fails.add(p + " " + q + ": differs from the device's F32 GEMM by only " + effect + " < " + minEffect);
            }
            log.printf(java.util.Locale.ROOT, "gemm %s: worst |dev - cpu| / (|a||b|) = %.3g, least relative change vs f32 = %.3g%n", p.label, worst, leastEffect);
        }
        return fails;
    }

    static double[] gaussian(int n, SplittableRandom r) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
        return x;
    }

    /** The case on backend be at precision p (restored afterwards); the C buffer as doubles. */
    static double[] gemm(Backend be, GemmPrecision p, Case q, double alpha, double[] a, double[] b, double beta, double[] c0) {
        GemmPrecision old = be.setGemmPrecision(p);
        try {
            Tensor ta = be.fromDoubles(DType.F32, a), tb = be.fromDoubles(DType.F32, b), tc = be.fromDoubles(DType.F32, c0);
            be.gemm(q.ta, q.tb, q.m, q.n, q.k, alpha, ta, q.lda(), q.strideA(), tb, q.ldb(), q.sizeB(), beta, tc, q.ldc(), q.strideC(), q.batch);
            return be.toDoubles(tc);
        } finally {
            be.setGemmPrecision(old);
        }
    }

    /**
     * S = |α|(|op(A)||op(B)|) + |β C₀| per element of C, of the float32 operands, in float64. With C
     * broadcast the batches accumulate into one C, so S adds up over them (and C₀ is scaled by β
     * once per batch).
     */
    static double[] scale(Case q, double alpha, double[] a, double[] b, double beta, double[] c0) {
        double[] s = new double[c0.length];
        for (int i = 0; i < c0.length; i++) s[i] = Math.abs((float) c0[i]);
        for (int bt = 0; bt < q.batch; bt++) {
            int ao = (int) (bt * q.strideA()), bo = bt * q.sizeB(), co = (int) (bt * q.strideC());
            for (int i = 0; i < q.m; i++)
                for (int j = 0; j < q.n; j++) {
                    double abs = 0;
                    for (int p = 0; p < q.k; p++) {
                        double x = (float) (q.ta ? a[ao + p * q.lda() + i] : a[ao + i * q.lda() + p]);
                        double y = (float) (q.tb ? b[bo + j * q.ldb() + p] : b[bo + p * q.ldb() + j]);
                        abs += Math.abs(x * y);
                    }
                    int ci = co + i * q.ldc() + j;
                    s[ci] = Math.abs(alpha) * abs + Math.abs(beta) * s[ci];
                }
        }
        return s;
    }
}
