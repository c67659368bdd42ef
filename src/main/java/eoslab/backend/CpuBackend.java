package eoslab.backend;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;

/**
 * The reference backend: host arrays ({@code float[]}, {@code double[]}, {@code int[]}), all cores,
 * deterministic. Elementwise work is cut into fixed blocks so results never depend on the thread
 * count; reductions add block partial sums in block order, in float64.
 */
public final class CpuBackend implements Backend {
    /** Elements per parallel task for elementwise work and reductions. */
    static final int BLOCK = 1 << 14;

    public static final CpuBackend INSTANCE = new CpuBackend();

    /**
     * F32 GEMM operand rounding ({@link GemmPrecision}). There is one CPU backend per process, so
     * this is process-wide: the CLI sets it once at start; tests that change it restore it.
     */
    private volatile GemmPrecision gemmPrecision = GemmPrecision.F32;

    private CpuBackend() {
    }

    @Override
    public String name() {
        return "cpu";
    }

    // ---- memory --------------------------------------------------------------------------------

    @Override
    public Tensor zeros(DType dtype, long size) {
        if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("CPU tensors hold at most 2^31 elements, asked for " + size);
        int n = (int) size;
        Object s = switch (dtype) {
            case F32 -> new float[n];
            case F64 -> new double[n];
            case I32 -> new int[n];
        };
        return new Tensor(this, dtype, s, 0, size);
    }

    @Override
    public Tensor fromDoubles(DType dtype, double[] host) {
        Tensor t = zeros(dtype, host.length);
        switch (dtype) {
            case F32 -> { float[] f = (float[]) t.storage; for (int i = 0; i < host.length; i++) f[i] = (float) host[i]; }
            case F64 -> System.arraycopy(host, 0, (double[]) t.storage, 0, host.length);
            case I32 -> { int[] a = (int[]) t.storage; for (int i = 0; i < host.length; i++) a[i] = (int) host[i]; }
        }
        return t;
    }

    @Override
    public Tensor fromFloats(float[] host) {
        return new Tensor(this, DType.F32, host.clone(), 0, host.length);
    }

    @Override
    public Tensor fromInts(int[] host) {
        return new Tensor(this, DType.I32, host.clone(), 0, host.length);
    }

    @Override
    public double[] toDoubles(Tensor t) {
        int n = t.intSize(), o = off(t);
        double[] out = new double[n];
        switch (t.dtype) {
            case F32 -> { float[] f = f32(t); for (int i = 0; i < n; i++) out[i] = f[o + i]; }
            case F64 -> System.arraycopy(f64(t), o, out, 0, n);
            case I32 -> { int[] a = (int[]) t.storage; for (int i = 0; i < n; i++) out[i] = a[o + i]; }
        }
        return out;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        sameSize(src, dst);
        int n = src.intSize(), so = off(src), d = off(dst);
        if (src.dtype == dst.dtype) {
            System.arraycopy(src.storage, so, dst.storage, d, n);
        } else if (src.dtype == DType.F32 && dst.dtype == DType.F64) {
            float[] s = f32(src); double[] t = f64(dst);
            for (int i = 0; i < n; i++) t[d + i] = s[so + i];
        } else if (src.dtype == DType.F64 && dst.dtype == DType.F32) {
            double[] s = f64(src); float[] t = f32(dst);
            for (int i = 0; i < n; i++) t[d + i] = (float) s[so + i];
        } else {
            throw new IllegalArgumentException("copy " + src.dtype + " -> " + dst.dtype + " is not supported");
        }
    }

    @Override
    public void fill(Tensor t, double value) {
        int n = t.intSize(), o = off(t);
        switch (t.dtype) {
            case F32 -> java.util.Arrays.fill(f32(t), o, o + n, (float) value);
            case F64 -> java.util.Arrays.fill(f64(t), o, o + n, value);
            case I32 -> java.util.Arrays.fill((int[]) t.storage, o, o + n, (int) value);
        }
    }

    @Override
    public void gatherRows(Tensor src, Tensor idx, int cols, Tensor dst) {
        int[] ix = (int[]) idx.storage;
        int io = off(idx), rows = idx.intSize(), so = off(src), d = off(dst);
        long srcRows = src.size / cols;
        for (int r = 0; r < rows; r++) {
            int i = ix[io + r];
            if (i < 0 || i >= srcRows) throw new IndexOutOfBoundsException("gatherRows: row " + i + " of " + srcRows);
            System.arraycopy(src.storage, so + i * cols, dst.storage, d + r * cols, cols);
        }
    }

    // ---- level 3 -------------------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                     Tensor a, int lda, long strideA, Tensor b, int ldb, long strideB,
                     double beta, Tensor c, int ldc, long strideC, int batch) {
        sameType(a, b);
        sameType(a, c);
        if (a.dtype == DType.F32) {
            CpuGemm.sgemm(transA, transB, m, n, k, (float) alpha, f32(a), off(a), lda, (int) strideA,
                    f32(b), off(b), ldb, (int) strideB, (float) beta, f32(c), off(c), ldc, (int) strideC, batch, gemmPrecision);
        } else {
            CpuGemm.dgemm(transA, transB, m, n, k, alpha, f64(a), off(a), lda, (int) strideA,
                    f64(b), off(b), ldb, (int) strideB, beta, f64(c), off(c), ldc, (int) strideC, batch);
        }
    }

    @Override
    public GemmPrecision gemmPrecision() {
        return gemmPrecision;
    }

    @Override
    public GemmPrecision setGemmPrecision(GemmPrecision p) {
        GemmPrecision old = gemmPrecision;
        gemmPrecision = java.util.Objects.requireNonNull(p, "precision");
        return old;
    }

    // ---- level 1 -------------------------------------------------------------------------------

    @Override
    public void axpby(double alpha, Tensor x, double beta, Tensor y) {
        sameSize(x, y);
        sameType(x, y);
        int n = x.intSize(), xo = off(x), yo = off(y);
        if (x.dtype == DType.F32) {
            float[] xs = f32(x), ys = f32(y);
            float a = (float) alpha, b = (float) beta;
            blocks(n, (lo, hi) -> {
                if (b == 0f) for (int i = lo; i < hi; i++) ys[yo + i] = a * xs[xo + i];
                else for (int i = lo; i < hi; i++) ys[yo + i] = a * xs[xo + i] + b * ys[yo + i];
            });
        } else {
            double[] xs = f64(x), ys = f64(y);
            blocks(n, (lo, hi) -> {
                if (beta == 0) for (int i = lo; i < hi; i++) ys[yo + i] = alpha * xs[xo + i];
                else for (int i = lo; i < hi; i++) ys[yo + i] = alpha * xs[xo + i] + beta * ys[yo + i];
            });
        }
    }

    @Override
    public double dot(Tensor x, Tensor y) {
        sameSize(x, y);
        sameType(x, y);
        int n = x.intSize(), xo = off(x), yo = off(y);
        int nb = Parallel.blocks(n, BLOCK);
        double[] part = new double[nb];
        if (x.dtype == DType.F32) {
            float[] xs = f32(x), ys = f32(y);
            Parallel.forEach(nb, bi -> {
                int lo = bi * BLOCK, hi = Math.min(n, lo + BLOCK);
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int i = lo;
                for (; i + 3 < hi; i += 4) {
                    s0 += (double) xs[xo + i] * ys[yo + i];
                    s1 += (double) xs[xo + i + 1] * ys[yo + i + 1];
                    s2 += (double) xs[xo + i + 2] * ys[yo + i + 2];
                    s3 += (double) xs[xo + i + 3] * ys[yo + i + 3];
                }
                for (; i < hi; i++) s0 += (double) xs[xo + i] * ys[yo + i];
                part[bi] = (s0 + s1) + (s2 + s3);
            });
        } else {
            double[] xs = f64(x), ys = f64(y);
            Parallel.forEach(nb, bi -> {
                int lo = bi * BLOCK, hi = Math.min(n, lo + BLOCK);
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int i = lo;
                for (; i + 3 < hi; i += 4) {
                    s0 += xs[xo + i] * ys[yo + i];
                    s1 += xs[xo + i + 1] * ys[yo + i + 1];
                    s2 += xs[xo + i + 2] * ys[yo + i + 2];
                    s3 += xs[xo + i + 3] * ys[yo + i + 3];
                }
                for (; i < hi; i++) s0 += xs[xo + i] * ys[yo + i];
                part[bi] = (s0 + s1) + (s2 + s3);
            });
        }
        double s = 0;
        for (double p : part) s += p;
        return s;
    }

    /** One pass over V in fixed row blocks, four-by-four tiles of fused products ({@link CpuGram}). */
    @Override
    public double[] gram(Tensor v, long d, int k) {
        checkQrVectors("gram", v, d, k);
        return CpuGram.gram(v, (int) d, k);
    }

    /** One pass over V in fixed row blocks: V U and its Gram while the block is in cache ({@link CpuGram}). */
    @Override
    public double[] applyUpperAndGram(Tensor v, double[] u, long d, int k) {
        checkQrVectors("applyUpperAndGram", v, d, k);
        if (u.length != k * k) throw new IllegalArgumentException("applyUpperAndGram: U has " + u.length + " entries, not k² = " + k * k);
        return CpuGram.applyUpperAndGram(v, u, (int) d, k);
    }

    private static void checkQrVectors(String op, Tensor v, long d, int k) {
        if (d > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": vectors of " + d + " elements");
        if (k < 1 || d < 0) throw new IllegalArgumentException(op + ": need k >= 1 and d >= 0, got k=" + k + ", d=" + d);
        if (v.dtype == DType.I32) throw new IllegalArgumentException(op + " needs F32 or F64 vectors, got " + v);
    }

    @Override
    public void mul(Tensor x, Tensor y, Tensor out) {
        sameSize(x, y);
        sameSize(x, out);
        int n = x.intSize(), xo = off(x), yo = off(y), oo = off(out);
        if (x.dtype == DType.F32) {
            float[] xs = f32(x), ys = f32(y), os = f32(out);
            blocks(n, (lo, hi) -> { for (int i = lo; i < hi; i++) os[oo + i] = xs[xo + i] * ys[yo + i]; });
        } else {
            double[] xs = f64(x), ys = f64(y), os = f64(out);
            blocks(n, (lo, hi) -> { for (int i = lo; i < hi; i++) os[oo + i] = xs[xo + i] * ys[yo + i]; });
        }
    }

    // ---- optimizer steps -----------------------------------------------------------------------

    /** Elementwise over fixed blocks; float64 arithmetic of {@link AdamWCoefficients}, rounded once on store. */
    @Override
    public void adamwUpdate(Tensor w, Tensor m, Tensor v, Tensor g, AdamWCoefficients c) {
        for (Tensor t : new Tensor[] {m, v, g}) { sameSize(w, t); sameType(w, t); }
        int n = w.intSize(), wo = off(w), mo = off(m), vo = off(v), go = off(g);
        if (w.dtype == DType.F32) {
            float[] ws = f32(w), ms = f32(m), vs = f32(v), gs = f32(g);
            blocks(n, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double gi = gs[go + i], mi = c.mNew(ms[mo + i], gi), vi = c.vNew(vs[vo + i], gi);
                    ws[wo + i] = (float) c.wNew(ws[wo + i], mi, vi);
                    ms[mo + i] = (float) mi;
                    vs[vo + i] = (float) vi;
                }
            });
        } else {
            double[] ws = f64(w), ms = f64(m), vs = f64(v), gs = f64(g);
            blocks(n, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double gi = gs[go + i], mi = c.mNew(ms[mo + i], gi), vi = c.vNew(vs[vo + i], gi);
                    ws[wo + i] = c.wNew(ws[wo + i], mi, vi);
                    ms[mo + i] = mi;
                    vs[vo + i] = vi;
                }
            });
        }
    }

    /**
     * Fixed blocks of parameters; within a block the k tangents one after another (each a
     * sequential sweep), m' and v' recomputed per tangent from the pre-step m, v (cheaper than a
     * scratch array, and the same bits).
     */
    @Override
    public void adamwTangents(Tensor tangents, int k, Tensor g, Tensor hv, Tensor m, Tensor v, AdamWCoefficients c,
                              boolean freezePreconditioner) {
        sameSize(g, m);
        sameSize(g, v);
        for (Tensor t : new Tensor[] {tangents, hv, m, v}) sameType(g, t);
        int n = g.intSize(), xo = off(tangents), ho = off(hv), go = off(g), mo = off(m), vo = off(v);
        if (k < 0 || tangents.size < 3L * n * k || hv.size < (long) n * k) {
            throw new IllegalArgumentException("adamwTangents: " + k + " tangents of 3 x " + n + " need " + tangents + " >= 3dk and " + hv + " >= dk");
        }
        if (k == 0 || n == 0) return;
        boolean fr = freezePreconditioner;
        if (g.dtype == DType.F32) {
            float[] xs = f32(tangents), hs = f32(hv), gs = f32(g), ms = f32(m), vs = f32(v);
            blocks(n, (lo, hi) -> {
                for (int j = 0; j < k; j++) {
                    int xw = xo + 3 * n * j, xm = xw + n, xv = xm + n, hb = ho + n * j;
                    for (int i = lo; i < hi; i++) {
                        double gi = gs[go + i], hdw = hs[hb + i];
                        double dm = c.dmNew(xs[xm + i], hdw), dv = c.dvNew(xs[xv + i], gi, hdw);
                        xs[xw + i] = (float) c.dwNew(xs[xw + i], dm, dv, c.mNew(ms[mo + i], gi), c.vNew(vs[vo + i], gi), fr);
                        xs[xm + i] = (float) dm;
                        xs[xv + i] = (float) dv;
                    }
                }
            });
        } else {
            double[] xs = f64(tangents), hs = f64(hv), gs = f64(g), ms = f64(m), vs = f64(v);
            blocks(n, (lo, hi) -> {
                for (int j = 0; j < k; j++) {
                    int xw = xo + 3 * n * j, xm = xw + n, xv = xm + n, hb = ho + n * j;
                    for (int i = lo; i < hi; i++) {
                        double gi = gs[go + i], hdw = hs[hb + i];
                        double dm = c.dmNew(xs[xm + i], hdw), dv = c.dvNew(xs[xv + i], gi, hdw);
                        xs[xw + i] = c.dwNew(xs[xw + i], dm, dv, c.mNew(ms[mo + i], gi), c.vNew(vs[vo + i], gi), fr);
                        xs[xm + i] = dm;
                        xs[xv + i] = dv;
                    }
                }
            });
        }
    }

    // ---- rows ----------------------------------------------------------------------------------

    @Override
    public void addBias(Tensor bias, long biasStride, Tensor y, int rows, int cols, int batch) {
        int bo = off(bias), yo = off(y);
        int bs = (int) biasStride;
        Parallel.forEach(batch * Parallel.blocks(rows, 64), task -> {
            int nrb = Parallel.blocks(rows, 64);
            int b = task / nrb, r0 = (task % nrb) * 64, r1 = Math.min(rows, r0 + 64);
            int bb = bo + b * bs;
            if (y.dtype == DType.F32) {
                float[] bv = f32(bias), yv = f32(y);
                for (int r = r0; r < r1; r++) {
                    int base = yo + (b * rows + r) * cols;
                    for (int j = 0; j < cols; j++) yv[base + j] += bv[bb + j];
                }
            } else {
                double[] bv = f64(bias), yv = f64(y);
                for (int r = r0; r < r1; r++) {
                    int base = yo + (b * rows + r) * cols;
                    for (int j = 0; j < cols; j++) yv[base + j] += bv[bb + j];
                }
            }
        });
    }

    @Override
    public void sumRows(Tensor x, int rows, int cols, int batch, double beta, Tensor out, long outStride) {
        Backend.checkDisjointOutputs("sumRows", batch, outStride, cols);
        int xo = off(x), oo = off(out), os = (int) outStride;
        Parallel.forEach(batch, b -> {
            int ob = oo + b * os;
            if (x.dtype == DType.F32) {
                float[] xv = f32(x), ov = f32(out);
                double[] acc = new double[cols];
                for (int r = 0; r < rows; r++) {
                    int base = xo + (b * rows + r) * cols;
                    for (int j = 0; j < cols; j++) acc[j] += xv[base + j];
                }
                for (int j = 0; j < cols; j++) ov[ob + j] = (float) (acc[j] + (beta == 0 ? 0 : beta * ov[ob + j]));
            } else {
                double[] xv = f64(x), ov = f64(out);
                double[] acc = new double[cols];
                for (int r = 0; r < rows; r++) {
                    int base = xo + (b * rows + r) * cols;
                    for (int j = 0; j < cols; j++) acc[j] += xv[base + j];
                }
                for (int j = 0; j < cols; j++) ov[ob + j] = acc[j] + (beta == 0 ? 0 : beta * ov[ob + j]);
            }
        });
    }

    // ---- convolutions and pooling ---------------------------------------------------------------

    @Override
    public void im2col(Tensor x, int n, int channels, int height, int width, int kh, int kw, int stride, int pad, Tensor cols) {
        sameType(x, cols);
        int ho = (height + 2 * pad - kh) / stride + 1, wo = (width + 2 * pad - kw) / stride + 1;
        int plane = height * width, p = ho * wo, ck = channels * kh * kw;
        checkBlocks(x, channels * plane, n);
        checkBlocks(cols, ck * p, n);
        int xo = off(x), co = off(cols);
        // one task per (example, channel): it writes its own kh·kw rows of cols
        Parallel.forEach(n * channels, task -> {
            int b = task / channels, c = task % channels;
            int src = xo + (b * channels + c) * plane;
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int dst = co + (b * ck + (c * kh + i) * kw + j) * p;
                    for (int oh = 0; oh < ho; oh++) {
                        int ih = oh * stride - pad + i, d = dst + oh * wo;
                        if (ih < 0 || ih >= height) {
                            for (int ow = 0; ow < wo; ow++) set(cols, d + ow, 0);
                            continue;
                        }
                        int row = src + ih * width;
                        if (x.dtype == DType.F32) {
                            float[] xs = f32(x), cs = f32(cols);
                            for (int ow = 0; ow < wo; ow++) {
                                int iw = ow * stride - pad + j;
                                cs[d + ow] = iw >= 0 && iw < width ? xs[row + iw] : 0f;
                            }
                        } else {
                            double[] xs = f64(x), cs = f64(cols);
                            for (int ow = 0; ow < wo; ow++) {
                                int iw = ow * stride - pad + j;
                                cs[d + ow] = iw >= 0 && iw < width ? xs[row + iw] : 0.0;
                            }
                        }
                    }
                }
            }
        });
    }

    @Override
    public void col2im(Tensor cols, int n, int channels, int height, int width, int kh, int kw, int stride, int pad, Tensor x) {
        sameType(x, cols);
        int ho = (height + 2 * pad - kh) / stride + 1, wo = (width + 2 * pad - kw) / stride + 1;
        int plane = height * width, p = ho * wo, ck = channels * kh * kw;
        checkBlocks(x, channels * plane, n);
        checkBlocks(cols, ck * p, n);
        int xo = off(x), co = off(cols);
        // one task per (example, channel) owns its image plane and adds the kh·kw rows in a fixed
        // order, so the sums are deterministic without atomics
        Parallel.forEach(n * channels, task -> {
            int b = task / channels, c = task % channels;
            int dst = xo + (b * channels + c) * plane;
            if (x.dtype == DType.F32) java.util.Arrays.fill(f32(x), dst, dst + plane, 0f);
            else java.util.Arrays.fill(f64(x), dst, dst + plane, 0.0);
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int src = co + (b * ck + (c * kh + i) * kw + j) * p;
                    for (int oh = 0; oh < ho; oh++) {
                        int ih = oh * stride - pad + i;
                        if (ih < 0 || ih >= height) continue;
                        int row = dst + ih * width, sr = src + oh * wo;
                        if (x.dtype == DType.F32) {
                            float[] xs = f32(x), cs = f32(cols);
                            for (int ow = 0; ow < wo; ow++) {
                                int iw = ow * stride - pad + j;
                                if (iw >= 0 && iw < width) xs[row + iw] += cs[sr + ow];
                            }
                        } else {
                            double[] xs = f64(x), cs = f64(cols);
                            for (int ow = 0; ow < wo; ow++) {
                                int iw = ow * stride - pad + j;
                                if (iw >= 0 && iw < width) xs[row + iw] += cs[sr + ow];
                            }
                        }
                    }
                }
            }
        });
    }

    @Override
    public void addChannelBias(Tensor bias, long biasStride, Tensor y, int n, int channels, int spatial, int batch) {
        sameType(bias, y);
        checkBlocks(y, n * channels * spatial, batch);
        int bo = off(bias), yo = off(y), bs = (int) biasStride;
        Parallel.forEach(batch * n, task -> {
            int b = task / n, i = task % n;
            for (int c = 0; c < channels; c++) {
                int base = yo + ((b * n + i) * channels + c) * spatial;
                if (y.dtype == DType.F32) {
                    float[] ys = f32(y);
                    float v = f32(bias)[bo + b * bs + c];
                    for (int q = 0; q < spatial; q++) ys[base + q] += v;
                } else {
                    double[] ys = f64(y);
                    double v = f64(bias)[bo + b * bs + c];
                    for (int q = 0; q < spatial; q++) ys[base + q] += v;
                }
            }
        });
    }

    @Override
    public void sumChannels(Tensor x, int n, int channels, int spatial, int batch, double beta, Tensor out, long outStride) {
        sameType(x, out);
        checkBlocks(x, n * channels * spatial, batch);
        Backend.checkDisjointOutputs("sumChannels", batch, outStride, channels);
        int xo = off(x), oo = off(out), os = (int) outStride;
        // one task per (block, channel), summing examples then pixels in order, in float64
        Parallel.forEach(batch * channels, task -> {
            int b = task / channels, c = task % channels;
            double s = 0;
            for (int i = 0; i < n; i++) {
                int base = xo + ((b * n + i) * channels + c) * spatial;
                if (x.dtype == DType.F32) { float[] xs = f32(x); for (int q = 0; q < spatial; q++) s += xs[base + q]; }
                else { double[] xs = f64(x); for (int q = 0; q < spatial; q++) s += xs[base + q]; }
            }
            int o = oo + b * os + c;
            set(out, o, beta == 0 ? s : s + beta * get(out, o));
        });
    }

    @Override
    public void maxPool2d(Tensor x, int n, int channels, int height, int width, int size, Tensor y, Tensor argmax) {
        int ho = height / size, wo = width / size, plane = height * width;
        checkBlocks(x, channels * plane, n);
        if (y != null) { sameType(x, y); checkBlocks(y, channels * ho * wo, n); }
        if (argmax != null) {
            if (!(argmax.storage instanceof int[])) throw wrong(argmax, "I32");
            checkBlocks(argmax, channels * ho * wo, n);
        }
        int xo = off(x);
        Parallel.forEach(n * channels, task -> {
            int b = task / channels, c = task % channels;
            int src = xo + (b * channels + c) * plane;
            int outBase = (b * channels + c) * ho * wo;
            for (int oh = 0; oh < ho; oh++) {
                for (int ow = 0; ow < wo; ow++) {
                    int best = -1;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int i = 0; i < size; i++) {
                        for (int j = 0; j < size; j++) {
                            int q = (oh * size + i) * width + ow * size + j;
                            double v = get(x, src + q);
                            if (best < 0 || v > max || (Double.isNaN(v) && !Double.isNaN(max))) {
                                max = v;
                                best = q;
                            }
                        }
                    }
                    int o = outBase + oh * wo + ow;
                    if (y != null) set(y, off(y) + o, max);
                    if (argmax != null) ((int[]) argmax.storage)[off(argmax) + o] = c * plane + best;
                }
            }
        });
    }

    @Override
    public void gatherIndexed(Tensor src, int srcCols, Tensor idx, int rows, int idxCols, Tensor dst, int batch) {
        sameType(src, dst);
        checkBlocks(src, rows * srcCols, batch);
        checkBlocks(dst, rows * idxCols, batch);
        checkBlocks(idx, rows * idxCols, 1);
        int[] ix = (int[]) idx.storage;
        int io = off(idx), so = off(src), dOff = off(dst);
        Parallel.forEach(batch * rows, task -> {
            int b = task / rows, r = task % rows;
            int sBase = so + (b * rows + r) * srcCols, dBase = dOff + (b * rows + r) * idxCols, iBase = io + r * idxCols;
            for (int c = 0; c < idxCols; c++) {
                int q = ix[iBase + c];
                if (q < 0 || q >= srcCols) throw new IndexOutOfBoundsException("gatherIndexed: index " + q + " of " + srcCols);
                set(dst, dBase + c, get(src, sBase + q));
            }
        });
    }

    @Override
    public void scatterIndexed(Tensor src, Tensor idx, int rows, int idxCols, Tensor dst, int dstCols, int batch) {
        sameType(src, dst);
        checkBlocks(src, rows * idxCols, batch);
        checkBlocks(dst, rows * dstCols, batch);
        checkBlocks(idx, rows * idxCols, 1);
        int[] ix = (int[]) idx.storage;
        int io = off(idx), so = off(src), dOff = off(dst);
        // one task per (block, row): it owns dst's row, so repeated indices add up deterministically
        Parallel.forEach(batch * rows, task -> {
            int b = task / rows, r = task % rows;
            int sBase = so + (b * rows + r) * idxCols, dBase = dOff + (b * rows + r) * dstCols, iBase = io + r * idxCols;
            for (int c = 0; c < dstCols; c++) set(dst, dBase + c, 0);
            for (int c = 0; c < idxCols; c++) {
                int q = ix[iBase + c];
                if (q < 0 || q >= dstCols) throw new IndexOutOfBoundsException("scatterIndexed: index " + q + " of " + dstCols);
                set(dst, dBase + q, get(dst, dBase + q) + get(src, sBase + c));
            }
        });
    }

    // ---- activations ---------------------------------------------------------------------------

    @Override
    public void activation(Act act, Tensor x, Tensor y) {
        sameSize(x, y);
        int n = x.intSize(), xo = off(x), yo = off(y);
        if (x.dtype == DType.F32) {
            float[] xs = f32(x), ys = f32(y);
            blocks(n, (lo, hi) -> {
                switch (act) {
                    case RELU -> { for (int i = lo; i < hi; i++) { float v = xs[xo + i]; ys[yo + i] = v > 0 ? v : 0f; } }
                    default -> { for (int i = lo; i < hi; i++) ys[yo + i] = (float) act.f(xs[xo + i]); }
                }
            });
        } else {
            double[] xs = f64(x), ys = f64(y);
            blocks(n, (lo, hi) -> { for (int i = lo; i < hi; i++) ys[yo + i] = act.f(xs[xo + i]); });
        }
    }

    @Override
    public void activationBackward(Act act, Tensor x, Tensor g, Tensor out, int k) {
        int n = x.intSize(), xo = off(x), go = off(g), oo = off(out);
        checkBlocks(g, n, k);
        checkBlocks(out, n, k);
        if (x.dtype == DType.F32) {
            float[] xs = f32(x), gs = f32(g), os = f32(out);
            blocks(n, (lo, hi) -> {
                float[] d = new float[hi - lo];
                for (int i = lo; i < hi; i++) d[i - lo] = act == Act.RELU ? (xs[xo + i] > 0 ? 1f : 0f) : (float) act.df(xs[xo + i]);
                for (int j = 0; j < k; j++) {
                    int gb = go + j * n, ob = oo + j * n;
                    for (int i = lo; i < hi; i++) os[ob + i] = d[i - lo] * gs[gb + i];
                }
            });
        } else {
            double[] xs = f64(x), gs = f64(g), os = f64(out);
            blocks(n, (lo, hi) -> {
                double[] d = new double[hi - lo];
                for (int i = lo; i < hi; i++) d[i - lo] = act.df(xs[xo + i]);
                for (int j = 0; j < k; j++) {
                    int gb = go + j * n, ob = oo + j * n;
                    for (int i = lo; i < hi; i++) os[ob + i] = d[i - lo] * gs[gb + i];
                }
            });
        }
    }

    @Override
    public void activationRBackward(Act act, Tensor x, Tensor dy, Tensor rx, Tensor rdy, Tensor out, int k) {
        int n = x.intSize(), xo = off(x), dyo = off(dy), rxo = off(rx), rdo = off(rdy), oo = off(out);
        checkBlocks(rx, n, k);
        checkBlocks(rdy, n, k);
        checkBlocks(out, n, k);
        if (x.dtype == DType.F32) {
            float[] xs = f32(x), dys = f32(dy), rxs = f32(rx), rds = f32(rdy), os = f32(out);
            blocks(n, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double xv = xs[xo + i];
                    float d1 = (float) act.df(xv), d2dy = (float) (act.d2f(xv) * dys[dyo + i]);
                    for (int j = 0; j < k; j++) {
                        int q = j * n + i;
                        os[oo + q] = d2dy * rxs[rxo + q] + d1 * rds[rdo + q];
                    }
                }
            });
        } else {
            double[] xs = f64(x), dys = f64(dy), rxs = f64(rx), rds = f64(rdy), os = f64(out);
            blocks(n, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double xv = xs[xo + i];
                    double d1 = act.df(xv), d2dy = act.d2f(xv) * dys[dyo + i];
                    for (int j = 0; j < k; j++) {
                        int q = j * n + i;
                        os[oo + q] = d2dy * rxs[rxo + q] + d1 * rds[rdo + q];
                    }
                }
            });
        }
    }

    // ---- losses --------------------------------------------------------------------------------

    @Override
    public double softmaxCrossEntropy(Tensor logits, Tensor labels, int rows, int classes, double scale,
                                      Tensor probs, Tensor dlogits, Tensor rowLoss) {
        int[] ys = (int[]) labels.storage;
        int yo = off(labels), lo = off(logits), po = off(probs), go = off(dlogits);
        int ro = rowLoss == null ? 0 : off(rowLoss);
        double[] losses = new double[rows];
        Parallel.forEach(Parallel.blocks(rows, 256), blk -> {
            int r0 = blk * 256, r1 = Math.min(rows, r0 + 256);
            double[] z = new double[classes];
            for (int r = r0; r < r1; r++) {
                int base = r * classes;
                for (int c = 0; c < classes; c++) z[c] = get(logits, lo + base + c);
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) max = Math.max(max, z[c]);
                double sum = 0;
                for (int c = 0; c < classes; c++) { z[c] = Math.exp(z[c] - max); sum += z[c]; }
                int y = ys[yo + r];
                if (y < 0 || y >= classes) throw new IndexOutOfBoundsException("label " + y + " not in [0, " + classes + ")");
                double logZ = Math.log(sum) + max;
                losses[r] = logZ - get(logits, lo + base + y);
                for (int c = 0; c < classes; c++) {
                    double p = z[c] / sum;
                    set(probs, po + base + c, p);
                    set(dlogits, go + base + c, scale * (p - (c == y ? 1 : 0)));
                }
                if (rowLoss != null) set(rowLoss, ro + r, losses[r]);
            }
        });
        double s = 0;
        for (double l : losses) s += l;
        return scale * s;
    }

    @Override
    public void softmaxCrossEntropyR(Tensor probs, Tensor rlogits, int rows, int classes, int k, double scale, Tensor out) {
        int po = off(probs), ro = off(rlogits), oo = off(out);
        int n = rows * classes;
        Parallel.forEach(Parallel.blocks(rows, 256) * k, task -> {
            int nrb = Parallel.blocks(rows, 256);
            int j = task / nrb, r0 = (task % nrb) * 256, r1 = Math.min(rows, r0 + 256);
            for (int r = r0; r < r1; r++) {
                int base = r * classes, tb = j * n + base;
                double pr = 0;
                for (int c = 0; c < classes; c++) pr += get(probs, po + base + c) * get(rlogits, ro + tb + c);
                for (int c = 0; c < classes; c++) {
                    double p = get(probs, po + base + c);
                    set(out, oo + tb + c, scale * p * (get(rlogits, ro + tb + c) - pr));
                }
            }
        });
    }

    @Override
    public double mse(Tensor out, Tensor target, int rows, int cols, double scale, Tensor dout, Tensor rowLoss) {
        int oo = off(out), to = off(target), go = off(dout), ro = rowLoss == null ? 0 : off(rowLoss);
        double[] losses = new double[rows];
        Parallel.forEach(Parallel.blocks(rows, 256), blk -> {
            int r0 = blk * 256, r1 = Math.min(rows, r0 + 256);
            for (int r = r0; r < r1; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    int q = r * cols + c;
                    double e = get(out, oo + q) - get(target, to + q);
                    s += e * e;
                    set(dout, go + q, scale * e);
                }
                losses[r] = 0.5 * s;
                if (rowLoss != null) set(rowLoss, ro + r, losses[r]);
            }
        });
        double s = 0;
        for (double l : losses) s += l;
        return scale * s;
    }

    // ---- helpers -------------------------------------------------------------------------------

    interface RangeBody {
        void run(int lo, int hi);
    }

    /** Run body over [0, n) in fixed blocks of {@link #BLOCK}, in parallel. */
    static void blocks(int n, RangeBody body) {
        int nb = Parallel.blocks(n, BLOCK);
        Parallel.forEach(nb, b -> body.run(b * BLOCK, Math.min(n, (b + 1) * BLOCK)));
    }

    static float[] f32(Tensor t) {
        if (t.backend != INSTANCE || !(t.storage instanceof float[] f)) throw wrong(t, "F32");
        return f;
    }

    static double[] f64(Tensor t) {
        if (t.backend != INSTANCE || !(t.storage instanceof double[] d)) throw wrong(t, "F64");
        return d;
    }

    private static IllegalArgumentException wrong(Tensor t, String want) {
        return new IllegalArgumentException("expected a CPU " + want + " tensor, got " + t);
    }

    static int off(Tensor t) {
        return (int) t.offset;
    }

    private static double get(Tensor t, int i) {
        return t.storage instanceof float[] f ? f[i] : ((double[]) t.storage)[i];
    }

    private static void set(Tensor t, int i, double v) {
        if (t.storage instanceof float[] f) f[i] = (float) v;
        else ((double[]) t.storage)[i] = v;
    }

    private static void sameSize(Tensor a, Tensor b) {
        if (a.size != b.size) throw new IllegalArgumentException("size mismatch: " + a + " vs " + b);
    }

    private static void sameType(Tensor a, Tensor b) {
        if (a.dtype != b.dtype) throw new IllegalArgumentException("dtype mismatch: " + a + " vs " + b);
    }

    private static void checkBlocks(Tensor t, int n, int k) {
        if (t.size < (long) n * k) throw new IllegalArgumentException("tensor " + t + " holds fewer than " + k + " blocks of " + n);
    }
}
