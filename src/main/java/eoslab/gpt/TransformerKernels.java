package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.tensor.Tensor;

/**
 * The few transformer operations the narrow {@link Backend} does not have: token/position
 * embeddings, LayerNorm and the causal softmax, each with its backward pass and tangent (R-op).
 * Everything else in {@link Gpt2} is Backend GEMMs, bias adds, GELU and the vocabulary
 * cross-entropy. {@link CpuTransformerKernels} is the reference; a device implementation must be
 * checked against it with {@code atol + rtol·|ref|} before it is used.
 *
 * <p>Shapes: rows N = B·T, channels C. Tensors are F32 or F64 (one dtype per call); tokens are I32.
 * Accumulating outputs say so ({@code +=}); the others are overwritten.
 */
public interface TransformerKernels {

    /** The kernels for {@code be}: the CPU reference, or kernels/transformer.cu on CUDA (fails loudly elsewhere). */
    static TransformerKernels of(Backend be) {
        if (be instanceof CpuBackend) return CpuTransformerKernels.INSTANCE;
        if (be instanceof eoslab.backend.cuda.CudaBackend cuda) return cuda.transformerKernels();
        throw new UnsupportedOperationException("GPT-2 kernels (LayerNorm, causal softmax, embeddings) are not implemented on backend '" + be.name() + "'; use --device cpu");
    }

    /** out[b, t, :] = wte[tokens[b, t], :] + wpe[t, :]. tokens (B, T), wte (V, C), wpe (≥T, C), out (B·T, C). */
    void embeddingForward(Tensor tokens, Tensor wte, Tensor wpe, Tensor out, int b, int t, int c, int v);

    /** The adjoint: dwte[tokens[b, t], :] += dout[b, t, :], dwpe[t, :] += dout[b, t, :], in row order. */
    void embeddingBackward(Tensor tokens, Tensor dout, Tensor dwte, Tensor dwpe, int b, int t, int c);

    /**
     * y = g ⊙ x̂ + β with x̂ = (x − μ)·r, μ and σ² the row mean and (biased) variance, r = 1/√(σ² + ε).
     * x, y (N, C); g, β (C); writes mean (N) and rstd r (N).
     */
    void layerNormForward(Tensor x, Tensor g, Tensor beta, Tensor y, Tensor mean, Tensor rstd, int rows, int c);

    /**
     * dx += r (ĝ − mean(ĝ) − x̂ mean(ĝ ⊙ x̂)) with ĝ = dy ⊙ g; dg += Σ_rows dy ⊙ x̂ and dβ += Σ_rows dy
     * (skipped when dg is null).
     */
    void layerNormBackward(Tensor x, Tensor mean, Tensor rstd, Tensor g, Tensor dy, Tensor dx, Tensor dg, Tensor dbeta, int rows, int c);

    /**
     * Tangent along (Rx, V_g, V_β): Ry = V_g ⊙ x̂ + g ⊙ R{x̂} + V_β, R{x̂} = r (u − x̂ mean(x̂ ⊙ u)),
     * u = Rx − mean(Rx). One direction per call.
     */
    void layerNormRForward(Tensor x, Tensor mean, Tensor rstd, Tensor g, Tensor vg, Tensor vbeta, Tensor rx, Tensor ry, int rows, int c);

    /**
     * Tangent of {@link #layerNormBackward} given Rx, R{dy} and (V_g): R{dx} += …, R{dg} += Σ (R{dy} ⊙ x̂ +
     * dy ⊙ R{x̂}), R{dβ} += Σ R{dy}. One direction per call.
     */
    void layerNormRBackward(Tensor x, Tensor mean, Tensor rstd, Tensor g, Tensor vg, Tensor dy, Tensor rx, Tensor rdy,
                            Tensor rdx, Tensor rdg, Tensor rdbeta, int rows, int c);

    /**
     * Causal softmax over rows of (rows, T) score blocks, in place allowed: row r is query position
     * i = r mod T, P[r, j] = exp(S[r, j] − max) / Σ_{j' ≤ i} for j ≤ i and 0 for j &gt; i (the mask of
     * GPT-2's {@code attn.bias}).
     */
    void softmaxCausalForward(Tensor s, Tensor p, int rows, int t);

    /**
     * out = P ⊙ (G − ⟨P, G⟩_row): the softmax Jacobian (symmetric) applied to G. With G = dP it is the
     * backward pass, with G = R{S} the forward tangent R{P}. Masked entries (P = 0) give 0.
     */
    void softmaxJvp(Tensor p, Tensor g, Tensor out, int rows, int t);

    /**
     * Tangent of the softmax backward pass: out = RP ⊙ (dP − ⟨P, dP⟩) + P ⊙ (R{dP} − ⟨RP, dP⟩ − ⟨P, R{dP}⟩).
     */
    void softmaxJvpR(Tensor p, Tensor dp, Tensor rp, Tensor rdp, Tensor out, int rows, int t);
}
