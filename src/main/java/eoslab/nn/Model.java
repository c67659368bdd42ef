package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

import java.util.List;

/**
 * A differentiable model with a flat parameter vector w of length {@link #numParams()}.
 * Everything curvature needs goes through {@link #lossGradHvp}: one primal pass, then the backward
 * pass and k forward-over-reverse passes that share it.
 */
public interface Model {
    int numParams();

    int inputSize();

    int outputSize();

    /** Named parameters in checkpoint order, PyTorch names and layout ({@code layers.0.weight}, (out, in)). */
    List<ParamSpec> params();

    /** Initial parameters as a pure function of (seed, scale). */
    double[] init(long seed, double scale);

    /** out (n, outputs) = f(x; w) for x (n, inputs). */
    void forward(Backend be, Tensor w, Tensor x, int n, Tensor out);

    /**
     * On a batch of n examples with per-example weight {@code scale} (1/N for a mean over N):
     * returns scale·Σ ℓ_i; when grad is not null, grad += scale·Σ ∇ℓ_i; when k &gt; 0,
     * hv_j += scale·Σ ∇²ℓ_i v_j for the k directions v (k, d) — exact, forward-over-reverse.
     * rowLoss (n) receives each ℓ_i and logits (n, outputs) the outputs, when not null.
     */
    double lossGradHvp(Backend be, Tensor w, Batch batch, Loss loss, double scale,
                       Tensor grad, Tensor v, int k, Tensor hv, Tensor rowLoss, Tensor logits);

    /**
     * Gauss-Newton products on a batch: returns scale·Σ ℓ_i and adds gv_j += scale·Σ_i J_iᵀ H_ℓ,i J_i v_j
     * for the k directions v (k, d), where J_i = ∂f(x_i)/∂w and H_ℓ,i is the loss's Hessian in the
     * outputs (the generalized Gauss-Newton matrix, curvlinops' GGN). Models that do not provide it refuse.
     */
    default double ggnProduct(Backend be, Tensor w, Batch batch, Loss loss, double scale, Tensor v, int k, Tensor gv) {
        throw new IllegalArgumentException(describe() + ": no Gauss-Newton products (eoslab's MLP, CNN, ResNet and GPT-2 models have them)");
    }

    /**
     * Gradient of the loss with respect to the inputs, for attacks (PGD, Kwag et al. §5.2): on a batch of
     * n examples with per-example weight {@code scale}, returns scale·Σ ℓ_i and writes
     * dx (n, inputs) = scale·∂(Σ ℓ_i)/∂x, overwritten. Rows do not interact (no batch coupling in
     * eoslab's models), so row i of dx is scale·∇_x ℓ_i. w is not differentiated. Models whose
     * inputs are discrete (token ids) have no such gradient and refuse.
     */
    default double lossAndInputGradient(Backend be, Tensor w, Batch batch, Loss loss, double scale, Tensor dx) {
        throw new IllegalArgumentException(describe() + " takes discrete inputs: it has no input gradient (PGD needs continuous inputs)");
    }

    /** A one-line description, e.g. {@code MLP 784-512-512-2 relu bias}. */
    String describe();
}
