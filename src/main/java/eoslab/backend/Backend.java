package eoslab.backend;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The one narrow interface every device implements. Layers, losses, optimizers and solvers are
 * written against it; the CPU backend is the reference every other backend is tested against.
 *
 * <p>Conventions: row-major; strides and leading dimensions in elements; a batch stride of 0
 * broadcasts that operand. Reductions accumulate in float64 and are deterministic: the same
 * inputs give the same bits whatever the thread count. Every operation works for F32 and F64
 * tensors (all operands of one call share a dtype, except labels, which are I32).
 */
public interface Backend extends AutoCloseable {

    String name();

    // ---- memory --------------------------------------------------------------------------------

    /** A new zero-filled tensor. */
    Tensor zeros(DType dtype, long size);

    /** A new tensor holding {@code host} converted to {@code dtype}. */
    Tensor fromDoubles(DType dtype, double[] host);

    /** A new F32 tensor holding {@code host}. */
    Tensor fromFloats(float[] host);

    /** A new I32 tensor holding {@code host}. */
    Tensor fromInts(int[] host);

    /** The elements of {@code t} as a new host array. */
    double[] toDoubles(Tensor t);

    /** {@code dst = src}, converting the dtype when they differ. Sizes must match. */
    void copy(Tensor src, Tensor dst);

    void fill(Tensor t, double value);

    /** {@code dst[r, :] = src[idx[r], :]} for r &lt; idx.size: gathers rows of width {@code cols}. */
    void gatherRows(Tensor src, Tensor idx, int cols, Tensor dst);

    // ---- level 3 -------------------------------------------------------------------------------

    /**
     * Strided batched GEMM: for b &lt; batch, {@code C_b = alpha op(A_b) op(B_b) + beta C_b} with
     * op(A_b) (m, k), op(B_b) (k, n), C_b (m, n); {@code X_b} starts {@code b * strideX} elements
     * into X. Row-major, so lda is the row length of A as stored.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
              Tensor a, int lda, long strideA, Tensor b, int ldb, long strideB,
              double beta, Tensor c, int ldc, long strideC, int batch);

    default void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                      Tensor a, int lda, Tensor b, int ldb, double beta, Tensor c, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
    }

    /**
     * How F32 {@link #gemm}s round their operands (see {@link GemmPrecision}: only the GEMM inputs;
     * parameters, optimizer state and all other ops stay float32). F64 GEMMs are never affected.
     */
    default GemmPrecision gemmPrecision() {
        return GemmPrecision.F32;
    }

    /**
     * Set {@link #gemmPrecision()} for every later F32 GEMM on this backend; returns the previous
     * setting (so a caller can restore it). Backends without reduced-precision GEMMs accept only F32.
     */
    default GemmPrecision setGemmPrecision(GemmPrecision p) {
        if (p != GemmPrecision.F32) throw new UnsupportedOperationException(name() + " backend has no " + p.label + " GEMM");
        return GemmPrecision.F32;
    }

    // ---- level 1 -------------------------------------------------------------------------------

    /** {@code y = alpha x + beta y}. */
    void axpby(double alpha, Tensor x, double beta, Tensor y);

    /** {@code x = alpha x}. */
    default void scale(Tensor x, double alpha) {
        axpby(0.0, x, alpha, x);
    }

    /** {@code x · y}, accumulated in float64. */
    double dot(Tensor x, Tensor y);

    /** {@link #dotRows}' shapes: {@code rows} rows of length d in a, and x of length d. */
    static void checkDotRows(Tensor a, int rows, int d, Tensor x) {
        if (rows < 0 || x.size != d || a.size < (long) rows * d) {
            throw new IllegalArgumentException("dotRows: need " + rows + " rows of " + d + " in " + a + " and x of " + d + ", got " + x);
        }
    }

    /**
     * {@code c[i] = a_i · x} for the rows a_i of {@code a} (rows, d), each accumulated in float64 and
     * equal to {@link #dot}{@code (a_i, x)}: the projections of classical Gram–Schmidt, which a device
     * returns in one round trip instead of one per row.
     */
    default double[] dotRows(Tensor a, int rows, int d, Tensor x) {
        checkDotRows(a, rows, d, x);
        double[] c = new double[rows];
        for (int i = 0; i < rows; i++) c[i] = dot(a.view((long) i * d, d), x);
        return c;
    }

    /** {@code out = x ⊙ y} elementwise. */
    void mul(Tensor x, Tensor y, Tensor out);

    /**
     * The (k, k) Gram matrix {@code G_ij = v_i · v_j}, row-major, of the k vectors of length d stored
     * back to back in v, accumulated in float64 whatever v's dtype (CholeskyQR squares the condition
     * number, so the Gram must not be formed in float32; SPEC §4). Deterministic. The default takes
     * k(k+1)/2 dots, one pass over V each; backends override it with one pass.
     */
    default double[] gram(Tensor v, long d, int k) {
        double[] g = new double[k * k];
        for (int i = 0; i < k; i++) {
            Tensor vi = v.view(i * d, d);
            for (int j = 0; j <= i; j++) {
                double s = dot(vi, v.view(j * d, d));
                g[i * k + j] = s;
                g[j * k + i] = s;
            }
        }
        return g;
    }

    /**
     * One pass of a CholeskyQR, in place: {@code v_i ← Σ_{l ≤ i} U_li v_l} for the k vectors of
     * length d stored back to back in v (V ← V U, U upper triangular, (k, k) row-major, e.g. R⁻¹),
     * then returns the float64 Gram of the STORED result ({@link #gram}), which is the pass's
     * orthogonality check. Deterministic. The CPU and CUDA backends read and write V once, form each
     * output as float64 fused multiply-adds in the order l = 0..i rounded once to v's dtype (so
     * they agree to the bit), and the Gram while the rows are in cache; this default is a GEMM in
     * v's dtype through a scratch copy of V, then {@link #gram}.
     */
    default double[] applyUpperAndGram(Tensor v, double[] u, long d, int k) {
        if (u.length != k * k) throw new IllegalArgumentException("applyUpperAndGram: U has " + u.length + " entries, not k² = " + k * k);
        if (d > Integer.MAX_VALUE) throw new IllegalArgumentException("applyUpperAndGram: vectors of " + d + " elements");
        double[] ut = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int l = 0; l < k; l++) ut[i * k + l] = l <= i ? u[l * k + i] : 0;
        Tensor vk = v.view(0, d * k), copy = zeros(v.dtype, d * k), t = fromDoubles(v.dtype, ut);
        copy(vk, copy);
        gemm(false, false, k, (int) d, k, 1.0, t, k, copy, (int) d, 0.0, vk, (int) d);
        return gram(vk, d, k);
    }

    /**
     * Throws unless the {@code batch} output blocks of {@code width} elements, {@code outStride}
     * apart, are disjoint (sumRows, sumChannels): overlapping blocks would be summed into by
     * concurrent tasks (threads on the CPU, blocks on a GPU), a race.
     */
    static void checkDisjointOutputs(String op, int batch, long outStride, int width) {
        if (batch > 1 && outStride < width) {
            throw new IllegalArgumentException(op + ": " + batch + " output blocks of " + width + " elements only " + outStride
                    + " apart overlap (use outStride >= " + width + ")");
        }
    }

    // ---- optimizer steps (issue #6: the state never leaves the device) ----------------------------

    /**
     * One AdamW step on the state, in place (Loshchilov &amp; Hutter 2019; {@link eoslab.optim.AdamW}).
     * For every i &lt; d, with c = the step's coefficients:
     * <pre>
     *   m' = β₁ m + (1 − β₁) g              v' = β₂ v + (1 − β₂) g ⊙ g
     *   p  = √(v'/c₂) + ε
     *   w' = (1 − ηλ) w − η (m'/c₁) / p
     * </pre>
     * w, m, v and g are d elements each, of one dtype. The arithmetic is float64 whatever the
     * dtype, rounded once when stored (the expressions of {@link AdamWCoefficients#mNew},
     * {@link AdamWCoefficients#vNew}, {@link AdamWCoefficients#wNew}), so every backend gives the same bits.
     */
    default void adamwUpdate(Tensor w, Tensor m, Tensor v, Tensor g, AdamWCoefficients c) {
        throw new UnsupportedOperationException(name() + " backend has no AdamW update");
    }

    /**
     * AdamW's exact tangent map at the state (w, m, v) <em>before</em> {@link #adamwUpdate}, applied
     * in place to k tangents. {@code tangents} holds k blocks of 3d, each (δw, δm, δv);
     * {@code hv} (k, d) holds H δw_j; g, m, v (d) are the gradient and the pre-step moments, from
     * which m', v' are recomputed elementwise. For every i &lt; d and j &lt; k:
     * <pre>
     *   δm' = β₁ δm + (1 − β₁) H δw
     *   δv' = β₂ δv + 2(1 − β₂) g ⊙ H δw
     *   δw' = (1 − ηλ) δw − η [ δm'/(c₁ p) − (m'/c₁) ⊙ δv'/(2 c₂ √v̂ p²) ]      v̂ = v'/c₂, p = √v̂ + ε
     * </pre>
     * The last term is 0 where v̂ = 0, and always with {@code freezePreconditioner} (P held fixed
     * inside the step; Cohen et al. 2022). Float64 arithmetic whatever the dtype, rounded once when
     * stored ({@link AdamWCoefficients#dmNew}, {@link AdamWCoefficients#dvNew}, {@link AdamWCoefficients#dwNew}).
     */
    default void adamwTangents(Tensor tangents, int k, Tensor g, Tensor hv, Tensor m, Tensor v, AdamWCoefficients c,
                               boolean freezePreconditioner) {
        throw new UnsupportedOperationException(name() + " backend has no AdamW tangent map");
    }

    /**
     * The forward of a linear map with bias: {@code y = x Wᵀ + b} for the n rows of x (n, in), W
     * (out, in) row-major, b (out). The default is {@link #gemm} then {@link #addBias}; a backend may
     * add the bias in the GEMM's epilogue instead (cuBLASLt on CUDA, opt-in), which writes y once.
     */
    default void linearForward(Tensor x, Tensor w, Tensor b, Tensor y, int n, int in, int out) {
        gemm(false, true, n, out, in, 1, x, in, w, in, 0, y, out);
        addBias(b, 0, y, n, out, 1);
    }

    /**
     * A linear map with bias followed by an activation: {@code pre = x Wᵀ + b}, {@code y = act(pre)},
     * both stored (backward and R-op need the pre-activation). The default is {@link #linearForward}
     * then {@link #activation}; CUDA with -Deoslab.cuda.lt=true does GELU in cuBLASLt's epilogue
     * (GELU_AUX_BIAS: y and pre written by the GEMM).
     */
    default void linearForwardAct(Tensor x, Tensor w, Tensor b, Tensor pre, Act act, Tensor y, int n, int in, int out) {
        linearForward(x, w, b, pre, n, in, out);
        activation(act, pre.view(0, (long) n * out), y.view(0, (long) n * out));
    }

    // ---- rows ----------------------------------------------------------------------------------

    /**
     * {@code y_b[r, :] += bias_b} for r &lt; rows, b &lt; batch: bias_b starts {@code b * biasStride}
     * into bias (stride 0 shares one bias), y_b is the b-th (rows, cols) block of y.
     */
    void addBias(Tensor bias, long biasStride, Tensor y, int rows, int cols, int batch);

    /**
     * {@code out_b = sum_r x_b[r, :] + beta out_b}; out_b starts {@code b * outStride} into out. The
     * out_b must not overlap (batch = 1 or outStride &gt;= cols): each is written by its own task.
     */
    void sumRows(Tensor x, int rows, int cols, int batch, double beta, Tensor out, long outStride);

    // ---- convolutions and pooling (NCHW: an example is (C, H, W) flattened, PyTorch's layout) --

    /**
     * Unfolds the kh×kw patches of x (n, C, H, W) into {@code cols} (n, C·kh·kw, Ho·Wo), the Caffe
     * im2col layout, so a convolution becomes one GEMM per example: y_b (outC, Ho·Wo) = W (outC,
     * C·kh·kw) × cols_b. Row (c·kh + i)·kw + j, column oh·Wo + ow holds
     * x[c, oh·stride − pad + i, ow·stride − pad + j], zero outside the image; Ho = (H + 2pad − kh)/stride + 1.
     */
    void im2col(Tensor x, int n, int channels, int height, int width, int kh, int kw, int stride, int pad, Tensor cols);

    /**
     * The adjoint of {@link #im2col}: {@code x} (n, C, H, W) is overwritten with the sum, over every
     * patch position, of the entries of {@code cols} (n, C·kh·kw, Ho·Wo) that came from that pixel.
     * This is the backward pass of a convolution w.r.t. its input (a transposed convolution).
     */
    void col2im(Tensor cols, int n, int channels, int height, int width, int kh, int kw, int stride, int pad, Tensor x);

    /**
     * Per-channel bias of NCHW activations: {@code y_b[i, c, s] += bias_b[c]} for i &lt; n, c &lt;
     * channels, s &lt; spatial, b &lt; batch; bias_b starts {@code b * biasStride} into bias (stride 0
     * shares one bias), y_b is the b-th (n, channels, spatial) block of y.
     */
    void addChannelBias(Tensor bias, long biasStride, Tensor y, int n, int channels, int spatial, int batch);

    /**
     * The adjoint of {@link #addChannelBias}: {@code out_b[c] = Σ_{i,s} x_b[i, c, s] + beta out_b[c]}
     * over the b-th (n, channels, spatial) block of x; out_b starts {@code b * outStride} into out.
     * The out_b must not overlap (batch = 1 or outStride &gt;= channels).
     */
    void sumChannels(Tensor x, int n, int channels, int spatial, int batch, double beta, Tensor out, long outStride);

    /**
     * Max pooling of x (n, C, H, W) over non-overlapping size×size windows (stride = size, no
     * padding, Ho = H / size rounded down, as PyTorch's {@code MaxPool2d(size)}). Writes
     * y (n, C, Ho, Wo) and the I32 {@code argmax} (n, C·Ho·Wo): the index of the winner within its
     * example's C·H·W elements; the first maximum in row-major window order wins ties, and a NaN
     * wins (PyTorch propagates NaN). Either output may be null.
     */
    void maxPool2d(Tensor x, int n, int channels, int height, int width, int size, Tensor y, Tensor argmax);

    /**
     * {@code dst_b[r, c] = src_b[r, idx[r, c]]} for r &lt; rows, c &lt; idxCols, b &lt; batch: src_b is the
     * b-th (rows, srcCols) block of src, dst_b the b-th (rows, idxCols) block of dst, the I32 indices
     * (rows, idxCols) are shared by all blocks. With max-pool argmaxes this is the pool's tangent map.
     */
    void gatherIndexed(Tensor src, int srcCols, Tensor idx, int rows, int idxCols, Tensor dst, int batch);

    /**
     * The adjoint of {@link #gatherIndexed}: {@code dst_b[r, :] = 0}, then
     * {@code dst_b[r, idx[r, c]] += src_b[r, c]} in order of c; dst_b is the b-th (rows, dstCols)
     * block. With max-pool argmaxes this is the pool's backward pass.
     */
    void scatterIndexed(Tensor src, Tensor idx, int rows, int idxCols, Tensor dst, int dstCols, int batch);

    // ---- activations (forward, backward, R-op; see {@link Act}) ------------------------------

    /** {@code y = σ(x)}. */
    void activation(Act act, Tensor x, Tensor y);

    /**
     * {@code out_j = σ'(x) ⊙ g_j} for j &lt; k, x broadcast over the k blocks of g. With k = 1 this is
     * the backward pass; with the k tangent directions it is the forward R-op.
     */
    void activationBackward(Act act, Tensor x, Tensor g, Tensor out, int k);

    /** R-op of the backward pass: {@code out_j = σ''(x) ⊙ Rx_j ⊙ dy + σ'(x) ⊙ Rdy_j}. */
    void activationRBackward(Act act, Tensor x, Tensor dy, Tensor rx, Tensor rdy, Tensor out, int k);

    // ---- losses --------------------------------------------------------------------------------

    /**
     * Softmax cross-entropy over rows of {@code logits} (rows, classes) with I32 {@code labels}.
     * Writes {@code probs}, {@code dlogits = scale (p - onehot)}, and, when {@code rowLoss} is not
     * null, each row's loss. Returns {@code scale * sum_r loss_r}.
     */
    double softmaxCrossEntropy(Tensor logits, Tensor labels, int rows, int classes, double scale,
                               Tensor probs, Tensor dlogits, Tensor rowLoss);

    /**
     * R-op of the CE gradient: {@code out_j = scale p ⊙ (Rz_j − ⟨p, Rz_j⟩_row)} for the k tangent
     * blocks Rz_j of the logits.
     */
    void softmaxCrossEntropyR(Tensor probs, Tensor rlogits, int rows, int classes, int k, double scale, Tensor out);

    /**
     * Squared error {@code scale · ½‖out − target‖²} summed over rows; writes
     * {@code dout = scale (out − target)} and, when {@code rowLoss} is not null, each row's ½‖·‖².
     */
    double mse(Tensor out, Tensor target, int rows, int cols, double scale, Tensor dout, Tensor rowLoss);

    // ---- lifecycle -----------------------------------------------------------------------------

    /** Wait for queued work (a no-op on the CPU). */
    default void sync() {
    }

    @Override
    default void close() {
    }
}
