package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.curvature.LinearOperator;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The generalized Gauss-Newton matrix G = (1/n) Σ_i J_iᵀ H_ℓ,i J_i of an objective at fixed weights
 * (J_i = ∂f(x_i)/∂w, H_ℓ,i the loss's Hessian in the outputs), over all rows or a fixed minibatch, as a
 * {@link LinearOperator}: the Hessian minus its residual term Σ_i Σ_c ∂ℓ_i/∂f_c ∇²f_c(x_i), positive
 * semi-definite for MSE and CE. At a zero-residual point (or for a linear model under MSE) it is the
 * Hessian. Exact products, k directions per pass, counted.
 */
public final class GgnOperator implements LinearOperator {
    private final Objective f;
    private final Tensor w;
    private final int[] rows;
    private long products;

    /** @param rows the minibatch rows, or null for the full data set */
    public GgnOperator(Objective f, Tensor w, int[] rows) {
        this.f = f;
        this.w = w;
        this.rows = rows;
    }

    @Override public long dim() { return f.dim(); }

    @Override public Backend backend() { return f.backend(); }

    @Override public DType dtype() { return f.dtype(); }

    @Override
    public void apply(Tensor v, Tensor out, int k) {
        f.ggn(w, rows, v, k, out);
        products += k;
    }

    /** Gauss-Newton-vector products computed so far. */
    public long products() {
        return products;
    }
}
