package eoslab.dynamics.qr;

import eoslab.tensor.Tensor;
import eoslab.util.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * CholeskyQR2's passes over V for tensors in host arrays (the CPU backend), fused so V is read
 * three times and written twice per QR instead of five reads (three Grams, two GEMMs) and two
 * writes (issue #3: the QR was 43-68% of a tracker step at k = 8, and the skinny (k, k)·(k, d)
 * GEMM and the scalar Gram were most of it):
 *
 * <pre>
 *   gram(V)                          G1 = VᵀV                         read V
 *   solveAndGram(V, R1⁻¹, W)         W = V R1⁻¹,  G2 = WᵀW             read V, write W
 *   solveAndGram(W, R2⁻¹, V)         Q = W R2⁻¹,  G3 = QᵀQ (the check) read W, write Q
 * </pre>
 *
 * Rows are cut into fixed blocks of {@link #BLOCK}; each block's k vectors are widened to float64
 * in a scratch block, multiplied by the triangular R⁻¹ there (each output row a float64 sum of at
 * most k products, rounded once to the tensor's dtype), and the Gram is formed from the ROUNDED
 * values, i.e. from exactly what is stored, while the block is in L1/L2. Partial Grams are added in
 * block order: results depend only on (d, k, the vector width), never on the thread count.
 *
 * <p>Numerics versus the backend path (Backend.gram + Backend.gemm): the same formulas; W = V R⁻¹
 * is accumulated in float64 and rounded once (CpuGemm's float32 GEMM rounds every step), and the
 * products are fused multiply-adds in float64 lanes, so results differ by rounding only. Every
 * operation is a lane-wise IEEE operation (no reduceLanes), so the bits do not depend on the JIT.
 */
final class HostPasses {
    private HostPasses() {
    }

    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int L = DS.length();
    /** Rows per block: k = 8 float64 slices (128 KiB) stay in L2; a multiple of every vector width. */
    static final int BLOCK = 2048;

    /** Whether {@code t} lives in a host array these passes can work on. */
    static boolean applies(Tensor t) {
        return t.storage instanceof float[] || t.storage instanceof double[];
    }

    /** {@code G = VᵀV}, (k, k) row-major, float64, for the k contiguous vectors of length d in v. */
    static double[] gram(Tensor v, int d, int k) {
        return run(v, null, null, d, k);
    }

    /**
     * {@code dst = src U} for the upper-triangular (k, k) row-major U (= R⁻¹), i.e.
     * {@code dst_i = Σ_{l ≤ i} U_li src_l}, and returns {@code G = dstᵀdst} of the stored dst.
     * src and dst must not overlap.
     */
    static double[] solveAndGram(Tensor src, double[] u, Tensor dst, int d, int k) {
        return run(src, u, dst, d, k);
    }

    private static double[] run(Tensor src, double[] u, Tensor dst, int d, int k) {
        if (src.size != (long) d * k || (dst != null && dst.size != (long) d * k)) throw new IllegalArgumentException("QR passes: expected " + k + " vectors of " + d);
        int nb = Parallel.blocks(d, BLOCK);
        double[][] part = new double[nb][];
        Parallel.forEach(nb, b -> {
            int lo = b * BLOCK, len = Math.min(d, lo + BLOCK) - lo;
            int pad = (len + L - 1) / L * L;           // zero tail: whole vectors, zeros add nothing
            double[][] sc = scratch(k * pad);
            double[] x = sc[0];                         // (k, pad) the block of src, widened
            widen(src, d, k, lo, len, x, pad);
            if (u != null) {
                double[] y = sc[1];                     // (k, pad) the block of dst
                for (int i = 0; i < k; i++) {
                    int yi = i * pad;
                    for (int r = 0; r < pad; r += L) {
                        DoubleVector acc = DoubleVector.zero(DS);
                        for (int l = 0; l <= i; l++) acc = DoubleVector.fromArray(DS, x, l * pad + r).fma(DoubleVector.broadcast(DS, u[l * k + i]), acc);
                        acc.intoArray(y, yi + r);
                    }
                }
                store(y, pad, dst, d, k, lo, len);      // rounds y to dst's dtype in place
                x = y;
            }
            part[b] = blockGram(x, pad, k);
        });
        double[] g = new double[k * k];
        for (double[] p : part) for (int q = 0; q < g.length; q++) g[q] += p[q];
        for (int i = 0; i < k; i++) for (int j = 0; j < i; j++) g[j * k + i] = g[i * k + j];
        return g;
    }

    /** Two scratch blocks of at least n doubles for this thread (allocating 2·k·BLOCK per block costs as much as the work). */
    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[][] {new double[0], new double[0]});

    private static double[][] scratch(int n) {
        double[][] s = SCRATCH.get();
        if (s[0].length < n) {
            s = new double[][] {new double[n], new double[n]};
            SCRATCH.set(s);
        }
        return s;
    }

    /** x (k, pad) ← rows [lo, lo + len) of the k vectors of t, widened to float64, and zeros in [len, pad). */
    private static void widen(Tensor t, int d, int k, int lo, int len, double[] x, int pad) {
        if (len < pad) for (int i = 0; i < k; i++) java.util.Arrays.fill(x, i * pad + len, (i + 1) * pad, 0.0);
        int o = (int) t.offset;
        if (t.storage instanceof float[] a) {
            for (int i = 0; i < k; i++) {
                int s = o + i * d + lo, xi = i * pad;
                for (int r = 0; r < len; r++) x[xi + r] = a[s + r];
            }
        } else {
            double[] a = (double[]) t.storage;
            for (int i = 0; i < k; i++) System.arraycopy(a, o + i * d + lo, x, i * pad, len);
        }
    }

    /** Rows [lo, lo + len) of t ← y (k, pad), rounded to t's dtype; y keeps the rounded values. */
    private static void store(double[] y, int pad, Tensor t, int d, int k, int lo, int len) {
        int o = (int) t.offset;
        if (t.storage instanceof float[] a) {
            for (int i = 0; i < k; i++) {
                int s = o + i * d + lo, yi = i * pad;
                for (int r = 0; r < len; r++) {
                    float f = (float) y[yi + r];
                    a[s + r] = f;
                    y[yi + r] = f;
                }
            }
        } else {
            double[] a = (double[]) t.storage;
            for (int i = 0; i < k; i++) System.arraycopy(y, i * pad, a, o + i * d + lo, len);
        }
    }

    /**
     * Lower triangle of xᵀx for the (k, pad) block: for each i, four columns j at a time share the
     * load of x_i (four independent FMA chains); the lanes are summed at the end of the block.
     */
    private static double[] blockGram(double[] x, int pad, int k) {
        double[] g = new double[k * k], lane = new double[L];
        for (int i = 0; i < k; i++) {
            int xi = i * pad;
            for (int j = 0; j <= i; j += 4) {
                int j1 = Math.min(j + 1, i), j2 = Math.min(j + 2, i), j3 = Math.min(j + 3, i);   // past i: recomputed, not stored
                int x0 = j * pad, x1 = j1 * pad, x2 = j2 * pad, x3 = j3 * pad;
                DoubleVector a0 = DoubleVector.zero(DS), a1 = a0, a2 = a0, a3 = a0;
                for (int r = 0; r < pad; r += L) {
                    DoubleVector v = DoubleVector.fromArray(DS, x, xi + r);
                    a0 = v.fma(DoubleVector.fromArray(DS, x, x0 + r), a0);
                    a1 = v.fma(DoubleVector.fromArray(DS, x, x1 + r), a1);
                    a2 = v.fma(DoubleVector.fromArray(DS, x, x2 + r), a2);
                    a3 = v.fma(DoubleVector.fromArray(DS, x, x3 + r), a3);
                }
                g[i * k + j] = lanes(a0, lane);
                if (j + 1 <= i) g[i * k + j + 1] = lanes(a1, lane);
                if (j + 2 <= i) g[i * k + j + 2] = lanes(a2, lane);
                if (j + 3 <= i) g[i * k + j + 3] = lanes(a3, lane);
            }
        }
        return g;
    }

    /**
     * The lanes of {@code a} added in lane order. Not reduceLanes: its order is unspecified and may
     * differ between the intrinsic and the interpreter, and G must not depend on the JIT state.
     */
    private static double lanes(DoubleVector a, double[] lane) {
        a.intoArray(lane, 0);
        double s = 0;
        for (double x : lane) s += x;
        return s;
    }
}
