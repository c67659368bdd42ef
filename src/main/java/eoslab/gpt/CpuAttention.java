package eoslab.gpt;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reference CPU implementation of {@link AttentionKernels} (formulas there), in float64 over the
 * host arrays of {@link eoslab.backend.CpuBackend} tensors (F32 values are widened on read and
 * rounded on write, as in {@link CpuTransformerKernels}).
 *
 * <p>One task per (sequence, head) copies that head's q, k, v (T, hs) slices out of qkv; nothing of
 * size T×T exists (the largest scratch is a (hs, BC) key tile). The forward pass is FlashAttention-2's
 * online softmax (Dao 2023, Algorithm 1): blocks of {@link #BQ} query rows against key tiles of
 * {@link #BC}, a running max m and sum ℓ per row, the output accumulator rescaled by exp(m_old − m_new)
 * when the max grows, and lse = m + log ℓ at the end. The backward pass and both tangents recompute
 * P_ij = exp(S_ij − lse_i) from the stored row statistic; the backward passes take one key tile (whose
 * dk, dv rows stay in cache) against every query at or after it (Algorithm 2). Key tiles are transposed
 * to (hs, BC) so a row of scores is a few Vector API sweeps along the keys. Since one task owns a
 * head, dq, dk and dv accumulate without races or atomics and the results do not depend on the
 * thread count.
 */
public final class CpuAttention implements AttentionKernels {
    public static final CpuAttention INSTANCE = new CpuAttention();

    /** Key tile (columns of scores computed together) and query block (rows sharing a key tile). */
    static final int BC = 64, BQ = 32;
    /** Below this many multiply-adds a call runs on the calling thread: waking the pool costs more. */
    private static final long SERIAL = 1 << 16;

    private CpuAttention() {
    }

    // ---- forward ---------------------------------------------------------------------------------

    @Override
    public void forward(Tensor qkv, Tensor y, Tensor lse, int b, int t, int h, int c) {
        check(b, t, h, c, qkv, y, lse);
        int hs = c / h;
        double scale = 1 / Math.sqrt(hs);
        heads(b, t, h, hs, (bi, hi) -> {
            Head x = new Head(b, t, h, c, bi, hi);
            double[] q = x.load(qkv, 0), k = x.load(qkv, 1), v = x.load(qkv, 2);
            double[] out = new double[t * hs], stat = new double[t], s = new double[BC], kt = new double[hs * BC];
            double[] m = new double[BQ], l = new double[BQ];
            // FlashAttention-2 order: a block of BQ query rows (their m, ℓ and accumulators in out) against
            // key tiles of BC, so each transposed key tile is reused by BQ rows
            for (int i0 = 0; i0 < t; i0 += BQ) {
                int ni = Math.min(BQ, t - i0);
                java.util.Arrays.fill(m, Double.NEGATIVE_INFINITY);
                java.util.Arrays.fill(l, 0);
                for (int j0 = 0; j0 < i0 + ni; j0 += BC) {
                    int nj = Math.min(BC, t - j0);
                    transposeTile(k, j0, nj, hs, kt);
                    for (int r = Math.max(0, j0 - i0); r < ni; r++) {
                        int i = i0 + r, nk = Math.min(nj, i - j0 + 1), qi = i * hs;
                        scores(q, qi, scale, kt, BC, 0, nk, hs, s);           // s_j = scale q_i·k_j, j in the tile, j ≤ i
                        double mNew = m[r];
                        for (int j = 0; j < nk; j++) mNew = Math.max(mNew, s[j]);
                        // rescale what was summed under the old max (exp(−∞) = 0 on the first tile)
                        double alpha = Math.exp(m[r] - mNew), sum = l[r] * alpha;
                        for (int d = 0; d < hs; d++) out[qi + d] *= alpha;
                        for (int j = 0; j < nk; j++) {
                            double p = Math.exp(s[j] - mNew);
                            sum += p;
                            axpy(p, v, (j0 + j) * hs, out, qi, hs);
                        }
                        m[r] = mNew;
                        l[r] = sum;
                    }
                }
                for (int r = 0; r < ni; r++) {
                    int qi = (i0 + r) * hs;
                    for (int d = 0; d < hs; d++) out[qi + d] /= l[r];
                    stat[i0 + r] = m[r] + Math.log(l[r]);
                }
            }
            x.storeY(out, y);
            x.storeRow(stat, lse);
        });
    }

    // ---- backward --------------------------------------------------------------------------------

    @Override
    public void backward(Tensor qkv, Tensor y, Tensor lse, Tensor dy, Tensor dqkv, int b, int t, int h, int c) {
        check(b, t, h, c, qkv, y, lse);
        check(b, t, h, c, dqkv, dy, null);
        int hs = c / h;
        double scale = 1 / Math.sqrt(hs);
        heads(b, t, h, hs, (bi, hi) -> {
            Head x = new Head(b, t, h, c, bi, hi);
            double[] q = x.load(qkv, 0), k = x.load(qkv, 1), v = x.load(qkv, 2);
            double[] o = x.loadY(y), g = x.loadY(dy), stat = x.loadRow(lse);
            double[] dq = new double[t * hs], dk = new double[t * hs], dv = new double[t * hs];
            double[] s = new double[BC], dp = new double[BC], kt = new double[hs * BC], vt = new double[hs * BC], dD = new double[t];
            for (int i = 0; i < t; i++) dD[i] = dot(g, i * hs, o, i * hs, hs);   // D_i = dy_i·y_i
            // FlashAttention-2 Algorithm 2 order: a key tile (its dk, dv rows stay in cache) against every query at or after it
            for (int j0 = 0; j0 < t; j0 += BC) {
                int nj = Math.min(BC, t - j0);
                transposeTile(k, j0, nj, hs, kt);
                transposeTile(v, j0, nj, hs, vt);
                for (int i = j0; i < t; i++) {
                    int qi = i * hs, nk = Math.min(nj, i - j0 + 1);
                    scores(q, qi, scale, kt, BC, 0, nk, hs, s);               // S_ij
                    scores(g, qi, 1, vt, BC, 0, nk, hs, dp);                  // dP_ij = dy_i·v_j
                    for (int j = 0; j < nk; j++) {
                        int kj = (j0 + j) * hs;
                        double p = Math.exp(s[j] - stat[i]);
                        double ds = p * (dp[j] - dD[i]) * scale;               // scale·dS_ij
                        axpy(p, g, qi, dv, kj, hs);
                        axpy(ds, k, kj, dq, qi, hs);
                        axpy(ds, q, qi, dk, kj, hs);
                    }
                }
            }
            x.store(dq, dqkv, 0);
            x.store(dk, dqkv, 1);
            x.store(dv, dqkv, 2);
        });
    }

    // ---- tangents --------------------------------------------------------------------------------

    @Override
    public void rForward(Tensor qkv, Tensor y, Tensor lse, Tensor rqkv, Tensor ry, Tensor rlse, int b, int t, int h, int c) {
        check(b, t, h, c, qkv, y, lse);
        check(b, t, h, c, rqkv, ry, rlse);
        int hs = c / h;
        double scale = 1 / Math.sqrt(hs);
        heads(b, t, h, hs, (bi, hi) -> {
            Head x = new Head(b, t, h, c, bi, hi);
            double[] q = x.load(qkv, 0), k = x.load(qkv, 1), v = x.load(qkv, 2);
            double[] rq = x.load(rqkv, 0), rk = x.load(rqkv, 1), rv = x.load(rqkv, 2);
            double[] o = x.loadY(y), stat = x.loadRow(lse);
            // out accumulates Σ_j P_ij (R{S}_ij v_j + Rv_j), rstat R{lse}_i = Σ_j P_ij R{S}_ij
            double[] out = new double[t * hs], rstat = new double[t];
            double[] s = new double[BC], rs = new double[BC], kt = new double[hs * BC], rkt = new double[hs * BC];
            for (int i0 = 0; i0 < t; i0 += BQ) {
                int ni = Math.min(BQ, t - i0);
                for (int j0 = 0; j0 < i0 + ni; j0 += BC) {
                    int nj = Math.min(BC, t - j0);
                    transposeTile(k, j0, nj, hs, kt);
                    transposeTile(rk, j0, nj, hs, rkt);
                    for (int r = Math.max(0, j0 - i0); r < ni; r++) {
                        int i = i0 + r, nk = Math.min(nj, i - j0 + 1), qi = i * hs;
                        scores(q, qi, scale, kt, BC, 0, nk, hs, s);
                        scores(rq, qi, scale, kt, BC, 0, nk, hs, rs);         // R{S}_ij = scale (Rq_i·k_j + q_i·Rk_j)
                        scoresAdd(q, qi, scale, rkt, BC, 0, nk, hs, rs);
                        double rho = 0;
                        for (int j = 0; j < nk; j++) {
                            int kj = (j0 + j) * hs;
                            double p = Math.exp(s[j] - stat[i]);
                            rho += p * rs[j];
                            axpy(p * rs[j], v, kj, out, qi, hs);
                            axpy(p, rv, kj, out, qi, hs);
                        }
                        rstat[i] += rho;
                    }
                }
            }
            for (int i = 0; i < t; i++) {
                int qi = i * hs;
                for (int d = 0; d < hs; d++) out[qi + d] -= rstat[i] * o[qi + d];
            }
            x.storeY(out, ry);
            x.storeRow(rstat, rlse);
        });
    }

    @Override
    public void rBackward(Tensor qkv, Tensor y, Tensor lse, Tensor dy, Tensor rqkv, Tensor ry, Tensor rlse, Tensor rdy, Tensor rdqkv,
                          int b, int t, int h, int c) {
        check(b, t, h, c, qkv, y, lse);
        check(b, t, h, c, rqkv, ry, rlse);
        check(b, t, h, c, rdqkv, dy, null);
        check(b, t, h, c, rdqkv, rdy, null);
        int hs = c / h;
        double scale = 1 / Math.sqrt(hs);
        heads(b, t, h, hs, (bi, hi) -> {
            Head x = new Head(b, t, h, c, bi, hi);
            double[] q = x.load(qkv, 0), k = x.load(qkv, 1), v = x.load(qkv, 2);
            double[] rq = x.load(rqkv, 0), rk = x.load(rqkv, 1), rv = x.load(rqkv, 2);
            double[] o = x.loadY(y), ro = x.loadY(ry), g = x.loadY(dy), rg = x.loadY(rdy);
            double[] stat = x.loadRow(lse), rstat = x.loadRow(rlse);
            double[] rdq = new double[t * hs], rdk = new double[t * hs], rdv = new double[t * hs];
            double[] s = new double[BC], rs = new double[BC], dp = new double[BC], rdp = new double[BC];
            double[] kt = new double[hs * BC], rkt = new double[hs * BC], vt = new double[hs * BC], rvt = new double[hs * BC];
            double[] dD = new double[t], rD = new double[t];
            for (int i = 0; i < t; i++) {
                int qi = i * hs;
                dD[i] = dot(g, qi, o, qi, hs);                                 // D_i
                rD[i] = dot(rg, qi, o, qi, hs) + dot(g, qi, ro, qi, hs);       // R{D}_i
            }
            for (int j0 = 0; j0 < t; j0 += BC) {
                int nj = Math.min(BC, t - j0);
                transposeTile(k, j0, nj, hs, kt);
                transposeTile(rk, j0, nj, hs, rkt);
                transposeTile(v, j0, nj, hs, vt);
                transposeTile(rv, j0, nj, hs, rvt);
                for (int i = j0; i < t; i++) {
                    int qi = i * hs, nk = Math.min(nj, i - j0 + 1);
                    scores(q, qi, scale, kt, BC, 0, nk, hs, s);
                    scores(rq, qi, scale, kt, BC, 0, nk, hs, rs);
                    scoresAdd(q, qi, scale, rkt, BC, 0, nk, hs, rs);
                    scores(g, qi, 1, vt, BC, 0, nk, hs, dp);
                    scores(rg, qi, 1, vt, BC, 0, nk, hs, rdp);                // R{dP}_ij = R{dy}_i·v_j + dy_i·Rv_j
                    scoresAdd(g, qi, 1, rvt, BC, 0, nk, hs, rdp);
                    for (int j = 0; j < nk; j++) {
                        int kj = (j0 + j) * hs;
                        double p = Math.exp(s[j] - stat[i]);
                        double rp = p * (rs[j] - rstat[i]);
                        double ds = scale * p * (dp[j] - dD[i]);                                   // scale·dS_ij
                        double rds = scale * (rp * (dp[j] - dD[i]) + p * (rdp[j] - rD[i]));        // scale·R{dS}_ij
                        axpy(rds, k, kj, rdq, qi, hs);
                        axpy(ds, rk, kj, rdq, qi, hs);
                        axpy(rds, q, qi, rdk, kj, hs);
                        axpy(ds, rq, qi, rdk, kj, hs);
                        axpy(rp, g, qi, rdv, kj, hs);
                        axpy(p, rg, qi, rdv, kj, hs);
                    }
                }
            }
            x.store(rdq, rdqkv, 0);
            x.store(rdk, rdqkv, 1);
            x.store(rdv, rdqkv, 2);
        });
    }

    /** kt (hs, BC) = rows [j0, j0 + n) of x (T, hs), transposed, so a row of scores is a vector sweep. */
    static void transposeTile(double[] x, int j0, int n, int hs, double[] kt) {
        for (int j = 0; j < n; j++) for (int d = 0; d < hs; d++) kt[d * BC + j] = x[(j0 + j) * hs + d];
    }

    /**
     * out[j] = α a_row·kᵀ_j for keys j0 ≤ j &lt; j0 + n, from a transposed key tile kt (hs rows of stride
     * t): hs vector axpys along the key axis instead of n reductions over hs.
     */
    static void scores(double[] a, int ao, double alpha, double[] kt, int t, int j0, int n, int hs, double[] out) {
        java.util.Arrays.fill(out, 0, n, 0);
        scoresAdd(a, ao, alpha, kt, t, j0, n, hs, out);
    }

    /** out[j] += α a_row·kᵀ_j (see {@link #scores}). */
    static void scoresAdd(double[] a, int ao, double alpha, double[] kt, int t, int j0, int n, int hs, double[] out) {
        for (int d = 0; d < hs; d++) axpy(alpha * a[ao + d], kt, d * t + j0, out, 0, n);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private interface HeadBody {
        void run(int bi, int hi);
    }

    /** body(b, h) for every (sequence, head), in parallel when the work is large enough. */
    private static void heads(int b, int t, int h, int hs, HeadBody body) {
        int tasks = b * h;
        if ((long) tasks * t * t * hs < SERIAL) {
            for (int task = 0; task < tasks; task++) body.run(task / h, task % h);
        } else {
            Parallel.forEach(tasks, task -> body.run(task / h, task % h));
        }
    }

    private static void check(int b, int t, int h, int c, Tensor x3, Tensor x1, Tensor row) {
        if (b < 1 || t < 1 || h < 1 || c < h || c % h != 0) {
            throw new IllegalArgumentException("attention: bad shape B=" + b + " T=" + t + " H=" + h + " C=" + c);
        }
        long n = (long) b * t;
        need(x3, 3 * n * c, "(B·T, 3C)");
        need(x1, n * c, "(B·T, C)");
        if (row != null) need(row, n * h, "(B, H, T)");
    }

    private static void need(Tensor x, long size, String shape) {
        if (x.dtype == DType.I32) throw new IllegalArgumentException("attention needs F32 or F64 tensors, got " + x);
        if (x.size < size) throw new IllegalArgumentException("attention: tensor " + x + " is smaller than " + shape + " = " + size);
    }

    /** Index arithmetic of one (sequence, head): where its rows sit in qkv, y and the (B, H, T) statistics. */
    private record Head(int t, int hs, int c, long row0, long col0, long stat0) {
        Head(int b, int t, int h, int c, int bi, int hi) {
            this(t, c / h, c, (long) bi * t, (long) hi * (c / h), ((long) bi * h + hi) * t);
        }

        /** Third {@code part} (0 q, 1 k, 2 v) of this head from an (N, 3C) tensor, as (T, hs). */
        double[] load(Tensor x, int part) {
            return get(x, row0 * 3 * c + (long) part * c + col0, 3 * c);
        }

        double[] loadY(Tensor x) {
            return get(x, row0 * c + col0, c);
        }

        double[] loadRow(Tensor x) {
            double[] a = new double[t];
            for (int i = 0; i < t; i++) a[i] = at(x, stat0 + i);
            return a;
        }

        void store(double[] a, Tensor x, int part) {
            put(a, x, row0 * 3 * c + (long) part * c + col0, 3 * c);
        }

        void storeY(double[] a, Tensor x) {
            put(a, x, row0 * c + col0, c);
        }

        void storeRow(double[] a, Tensor x) {
            if (x.storage instanceof double[] d) System.arraycopy(a, 0, d, (int) (x.offset + stat0), t);
            else {
                float[] f = (float[]) x.storage;
                for (int i = 0; i < t; i++) f[(int) (x.offset + stat0) + i] = (float) a[i];
            }
        }

        private double[] get(Tensor x, long base, int stride) {
            double[] a = new double[t * hs];
            int o = (int) (x.offset + base);
            if (x.storage instanceof double[] d) {
                for (int i = 0; i < t; i++) System.arraycopy(d, o + i * stride, a, i * hs, hs);
            } else {
                float[] f = (float[]) x.storage;
                for (int i = 0; i < t; i++) for (int e = 0; e < hs; e++) a[i * hs + e] = f[o + i * stride + e];
            }
            return a;
        }

        private void put(double[] a, Tensor x, long base, int stride) {
            int o = (int) (x.offset + base);
            if (x.storage instanceof double[] d) {
                for (int i = 0; i < t; i++) System.arraycopy(a, i * hs, d, o + i * stride, hs);
            } else {
                float[] f = (float[]) x.storage;
                for (int i = 0; i < t; i++) for (int e = 0; e < hs; e++) f[o + i * stride + e] = (float) a[i * hs + e];
            }
        }

        private static double at(Tensor x, long i) {
            return x.storage instanceof double[] d ? d[(int) (x.offset + i)] : ((float[]) x.storage)[(int) (x.offset + i)];
        }
    }

    static double dot(double[] a, int ao, double[] b, int bo, int n) {
        double s = 0;
        for (int e = 0; e < n; e++) s += a[ao + e] * b[bo + e];
        return s;
    }

    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;

    /** y[yo..yo+n) += α x[xo..xo+n), in vectors of {@link #DS} (the Vector API; fused multiply-add, scalar tail). */
    static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int n) {
        int e = 0;
        if (n >= DS.length()) {
            DoubleVector va = DoubleVector.broadcast(DS, alpha);
            for (int hi = DS.loopBound(n); e < hi; e += DS.length()) {
                DoubleVector.fromArray(DS, x, xo + e).fma(va, DoubleVector.fromArray(DS, y, yo + e)).intoArray(y, yo + e);
            }
        }
        for (; e < n; e++) y[yo + e] += alpha * x[xo + e];
    }
}
