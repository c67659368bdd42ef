package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.backend.cuda.CudaAttention;
import eoslab.backend.cuda.CudaBackend;
import eoslab.tensor.Tensor;

/**
 * The fused causal self-attention core of GPT-2 (issue #6), FlashAttention-2 style (Dao 2023): the
 * (T, T) score and probability matrices are never stored; the forward pass keeps only the per-row
 * log-sum-exp, and the backward pass and the tangents recompute P from it.
 *
 * <p><b>Shapes.</b> B sequences of T positions, H heads of size hs = C/H, N = B·T. The inputs are
 * Gpt2's c_attn output {@code qkv} (N, 3C): row n = b·T + i holds q_i, k_i, v_i in the column
 * thirds [0, C), [C, 2C), [2C, 3C), and head h is the column slice [h·hs, (h+1)·hs) of each third.
 * {@code y}, {@code dy} are (N, C) with head h in columns [h·hs, (h+1)·hs) (the layout c_proj
 * takes); the row statistics {@code lse}, {@code rlse} are (B, H, T). All outputs are overwritten.
 * Tensors are F32 or F64, one dtype per call.
 *
 * <p><b>Math</b>, per sequence and head, for query i and key j ≤ i (keys j &gt; i are masked),
 * scale = 1/√hs:
 * <pre>
 *   forward    S_ij = scale q_i·k_j      lse_i = log Σ_{j≤i} exp S_ij      P_ij = exp(S_ij − lse_i)
 *              y_i = Σ_j P_ij v_j
 *   backward   D_i = dy_i·y_i (= Σ_j P_ij dP_ij)      dP_ij = dy_i·v_j      dS_ij = P_ij (dP_ij − D_i)
 *              dq_i = scale Σ_j dS_ij k_j     dk_j = scale Σ_i dS_ij q_i     dv_j = Σ_i P_ij dy_i
 * </pre>
 * The tangents (Pearlmutter 1994) along (Rq, Rk, Rv) and, for the backward, R{dy}:
 * <pre>
 *   rForward   R{S}_ij = scale (Rq_i·k_j + q_i·Rk_j)
 *              R{lse}_i = Σ_j P_ij R{S}_ij                     (the tangent of log-sum-exp)
 *              R{P}_ij = P_ij (R{S}_ij − R{lse}_i)              (= P ⊙ (R{S} − rowsum(P ⊙ R{S})))
 *              R{y}_i  = Σ_j R{P}_ij v_j + P_ij Rv_j = Σ_j P_ij (R{S}_ij v_j + Rv_j) − R{lse}_i y_i
 *   rBackward  R{dP}_ij = R{dy}_i·v_j + dy_i·Rv_j
 *              R{D}_i   = R{dy}_i·y_i + dy_i·R{y}_i             (= Σ_j R{P}_ij dP_ij + P_ij R{dP}_ij)
 *              R{dS}_ij = R{P}_ij (dP_ij − D_i) + P_ij (R{dP}_ij − R{D}_i)
 *              R{dq}_i = scale Σ_j (R{dS}_ij k_j + dS_ij Rk_j)
 *              R{dk}_j = scale Σ_i (R{dS}_ij q_i + dS_ij Rq_i)
 *              R{dv}_j = Σ_i (R{P}_ij dy_i + P_ij R{dy}_i)
 * </pre>
 * So rForward leaves two row vectors, R{y} and R{lse}, and rBackward needs them exactly as the
 * backward needs y and lse: D and R{D} are row dot products, not (T, T) sums.
 *
 * <p>{@link CpuAttention} is the reference; a device implementation must be checked against it with
 * {@code atol + rtol·|ref|} before it is used.
 */
public interface AttentionKernels {

    /** The attention kernels for {@code be} (CPU reference or CUDA); fails loudly elsewhere. */
    static AttentionKernels of(Backend be) {
        if (be instanceof CpuBackend) return CpuAttention.INSTANCE;
        if (be instanceof CudaBackend cuda) return CudaAttention.of(cuda);
        throw new UnsupportedOperationException("fused attention is not implemented on backend '" + be.name() + "'; use --device cpu");
    }

    /** y (N, C) and lse (B, H, T) from qkv (N, 3C). */
    void forward(Tensor qkv, Tensor y, Tensor lse, int b, int t, int h, int c);

    /** dqkv (N, 3C) = (dq | dk | dv) from dy (N, C), recomputing P from qkv and lse; y is the forward output. */
    void backward(Tensor qkv, Tensor y, Tensor lse, Tensor dy, Tensor dqkv, int b, int t, int h, int c);

    /** One direction: ry (N, C) and rlse (B, H, T) from rqkv (N, 3C). */
    void rForward(Tensor qkv, Tensor y, Tensor lse, Tensor rqkv, Tensor ry, Tensor rlse, int b, int t, int h, int c);

    /** One direction: rdqkv (N, 3C) = R{dq | dk | dv} from rqkv, ry, rlse (of {@link #rForward}) and rdy (N, C). */
    void rBackward(Tensor qkv, Tensor y, Tensor lse, Tensor dy, Tensor rqkv, Tensor ry, Tensor rlse, Tensor rdy, Tensor rdqkv,
                   int b, int t, int h, int c);
}
