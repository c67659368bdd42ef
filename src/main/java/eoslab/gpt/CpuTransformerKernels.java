package eoslab.gpt;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;

/**
 * Reference CPU implementation of {@link TransformerKernels}: plain loops in float64 over the host
 * arrays of {@link eoslab.backend.CpuBackend} tensors (F32 values are widened on read and rounded on
 * write). Row-wise kernels run rows in parallel; each row is computed by one thread in a fixed order,
 * so results do not depend on the thread count. Scatter-adds (embedding backward) run in row order.
 */
final class CpuTransformerKernels implements TransformerKernels {
    static final CpuTransformerKernels INSTANCE = new CpuTransformerKernels();
    static final double LN_EPS = 1e-5; // PyTorch's LayerNorm default, as in GPT-2

    /** Rows per parallel task. */
    private static final int ROWS = 16;
    /** Below this many elements a kernel runs on the calling thread: waking the pool costs more. */
    private static final long SERIAL = 1 << 15;

    private CpuTransformerKernels() {
    }

    /** Element access to an F32 or F64 tensor, in double. */
    private abstract static sealed class Buf permits F32Buf, F64Buf {
        static Buf of(Tensor t) {
            if (t == null) return null;
            return switch (t.dtype) {
                case F32 -> new F32Buf((float[]) t.storage, (int) t.offset);
                case F64 -> new F64Buf((double[]) t.storage, (int) t.offset);
                case I32 -> throw new IllegalArgumentException("expected a floating tensor, got " + t);
            };
        }

        abstract double get(int i);

        abstract void set(int i, double v);

        final void add(int i, double v) {
            set(i, get(i) + v);
        }
    }

    private static final class F32Buf extends Buf {
        final float[] a;
        final int o;

        F32Buf(float[] a, int o) { this.a = a; this.o = o; }

        double get(int i) { return a[o + i]; }

        void set(int i, double v) { a[o + i] = (float) v; }
    }

    private static final class F64Buf extends Buf {
        final double[] a;
        final int o;

        F64Buf(double[] a, int o) { this.a = a; this.o = o; }

        double get(int i) { return a[o + i]; }

        void set(int i, double v) { a[o + i] = v; }
    }

    private static int[] ints(Tensor t) {
        if (t.dtype != DType.I32) throw new IllegalArgumentException("token ids must be I32, got " + t.dtype);
        return (int[]) t.storage;
    }

    /** {@code row(r)} for r &lt; rows, in parallel blocks when rows·cols is large enough. */
    private static void rowsParallel(int rows, int cols, java.util.function.IntConsumer row) {
        if ((long) rows * cols < SERIAL) {
            for (int r = 0; r < rows; r++) row.accept(r);
            return;
        }
        Parallel.forEach(Parallel.blocks(rows, ROWS), blk -> {
            int hi = Math.min(rows, (blk + 1) * ROWS);
            for (int r = blk * ROWS; r < hi; r++) row.accept(r);
        });
    }

    /** {@code col(i)} for i &lt; c: per-column sums over the rows, each in row order. */
    private static void columns(int rows, int c, java.util.function.IntConsumer col) {
        if ((long) rows * c < SERIAL) {
            for (int i = 0; i < c; i++) col.accept(i);
        } else {
            Parallel.forEach(c, col);
        }
    }

    // ---- embeddings ----------------------------------------------------------------------------

    @Override
    public void embeddingForward(Tensor tokens, Tensor wte, Tensor wpe, Tensor out, int b, int t, int c, int v) {
        int[] tok = ints(tokens);
        int to = (int) tokens.offset;
        Buf e = Buf.of(wte), p = Buf.of(wpe), y = Buf.of(out);
        for (int r = 0; r < b * t; r++) {
            int id = tok[to + r];
            if (id < 0 || id >= v) throw new IllegalArgumentException("token id " + id + " at position " + r + " is outside the vocabulary [0, " + v + ")");
        }
        rowsParallel(b * t, c, r -> {
            int id = tok[to + r], pos = r % t;
            for (int i = 0; i < c; i++) y.set(r * c + i, e.get(id * c + i) + p.get(pos * c + i));
        });
    }

    @Override
    public void embeddingBackward(Tensor tokens, Tensor dout, Tensor dwte, Tensor dwpe, int b, int t, int c) {
        int[] tok = ints(tokens);
        int to = (int) tokens.offset;
        Buf dy = Buf.of(dout), de = Buf.of(dwte), dp = Buf.of(dwpe);
        for (int r = 0; r < b * t; r++) {
            int id = tok[to + r], pos = r % t;
            for (int i = 0; i < c; i++) {
                double g = dy.get(r * c + i);
                de.add(id * c + i, g);
                dp.add(pos * c + i, g);
            }
        }
    }

    // ---- LayerNorm ----------------------------------------------------------------------------

    @Override
    public void layerNormForward(Tensor x, Tensor g, Tensor beta, Tensor y, Tensor mean, Tensor rstd, int rows, int c) {
        Buf X = Buf.of(x), G = Buf.of(g), Bt = Buf.of(beta), Y = Buf.of(y), M = Buf.of(mean), R = Buf.of(rstd);
        rowsParallel(rows, c, r -> {
            int o = r * c;
            double mu = 0;
            for (int i = 0; i < c; i++) mu += X.get(o + i);
            mu /= c;
            double var = 0;
            for (int i = 0; i < c; i++) {
                double d = X.get(o + i) - mu;
                var += d * d;
            }
            var /= c;
            double rs = 1 / Math.sqrt(var + LN_EPS);
            for (int i = 0; i < c; i++) Y.set(o + i, G.get(i) * (X.get(o + i) - mu) * rs + Bt.get(i));
            M.set(r, mu);
            R.set(r, rs);
        });
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor mean, Tensor rstd, Tensor g, Tensor dy, Tensor dx, Tensor dg, Tensor dbeta, int rows, int c) {
        Buf X = Buf.of(x), M = Buf.of(mean), R = Buf.of(rstd), G = Buf.of(g), DY = Buf.of(dy), DX = Buf.of(dx);
        rowsParallel(rows, c, r -> {
            int o = r * c;
            double mu = M.get(r), rs = R.get(r), m1 = 0, m2 = 0;
            for (int i = 0; i < c; i++) {
                double gh = DY.get(o + i) * G.get(i), xh = (X.get(o + i) - mu) * rs;
                m1 += gh;
                m2 += gh * xh;
            }
            m1 /= c;
            m2 /= c;
            for (int i = 0; i < c; i++) {
                double gh = DY.get(o + i) * G.get(i), xh = (X.get(o + i) - mu) * rs;
                DX.add(o + i, rs * (gh - m1 - xh * m2));
            }
        });
        if (dg == null) return;
        Buf DG = Buf.of(dg), DB = Buf.of(dbeta);
        // parameter gradients: sums over rows, column by column in row order (deterministic)
        columns(rows, c, i -> {
            double sg = 0, sb = 0;
            for (int r = 0; r < rows; r++) {
                double d = DY.get(r * c + i);
                sg += d * (X.get(r * c + i) - M.get(r)) * R.get(r);
                sb += d;
            }
            DG.add(i, sg);
            DB.add(i, sb);
        });
    }

    @Override
    public void layerNormRForward(Tensor x, Tensor mean, Tensor rstd, Tensor g, Tensor vg, Tensor vbeta, Tensor rx, Tensor ry, int rows, int c) {
        Buf X = Buf.of(x), M = Buf.of(mean), R = Buf.of(rstd), G = Buf.of(g), VG = Buf.of(vg), VB = Buf.of(vbeta), RX = Buf.of(rx), RY = Buf.of(ry);
        rowsParallel(rows, c, r -> {
            int o = r * c;
            double mu = M.get(r), rs = R.get(r);
            double mrx = 0;
            for (int i = 0; i < c; i++) mrx += RX.get(o + i);
            mrx /= c;
            double mxu = 0;
            for (int i = 0; i < c; i++) mxu += (X.get(o + i) - mu) * rs * (RX.get(o + i) - mrx);
            mxu /= c;
            for (int i = 0; i < c; i++) {
                double xh = (X.get(o + i) - mu) * rs;
                double rxh = rs * ((RX.get(o + i) - mrx) - xh * mxu);
                RY.set(o + i, VG.get(i) * xh + G.get(i) * rxh + VB.get(i));
            }
        });
    }

    @Override
    public void layerNormRBackward(Tensor x, Tensor mean, Tensor rstd, Tensor g, Tensor vg, Tensor dy, Tensor rx, Tensor rdy,
                                   Tensor rdx, Tensor rdg, Tensor rdbeta, int rows, int c) {
        Buf X = Buf.of(x), M = Buf.of(mean), R = Buf.of(rstd), G = Buf.of(g), VG = Buf.of(vg), DY = Buf.of(dy),
                RX = Buf.of(rx), RDY = Buf.of(rdy), RDX = Buf.of(rdx);
        rowsParallel(rows, c, r -> {
            int o = r * c;
            double mu = M.get(r), rs = R.get(r);
            double mrx = 0;
            for (int i = 0; i < c; i++) mrx += RX.get(o + i);
            mrx /= c;
            double mxu = 0;
            for (int i = 0; i < c; i++) mxu += (X.get(o + i) - mu) * rs * (RX.get(o + i) - mrx);
            mxu /= c;
            double rr = -rs * rs * mxu; // R{r}
            double m1 = 0, m2 = 0, rm1 = 0, rm2 = 0;
            for (int i = 0; i < c; i++) {
                double xh = (X.get(o + i) - mu) * rs;
                double rxh = rs * ((RX.get(o + i) - mrx) - xh * mxu);
                double gh = DY.get(o + i) * G.get(i);
                double rgh = RDY.get(o + i) * G.get(i) + DY.get(o + i) * VG.get(i);
                m1 += gh;
                m2 += gh * xh;
                rm1 += rgh;
                rm2 += rgh * xh + gh * rxh;
            }
            m1 /= c;
            m2 /= c;
            rm1 /= c;
            rm2 /= c;
            for (int i = 0; i < c; i++) {
                double xh = (X.get(o + i) - mu) * rs;
                double rxh = rs * ((RX.get(o + i) - mrx) - xh * mxu);
                double gh = DY.get(o + i) * G.get(i);
                double rgh = RDY.get(o + i) * G.get(i) + DY.get(o + i) * VG.get(i);
                RDX.add(o + i, rr * (gh - m1 - xh * m2) + rs * (rgh - rm1 - rxh * m2 - xh * rm2));
            }
        });
        Buf RDG = Buf.of(rdg), RDB = Buf.of(rdbeta);
        // per-row R{x̂} coefficients, then column sums in row order
        double[] mrx = new double[rows], mxu = new double[rows];
        rowsParallel(rows, c, r -> {
            int o = r * c;
            double mu = M.get(r), rs = R.get(r), a = 0;
            for (int i = 0; i < c; i++) a += RX.get(o + i);
            a /= c;
            double b = 0;
            for (int i = 0; i < c; i++) b += (X.get(o + i) - mu) * rs * (RX.get(o + i) - a);
            mrx[r] = a;
            mxu[r] = b / c;
        });
        columns(rows, c, i -> {
            double sg = 0, sb = 0;
            for (int r = 0; r < rows; r++) {
                double rs = R.get(r), xh = (X.get(r * c + i) - M.get(r)) * rs;
                double rxh = rs * ((RX.get(r * c + i) - mrx[r]) - xh * mxu[r]);
                sg += RDY.get(r * c + i) * xh + DY.get(r * c + i) * rxh;
                sb += RDY.get(r * c + i);
            }
            RDG.add(i, sg);
            RDB.add(i, sb);
        });
    }

    // ---- causal softmax -----------------------------------------------------------------------

    @Override
    public void softmaxCausalForward(Tensor s, Tensor p, int rows, int t) {
        Buf S = Buf.of(s), P = Buf.of(p);
        rowsParallel(rows, t, r -> {
            int o = r * t, last = r % t;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= last; j++) max = Math.max(max, S.get(o + j));
            double sum = 0;
            for (int j = 0; j <= last; j++) {
                double e = Math.exp(S.get(o + j) - max);
                P.set(o + j, e);
                sum += e;
            }
            double inv = 1 / sum;
            for (int j = 0; j <= last; j++) P.set(o + j, P.get(o + j) * inv);
            for (int j = last + 1; j < t; j++) P.set(o + j, 0);
        });
    }

    @Override
    public void softmaxJvp(Tensor p, Tensor g, Tensor out, int rows, int t) {
        Buf P = Buf.of(p), G = Buf.of(g), O = Buf.of(out);
        rowsParallel(rows, t, r -> {
            int o = r * t, last = r % t;
            double s = 0;
            for (int j = 0; j <= last; j++) s += P.get(o + j) * G.get(o + j);
            for (int j = 0; j <= last; j++) O.set(o + j, P.get(o + j) * (G.get(o + j) - s));
            for (int j = last + 1; j < t; j++) O.set(o + j, 0);
        });
    }

    @Override
    public void softmaxJvpR(Tensor p, Tensor dp, Tensor rp, Tensor rdp, Tensor out, int rows, int t) {
        Buf P = Buf.of(p), DP = Buf.of(dp), RP = Buf.of(rp), RDP = Buf.of(rdp), O = Buf.of(out);
        rowsParallel(rows, t, r -> {
            int o = r * t, last = r % t;
            double s = 0, rs = 0;
            for (int j = 0; j <= last; j++) {
                s += P.get(o + j) * DP.get(o + j);
                rs += RP.get(o + j) * DP.get(o + j) + P.get(o + j) * RDP.get(o + j);
            }
            for (int j = 0; j <= last; j++) {
                O.set(o + j, RP.get(o + j) * (DP.get(o + j) - s) + P.get(o + j) * (RDP.get(o + j) - rs));
            }
            for (int j = last + 1; j < t; j++) O.set(o + j, 0);
        });
    }
}
