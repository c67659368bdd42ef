package eoslab.curvature;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * A symmetric linear operator A on R^dim, applied to k vectors at once. The eigen-solvers, trace
 * and density estimators take one of these and know nothing about networks: a Hessian of a loss,
 * a dense test matrix and a GPU operator all look the same to them.
 */
public interface LinearOperator {
    long dim();

    Backend backend();

    DType dtype();

    /** {@code out_j = A v_j} for j &lt; k, where v and out hold k vectors of length dim back to back. */
    void apply(Tensor v, Tensor out, int k);
}
