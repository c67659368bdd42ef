package eoslab.nn;

import eoslab.backend.Backend;
import eoslab.curvature.LinearOperator;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The Hessian ∇²L(w) of an objective at fixed weights, over all rows or a fixed minibatch, as a
 * {@link LinearOperator}: exact forward-over-reverse products, k directions per pass, counted.
 */
public final class HessianOperator implements LinearOperator {
    private final Objective f;
    private final Tensor w;
    private final int[] rows;
    private long products;

    /** @param rows the minibatch rows, or null for the full data set */
    public HessianOperator(Objective f, Tensor w, int[] rows) {
        this.f = f;
        this.w = w;
        this.rows = rows;
    }

    @Override public long dim() { return f.dim(); }

    @Override public Backend backend() { return f.backend(); }

    @Override public DType dtype() { return f.dtype(); }

    @Override
    public void apply(Tensor v, Tensor out, int k) {
        f.evaluate(w, rows, null, v, k, out, null);
        products += k;
    }

    /** Hessian-vector products computed so far. */
    public long products() {
        return products;
    }
}
