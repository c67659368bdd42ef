package eoslab.backend;

import eoslab.tensor.Tensor;
import eoslab.util.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuBackend#gram} and {@link CpuBackend#applyUpperAndGram}: the passes of a CholeskyQR over
 * k vectors of length d in host arrays, blocked so each pass reads V once (and the second writes it
 * once, in place):
 *
 * <pre>
 *   gram(V)                       G = VᵀV                            read V
 *   applyUpperAndGram(V, U)       V ← V U,  G = VᵀV of the stored V  read V, write V
 * </pre>
 *
 * Rows are cut into fixed blocks of {@link #BLOCK}; each block's k vectors are widened to float64
 * in a scratch block, multiplied by the upper-triangular U there (each output a float64 sum of at
 * most k products in the order l = 0..i, fused multiply-adds, rounded once to the tensor's dtype),
 * and the Gram is formed from the ROUNDED values, i.e. from exactly what is stored, while the block
 * is in L1/L2. A block's rows are read before any of them is written, so the product is in place.
 * Partial Grams are added in block order: results depend only on (d, k, the vector width), never
 * on the thread count. Every operation is a lane-wise IEEE operation (no reduceLanes), so the bits
 * do not depend on the JIT. kernels/gram.cu's qr_apply kernels compute V U with the same fused
 * products in the same order, so V U agrees to the bit on a GPU.
 */
final class CpuGram {
    private CpuGram() {
    }

    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int L = DS.length();
    /** Rows per block: k = 8 float64 slices (128 KiB) stay in L2; a multiple of every vector width. */
    static final int BLOCK = 2048;

    /** {@code G = VᵀV}, (k, k) row-major, float64, for the k contiguous vectors of length d in v. */
    static double[] gram(Tensor v, int d, int k) {
        return run(v, null, d, k);
    }

    /**
     * {@code v_i ← Σ_{l ≤ i} U_li v_l} in place for the upper-triangular (k, k) row-major U (e.g.
     * R⁻¹), and returns {@code G = vᵀv} of the stored result.
     */
    static double[] applyUpperAndGram(Tensor v, double[] u, int d, int k) {
        return run(v, u, d, k);
    }

    private static double[] run(Tensor v, double[] u, int d, int k) {
        if (v.size < (long) d * k) throw new IllegalArgumentException("gram: " + v + " holds fewer than " + k + " vectors of " + d);
        double[] u4 = u == null ? null : groupsOfFour(u, k);
        int nb = Parallel.blocks(d, BLOCK);
        double[][] part = new double[nb][];
        Parallel.forEach(nb, b -> {
            int lo = b * BLOCK, len = Math.min(d, lo + BLOCK) - lo;
            int pad = (len + L - 1) / L * L;           // zero tail: whole vectors, zeros add nothing
            int kp = (k + 3) & ~3;                      // vectors padded to whole 4×4 tiles with zeros
            double[][] sc = scratch(kp * pad);
            double[] x = sc[0];                         // (k, pad) the block of v, widened
            widen(v, d, k, lo, len, x, pad);
            if (u != null) {
                double[] y = sc[1];                     // (kp, pad) the block of V U
                solve(x, u4, y, pad, k);
                store(y, pad, v, d, k, lo, len);        // rounds y to v's dtype, in y too
                x = y;
            }
            java.util.Arrays.fill(x, k * pad, kp * pad, 0.0);
            part[b] = blockGram(x, pad, k);
        });
        double[] g = new double[k * k];
        for (double[] p : part) for (int q = 0; q < g.length; q++) g[q] += p[q];
        for (int i = 0; i < k; i++) for (int j = 0; j < i; j++) g[j * k + i] = g[i * k + j];
        return g;
    }

    /**
     * U regrouped for {@link #solve}: for output group i0 (columns i0..i0+3), entry
     * {@code [i0·k + 4l + t] = U_{l, i0+t}}, 0 where l &gt; i0 + t (below the diagonal) or i0 + t ≥ k.
     */
    private static double[] groupsOfFour(double[] u, int k) {
        double[] c = new double[((k + 3) & ~3) * k];
        for (int i0 = 0; i0 < k; i0 += 4)
            for (int l = 0; l < k; l++)
                for (int t = 0; t < 4; t++) {
                    int i = i0 + t;
                    c[i0 * k + 4 * l + t] = i < k && l <= i ? u[l * k + i] : 0;
                }
        return c;
    }

    /**
     * y_i = Σ_{l ≤ i} U_li x_l for i &lt; k over the block, four outputs at a time so each row vector
     * x_l is loaded once per group; l runs upward, so each y_i is the float64 sum in the order l = 0..i
     * (the zero coefficients of l &gt; i add exact zeros).
     */
    private static void solve(double[] x, double[] u4, double[] y, int pad, int k) {
        for (int i0 = 0; i0 < k; i0 += 4) {
            int lmax = Math.min(k, i0 + 4), c0 = i0 * k;
            for (int r = 0; r < pad; r += L) {
                DoubleVector y0 = DoubleVector.zero(DS), y1 = y0, y2 = y0, y3 = y0;
                for (int l = 0; l < lmax; l++) {
                    DoubleVector xl = DoubleVector.fromArray(DS, x, l * pad + r);
                    int c = c0 + 4 * l;
                    y0 = xl.fma(DoubleVector.broadcast(DS, u4[c]), y0);
                    y1 = xl.fma(DoubleVector.broadcast(DS, u4[c + 1]), y1);
                    y2 = xl.fma(DoubleVector.broadcast(DS, u4[c + 2]), y2);
                    y3 = xl.fma(DoubleVector.broadcast(DS, u4[c + 3]), y3);
                }
                y0.intoArray(y, i0 * pad + r);
                if (i0 + 1 < k) y1.intoArray(y, (i0 + 1) * pad + r);
                if (i0 + 2 < k) y2.intoArray(y, (i0 + 2) * pad + r);
                if (i0 + 3 < k) y3.intoArray(y, (i0 + 3) * pad + r);
            }
        }
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
     * Lower triangle of xᵀx for the (k, pad) block (x holds zero vectors up to a multiple of 4): 4×4
     * tiles of G, 16 independent FMA chains per tile, each row vector of x loaded once per tile
     * (8 loads per 16 FMAs); the lanes are summed at the end of the block.
     */
    private static double[] blockGram(double[] x, int pad, int k) {
        double[] g = new double[k * k], lane = new double[L];
        for (int i0 = 0; i0 < k; i0 += 4) {
            for (int j0 = 0; j0 <= i0; j0 += 4) {
                int p0 = i0 * pad, p1 = p0 + pad, p2 = p1 + pad, p3 = p2 + pad;
                int q0 = j0 * pad, q1 = q0 + pad, q2 = q1 + pad, q3 = q2 + pad;
                DoubleVector z = DoubleVector.zero(DS);
                DoubleVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
                DoubleVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
                for (int r = 0; r < pad; r += L) {
                    DoubleVector u0 = DoubleVector.fromArray(DS, x, p0 + r), u1 = DoubleVector.fromArray(DS, x, p1 + r);
                    DoubleVector u2 = DoubleVector.fromArray(DS, x, p2 + r), u3 = DoubleVector.fromArray(DS, x, p3 + r);
                    DoubleVector w = DoubleVector.fromArray(DS, x, q0 + r);
                    a00 = u0.fma(w, a00); a10 = u1.fma(w, a10); a20 = u2.fma(w, a20); a30 = u3.fma(w, a30);
                    w = DoubleVector.fromArray(DS, x, q1 + r);
                    a01 = u0.fma(w, a01); a11 = u1.fma(w, a11); a21 = u2.fma(w, a21); a31 = u3.fma(w, a31);
                    w = DoubleVector.fromArray(DS, x, q2 + r);
                    a02 = u0.fma(w, a02); a12 = u1.fma(w, a12); a22 = u2.fma(w, a22); a32 = u3.fma(w, a32);
                    w = DoubleVector.fromArray(DS, x, q3 + r);
                    a03 = u0.fma(w, a03); a13 = u1.fma(w, a13); a23 = u2.fma(w, a23); a33 = u3.fma(w, a33);
                }
                // named, not an array of vectors: an array would make C2 box the accumulators in the loop
                put(g, k, i0, j0, a00, lane); put(g, k, i0, j0 + 1, a01, lane); put(g, k, i0, j0 + 2, a02, lane); put(g, k, i0, j0 + 3, a03, lane);
                put(g, k, i0 + 1, j0, a10, lane); put(g, k, i0 + 1, j0 + 1, a11, lane); put(g, k, i0 + 1, j0 + 2, a12, lane); put(g, k, i0 + 1, j0 + 3, a13, lane);
                put(g, k, i0 + 2, j0, a20, lane); put(g, k, i0 + 2, j0 + 1, a21, lane); put(g, k, i0 + 2, j0 + 2, a22, lane); put(g, k, i0 + 2, j0 + 3, a23, lane);
                put(g, k, i0 + 3, j0, a30, lane); put(g, k, i0 + 3, j0 + 1, a31, lane); put(g, k, i0 + 3, j0 + 2, a32, lane); put(g, k, i0 + 3, j0 + 3, a33, lane);
            }
        }
        return g;
    }

    /** G_ij = the lanes of a, for i &lt; k and j &lt;= i (the rest of a 4×4 tile is padding or upper triangle). */
    private static void put(double[] g, int k, int i, int j, DoubleVector a, double[] lane) {
        if (i < k && j <= i) g[i * k + j] = lanes(a, lane);
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
