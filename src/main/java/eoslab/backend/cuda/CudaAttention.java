package eoslab.backend.cuda;

import eoslab.gpt.AttentionKernels;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * {@link AttentionKernels} on the GPU: the kernels of kernels/attention.cu (FlashAttention-2 style,
 * Dao 2023; one block per (query or key tile, sequence·head), K/V tiles through shared memory,
 * online softmax, no atomics). Checked against {@link eoslab.gpt.CpuAttention} by
 * CudaAttentionEmulatorTest on the host emulator. Head size at most {@link #HS_MAX} (GPT-2's is 64).
 *
 * <p>Launch shape for every kernel: grid (⌈T / TILE⌉, B·H), TILE threads per block, TILE =
 * {@link #TILE_F32} or {@link #TILE_F64} rows (must equal ATT_TILE_F32 / ATT_TILE_F64 in attention.cu).
 * The backward pass and its R-op are two launches each: dq by query tiles, dk and dv by key tiles.
 */
public final class CudaAttention implements AttentionKernels {
    /** Rows per tile and threads per block; ATT_TILE_F32, ATT_TILE_F64, ATT_HS_MAX in kernels/attention.cu. */
    static final int TILE_F32 = 32, TILE_F64 = 16, HS_MAX = 64;

    private final CudaBackend be;

    private CudaAttention(CudaBackend be) {
        this.be = be;
    }

    public static CudaAttention of(CudaBackend be) {
        return new CudaAttention(be);
    }

    @Override
    public void forward(Tensor qkv, Tensor y, Tensor lse, int b, int t, int h, int c) {
        DType dt = check(b, t, h, c, qkv, y, lse);
        launch("attn_fwd", dt, b, t, h, p(qkv), p(y), p(lse), t, h, c, scale(h, c));
    }

    @Override
    public void backward(Tensor qkv, Tensor y, Tensor lse, Tensor dy, Tensor dqkv, int b, int t, int h, int c) {
        DType dt = check(b, t, h, c, qkv, y, lse);
        same(dt, check(b, t, h, c, dqkv, dy, null));
        Object[] args = {p(qkv), p(y), p(lse), p(dy), p(dqkv), t, h, c, scale(h, c)};
        launch("attn_bwd_dq", dt, b, t, h, args);
        launch("attn_bwd_dkdv", dt, b, t, h, args);
    }

    @Override
    public void rForward(Tensor qkv, Tensor y, Tensor lse, Tensor rqkv, Tensor ry, Tensor rlse, int b, int t, int h, int c) {
        DType dt = check(b, t, h, c, qkv, y, lse);
        same(dt, check(b, t, h, c, rqkv, ry, rlse));
        launch("attn_rfwd", dt, b, t, h, p(qkv), p(y), p(lse), p(rqkv), p(ry), p(rlse), t, h, c, scale(h, c));
    }

    @Override
    public void rBackward(Tensor qkv, Tensor y, Tensor lse, Tensor dy, Tensor rqkv, Tensor ry, Tensor rlse, Tensor rdy, Tensor rdqkv,
                          int b, int t, int h, int c) {
        DType dt = check(b, t, h, c, qkv, y, lse);
        same(dt, check(b, t, h, c, rqkv, ry, rlse));
        same(dt, check(b, t, h, c, rdqkv, dy, null));
        same(dt, check(b, t, h, c, rdqkv, rdy, null));
        Object[] args = {p(qkv), p(y), p(lse), p(dy), p(rqkv), p(ry), p(rlse), p(rdy), p(rdqkv), t, h, c, scale(h, c)};
        launch("attn_rbwd_dq", dt, b, t, h, args);
        launch("attn_rbwd_dkdv", dt, b, t, h, args);
    }

    // ---- launch ----------------------------------------------------------------------------------

    private void launch(String kernel, DType dt, int b, int t, int h, Object... args) {
        int tile = dt == DType.F32 ? TILE_F32 : TILE_F64;
        be.enter();
        be.module().launch(kernel + (dt == DType.F32 ? "_f32" : "_f64"), (t + tile - 1) / tile, b * h, tile, 1, args);
    }

    private Kernels.Ptr p(Tensor x) {
        return new Kernels.Ptr(be.addr(x));
    }

    private static double scale(int h, int c) {
        return 1 / Math.sqrt(c / h);
    }

    private static DType check(int b, int t, int h, int c, Tensor x3, Tensor x1, Tensor row) {
        if (b < 1 || t < 1 || h < 1 || c < h || c % h != 0) {
            throw new IllegalArgumentException("attention: bad shape B=" + b + " T=" + t + " H=" + h + " C=" + c);
        }
        if (c / h > HS_MAX) {
            throw new UnsupportedOperationException("CUDA attention supports head size up to " + HS_MAX + ", got " + (c / h)
                    + " (C=" + c + ", H=" + h + "); use the materialized path (-Deoslab.gpt.attention=materialized)");
        }
        if ((long) b * h > 65535) throw new IllegalArgumentException("attention: B·H = " + (long) b * h + " exceeds the grid's y limit 65535");
        long n = (long) b * t;
        DType dt = need(x3, 3 * n * c, "(B·T, 3C)");
        same(dt, need(x1, n * c, "(B·T, C)"));
        if (row != null) same(dt, need(row, n * h, "(B, H, T)"));
        return dt;
    }

    private static DType need(Tensor x, long size, String shape) {
        if (x.dtype == DType.I32) throw new IllegalArgumentException("attention needs F32 or F64 tensors, got " + x);
        if (x.size < size) throw new IllegalArgumentException("attention: tensor " + x + " is smaller than " + shape + " = " + size);
        return x.dtype;
    }

    private static void same(DType a, DType b) {
        if (a != b) throw new IllegalArgumentException("attention: mixed dtypes " + a + " and " + b);
    }
}
