package eoslab.curvature;

import eoslab.tensor.Tensor;

/**
 * Top-k eigenpairs of a {@link LinearOperator}.
 *
 * @param values       the k Ritz values, sorted by the requested {@link EigenOrder}
 * @param vectors      (k, dim) the unit Ritz vectors back to back, on the operator's backend; pass
 *                     this tensor as the next call's warm start
 * @param residuals    true residuals ‖A v_i − θ_i v_i‖ (computed with one extra batched apply)
 * @param iterations   operator-vector products spent on building Krylov/subspace bases
 * @param restarts     thick restarts (Lanczos) or 0
 * @param hvps         every vector the operator was applied to, residual checks included
 * @param converged    every residual ≤ tol·|θ_i| (+ atol)
 * @param usedFallback Lanczos did not converge within its budget and power iteration produced this
 * @param method       "lanczos", "power" or "lanczos→power"
 */
public record EigenResult(double[] values, Tensor vectors, long dim, double[] residuals, int iterations,
                          int restarts, long hvps, boolean converged, boolean usedFallback, String method) {

    public int k() {
        return values.length;
    }

    /** Eigenvector i, a view into {@link #vectors}. */
    public Tensor vector(int i) {
        return vectors.view(i * dim, dim);
    }

    /** max_i residual_i / |θ_i|. */
    public double maxRelativeResidual() {
        double m = 0;
        for (int i = 0; i < values.length; i++) m = Math.max(m, residuals[i] / Math.abs(values[i]));
        return m;
    }
}
