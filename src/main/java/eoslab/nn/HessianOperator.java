package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.curvature.LinearOperator;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The Hessian ∇²L(w) of an objective at fixed weights, over all rows or a fixed minibatch, as a
 * {@link LinearOperator}: exact forward-over-reverse products, k directions per pass, counted.
 *
 * <p>Or, from {@link #gaussNewton}, its generalized Gauss-Newton part G = (1/n) Σ_i J_iᵀ H_ℓ,i J_i
 * (J_i = ∂f(x_i)/∂w, H_ℓ,i the loss's Hessian in the outputs): the Hessian minus its residual term
 * Σ_i Σ_c ∂ℓ_i/∂f_c ∇²f_c(x_i), positive semi-definite for MSE and CE, equal to it at a zero-residual
 * point or for a model linear in w under MSE (curvlinops' GGN).
 */
public final class HessianOperator implements LinearOperator {
    private final Objective f;
    private final Tensor w;
    private final int[] rows;
    private final boolean gaussNewton;
    private long products;

    /** @param rows the minibatch rows, or null for the full data set */
    public HessianOperator(Objective f, Tensor w, int[] rows) {
        this(f, w, rows, false);
    }

    private HessianOperator(Objective f, Tensor w, int[] rows, boolean gaussNewton) {
        this.f = f;
        this.w = w;
        this.rows = rows;
        this.gaussNewton = gaussNewton;
    }

    /** The Gauss-Newton matrix G of the same loss (see the class comment); rows as for the Hessian. */
    public static HessianOperator gaussNewton(Objective f, Tensor w, int[] rows) {
        return new HessianOperator(f, w, rows, true);
    }

    @Override public long dim() { return f.dim(); }

    @Override public Backend backend() { return f.backend(); }

    @Override public DType dtype() { return f.dtype(); }

    @Override
    public void apply(Tensor v, Tensor out, int k) {
        if (gaussNewton) f.ggn(w, rows, v, k, out);
        else f.evaluate(w, rows, null, v, k, out, null);
        products += k;
    }

    /** Products computed so far. */
    public long products() {
        return products;
    }
}
