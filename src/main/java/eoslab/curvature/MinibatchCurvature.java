package eoslab.curvature;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * What batch sharpness needs from a model, and nothing more: for minibatch B (named by an index
 * into the run's noise sequence, so B is a pure function of (seed, index)), the minibatch gradient
 * g_B = ∇L_B(w) and the product H_B g_B of the minibatch Hessian with it, both at the current
 * weights. The network objective implements this with one backward pass and one HVP that share
 * the batch; a quadratic implements it in two lines.
 */
public interface MinibatchCurvature {
    long dim();

    Backend backend();

    DType dtype();

    /** Write g = ∇L_B(w) and hg = H_B(w) g for minibatch {@code batchIndex}; both (dim). */
    void gradAndHvp(long batchIndex, Tensor g, Tensor hg);
}
