package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * 2-D convolution, PyTorch's {@code nn.Conv2d(inC, outC, kernel, stride, padding, bias)} on NCHW
 * activations flattened per example (so it plugs into {@link Sequential}).
 * <pre>
 *   x  (n, inC, H, W)       W  (outC, inC, kh, kw)   at offset 0
 *   y  (n, outC, Ho, Wo)    b  (outC)                at offset outC·inC·kh·kw, when bias is on
 *   Ho = (H + 2·pad − kh)/stride + 1,  P = Ho·Wo,  CK = inC·kh·kw
 * </pre>
 * Implemented as im2col + GEMM (Chellapilla et al. 2006; Caffe): cols_b = im2col(x_b) (CK, P),
 * y_b = W cols_b + b. With conv(x, W) the convolution, convT its adjoint in x (col2im(Wᵀ ·)) and
 * corr(dy, x) = Σ_b dy_b cols(x_b)ᵀ its adjoint in W, the passes along a direction V = (V_W, V_b):
 * <pre>
 *   Ry     = conv(Rx, W) + conv(x, V_W) + V_b
 *   dx     = convT(dy, W)          R{dx} = convT(R{dy}, W) + convT(dy, V_W)
 *   dW    += corr(dy, x)           R{dW} += corr(R{dy}, x) + corr(dy, Rx)
 *   db    += Σ_{n,P} dy            R{db} += Σ_{n,P} R{dy}
 * </pre>
 * The convolution is bilinear in (x, W), so there is no second-derivative term of its own.
 *
 * <p>Scratch: the unfolded patches of a chunk of examples ({@code cols}) and per-example weight
 * gradients ({@code tmp}, summed with {@code sumRows} because a strided batched GEMM may not
 * accumulate into one output) are kept in this layer between calls. Chunks hold at most
 * {@link #DEFAULT_BUDGET} elements each (at least one example), so memory stays bounded for any
 * batch; these buffers carry no state from one call to the next. Not thread-safe, like
 * {@link Sequential}.
 */
public final class Conv2d implements Layer {
    /** Elements per scratch buffer: 2^21 (8 MiB in F32, 16 MiB in F64). */
    static final int DEFAULT_BUDGET = 1 << 21;

    private final int inC, outC, height, width, kernel, stride, pad;
    private final boolean bias;
    private final int ho, wo, p, ck;
    private final int budget;
    private Backend scratchBe;
    private DType scratchDt;
    private Tensor cols, tmp; // (chunk, CK, P), (chunk, outC, CK)

    /**
     * @param inC    input channels
     * @param outC   output channels
     * @param height input height H
     * @param width  input width W
     * @param kernel square kernel size (3 in the paper's CNN and ResNet, 1 for a projection shortcut)
     */
    public Conv2d(int inC, int outC, int height, int width, int kernel, int stride, int pad, boolean bias) {
        this(inC, outC, height, width, kernel, stride, pad, bias, DEFAULT_BUDGET);
    }

    /** As above with a chosen scratch budget (elements), so tests can force chunking. */
    Conv2d(int inC, int outC, int height, int width, int kernel, int stride, int pad, boolean bias, int budget) {
        if (inC < 1 || outC < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("Conv2d needs positive sizes, got " + inC + "x" + height + "x" + width + " -> " + outC + " channels");
        }
        if (kernel < 1 || stride < 1 || pad < 0) {
            throw new IllegalArgumentException("Conv2d needs kernel >= 1, stride >= 1, padding >= 0, got " + kernel + ", " + stride + ", " + pad);
        }
        if (height + 2 * pad < kernel || width + 2 * pad < kernel) {
            throw new IllegalArgumentException("Conv2d kernel " + kernel + " is larger than the padded " + height + "x" + width + " input");
        }
        this.inC = inC;
        this.outC = outC;
        this.height = height;
        this.width = width;
        this.kernel = kernel;
        this.stride = stride;
        this.pad = pad;
        this.bias = bias;
        this.ho = (height + 2 * pad - kernel) / stride + 1;
        this.wo = (width + 2 * pad - kernel) / stride + 1;
        this.p = ho * wo;
        this.ck = inC * kernel * kernel;
        this.budget = budget;
    }

    /** A 3×3 convolution with padding 1, the one the paper's CNN and ResNet use. */
    public static Conv2d conv3x3(int inC, int outC, int height, int width, int stride, boolean bias) {
        return new Conv2d(inC, outC, height, width, 3, stride, 1, bias);
    }

    public int inChannels() { return inC; }

    public int outChannels() { return outC; }

    public int outHeight() { return ho; }

    public int outWidth() { return wo; }

    public boolean hasBias() { return bias; }

    @Override public int inSize() { return inC * height * width; }

    @Override public int outSize() { return outC * p; }

    private int weightSize() { return outC * ck; }

    @Override
    public int numParams() {
        return weightSize() + (bias ? outC : 0);
    }

    @Override
    public List<ParamSpec> params() {
        List<ParamSpec> ps = new ArrayList<>();
        ps.add(new ParamSpec("weight", new int[]{outC, inC, kernel, kernel}, 0));
        if (bias) ps.add(new ParamSpec("bias", new int[]{outC}, weightSize()));
        return ps;
    }

    /**
     * PyTorch's default: kaiming_uniform(a=√5) for W, i.e. U(±1/√fan_in) with fan_in = inC·kh·kw,
     * and U(±1/√fan_in) for b.
     */
    @Override
    public void init(double[] w, int offset, Init init) {
        double bound = 1.0 / Math.sqrt(ck);
        for (int i = 0; i < numParams(); i++) w[offset + i] = init.uniform(offset, i, bound);
    }

    // ---- the four passes -------------------------------------------------------------------------

    @Override
    public void forward(Backend be, Tensor w, Tensor x, Tensor y, int n) {
        conv(be, w.view(0, weightSize()), x, y, n);
        if (bias) be.addChannelBias(w.view(weightSize(), outC), 0, y, n, outC, p, 1);
    }

    @Override
    public void backward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor dw, int n) {
        if (dw != null) {
            corr(be, dy, x, n, dw.view(0, weightSize()));                                  // dW += corr(dy, x)
            if (bias) be.sumChannels(dy, n, outC, p, 1, 1, dw.view(weightSize(), outC), 0); // db += Σ dy
        }
        if (dx != null) convT(be, w.view(0, weightSize()), dy, null, null, x.dtype, n, dx);  // dx = convT(dy, W)
    }

    @Override
    public void rForward(Backend be, Tensor w, Tensor x, Tensor y, Tensor v, long stride, Tensor rx, Tensor ry, int n, int k) {
        double beta = 0;
        if (rx != null) {
            conv(be, w.view(0, weightSize()), rx, ry, k * n); // all k tangent blocks at once: conv(Rx, W)
            beta = 1;
        }
        // Ry_j += conv(x, V_Wj): unfold each chunk of x once, use it for every direction
        int chunk = chunk(n);
        for (int r0 = 0; r0 < n; r0 += chunk) {
            int m = Math.min(chunk, n - r0);
            Tensor c = unfold(be, x, r0, m);
            for (int j = 0; j < k; j++) {
                be.gemm(false, false, outC, p, ck, 1, v.view(j * stride, weightSize()), ck, 0, c, p, (long) ck * p,
                        beta, ry.view(((long) j * n + r0) * outSize(), (long) m * outSize()), p, (long) outC * p, m);
            }
        }
        if (bias) be.addChannelBias(v.view(weightSize(), v.size - weightSize()), stride, ry, n, outC, p, k);
    }

    @Override
    public void rBackward(Backend be, Tensor w, Tensor x, Tensor y, Tensor dy, Tensor v, long stride,
                          Tensor rx, Tensor rdy, Tensor rdx, Tensor rdw, int n, int k) {
        long nOut = (long) n * outSize(), nIn = (long) n * inSize();
        // R{dW}_j += corr(R{dy}_j, x): unfold each chunk of x once for all directions
        int chunk = chunk(n);
        for (int r0 = 0; r0 < n; r0 += chunk) {
            int m = Math.min(chunk, n - r0);
            Tensor c = unfold(be, x, r0, m);
            for (int j = 0; j < k; j++) {
                corrChunk(be, rdy.view(j * nOut + (long) r0 * outSize(), (long) m * outSize()), c, m, rdw.view(j * stride, weightSize()));
            }
        }
        //          + corr(dy, Rx_j)
        if (rx != null) {
            for (int j = 0; j < k; j++) corr(be, dy, rx.view(j * nIn, nIn), n, rdw.view(j * stride, weightSize()));
        }
        if (bias) be.sumChannels(rdy, n, outC, p, k, 1, rdw.view(weightSize(), rdw.size - weightSize()), stride);
        if (rdx != null) {
            // R{dx}_j = convT(R{dy}_j, W) + convT(dy, V_Wj): both added in patch space, one col2im
            for (int j = 0; j < k; j++) {
                convT(be, w.view(0, weightSize()), rdy.view(j * nOut, nOut), dy, v.view(j * stride, weightSize()),
                        x.dtype, n, rdx.view(j * nIn, nIn));
            }
        }
    }

    // ---- building blocks ---------------------------------------------------------------------

    /** y_b = W cols(x_b) for b &lt; rows. x (rows, in), y (rows, out). */
    private void conv(Backend be, Tensor weight, Tensor x, Tensor y, int rows) {
        int chunk = chunk(rows);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int m = Math.min(chunk, rows - r0);
            Tensor c = unfold(be, x, r0, m);
            be.gemm(false, false, outC, p, ck, 1, weight, ck, 0, c, p, (long) ck * p,
                    0, y.view((long) r0 * outSize(), (long) m * outSize()), p, (long) outC * p, m);
        }
    }

    /** dw += Σ_b g_b cols(x_b)ᵀ over b &lt; n. g (n, out), x (n, in), dw (outC, CK). */
    private void corr(Backend be, Tensor g, Tensor x, int n, Tensor dw) {
        int chunk = chunk(n);
        for (int r0 = 0; r0 < n; r0 += chunk) {
            int m = Math.min(chunk, n - r0);
            Tensor c = unfold(be, x, r0, m);
            corrChunk(be, g.view((long) r0 * outSize(), (long) m * outSize()), c, m, dw);
        }
    }

    /** dw += Σ_b g_b c_bᵀ for m examples: g (m, out), unfolded c (m, CK, P), dw (outC, CK). */
    private void corrChunk(Backend be, Tensor g, Tensor c, int m, Tensor dw) {
        Tensor t = tmp.view(0, (long) m * weightSize());
        // per-example products (m, outC, CK), then summed in example order: deterministic
        be.gemm(false, true, outC, ck, p, 1, g, p, (long) outC * p, c, p, (long) ck * p, 0, t, ck, weightSize(), m);
        be.sumRows(t, m, weightSize(), 1, 1, dw, 0);
    }

    /**
     * dx_b = col2im(Wᵀ g_b + Vᵀ g2_b) for b &lt; n; the second term only when g2 is not null.
     * g, g2 (n, out), dx (n, in).
     */
    private void convT(Backend be, Tensor weight, Tensor g, Tensor g2, Tensor v, DType dtype, int n, Tensor dx) {
        int chunk = chunk(n);
        for (int r0 = 0; r0 < n; r0 += chunk) {
            int m = Math.min(chunk, n - r0);
            Tensor c = scratch(be, dtype, m);
            long go = (long) r0 * outSize(), gl = (long) m * outSize();
            be.gemm(true, false, ck, p, outC, 1, weight, ck, 0, g.view(go, gl), p, (long) outC * p, 0, c, p, (long) ck * p, m);
            if (g2 != null) {
                be.gemm(true, false, ck, p, outC, 1, v, ck, 0, g2.view(go, gl), p, (long) outC * p, 1, c, p, (long) ck * p, m);
            }
            be.col2im(c, m, inC, height, width, kernel, kernel, stride, pad, dx.view((long) r0 * inSize(), (long) m * inSize()));
        }
    }

    /** cols for rows [r0, r0 + m) of x, in the scratch buffer. */
    private Tensor unfold(Backend be, Tensor x, int r0, int m) {
        Tensor c = scratch(be, x.dtype, m);
        be.im2col(x.view((long) r0 * inSize(), (long) m * inSize()), m, inC, height, width, kernel, kernel, stride, pad, c);
        return c;
    }

    /** Examples per chunk: as many as fit both scratch buffers in the budget, at least one. */
    private int chunk(int rows) {
        int per = Math.max(ck * p, weightSize());
        return Math.max(1, Math.min(rows, budget / per));
    }

    /** The cols buffer for m examples (and tmp sized alike), reallocated on a new backend, dtype or size. */
    private Tensor scratch(Backend be, DType dtype, int m) {
        long need = (long) m * ck * p, needTmp = (long) m * weightSize();
        boolean same = cols != null && scratchBe == be && scratchDt == dtype;
        if (!same || cols.size < need || tmp.size < needTmp) {
            cols = be.zeros(dtype, Math.max(need, same ? cols.size : 0));
            tmp = be.zeros(dtype, Math.max(needTmp, same ? tmp.size : 0));
            scratchBe = be;
            scratchDt = dtype;
        }
        return cols.view(0, need);
    }

    @Override
    public String toString() {
        return "Conv2d(" + inC + ", " + outC + ", kernel_size=(" + kernel + ", " + kernel + "), stride=(" + stride + ", " + stride
                + "), padding=(" + pad + ", " + pad + ")" + (bias ? "" : ", bias=False") + ")";
    }
}
