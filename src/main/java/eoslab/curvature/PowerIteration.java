package eoslab.curvature;

import eoslab.backend.Backend;
import eoslab.linalg.DenseMatrix;
import eoslab.linalg.SymmetricEigen;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Power iteration and its block form, subspace (orthogonal) iteration with Rayleigh–Ritz
 * (Golub &amp; Van Loan §8.2.4): X ← orth(A X), then the Ritz pairs of Xᵀ A X. Slower than Lanczos
 * (the error shrinks like |λ_{k+1}/λ_k|^t) but simple and robust, hence the fallback.
 *
 * <p>Power iteration finds the largest-<em>magnitude</em> eigenvalues. For
 * {@link EigenOrder#LARGEST_ALGEBRAIC} it iterates with A + σI, σ = an estimate of the spectral
 * radius from the first iterations (times 1.1), which makes the spectrum nonnegative so that the
 * algebraically largest eigenvalues are also the dominant ones; Ritz values are always those of A.
 * When the spectrum is already nonnegative this costs convergence speed ((λ_2+σ)/(λ_1+σ) instead
 * of λ_2/λ_1), so σ is 0 when no negative Ritz value is seen during the first iterations.
 *
 * <p>Memory: 3 k vectors of length d on the backend.
 */
public final class PowerIteration {
    private PowerIteration() {
    }

    /**
     * @param maxIter operator calls (each applies A to k vectors)
     * @param tol     stop when every ‖A v − θ v‖ ≤ tol·|θ| + atol
     */
    public record Options(int maxIter, double tol, double atol, EigenOrder order, long seed) {
        public Options {
            if (maxIter < 1) throw new IllegalArgumentException("power iteration maxIter must be >= 1, got " + maxIter);
            if (!(tol > 0) || !(tol < 1)) throw new IllegalArgumentException("power iteration tol must be in (0, 1), got " + tol);
            if (!(atol >= 0)) throw new IllegalArgumentException("power iteration atol must be >= 0, got " + atol);
            if (order == null) throw new IllegalArgumentException("power iteration order must be given");
        }

        public static Options defaults() {
            return new Options(2000, 1e-6, 0.0, EigenOrder.LARGEST_ALGEBRAIC, 0L);
        }
    }

    /** The top eigenpair (k = 1). */
    public static EigenResult top(LinearOperator op, Options o, Tensor warmStart) {
        return topK(op, 1, o, warmStart);
    }

    /**
     * The k eigenpairs at the end {@code o.order()} by subspace iteration.
     *
     * @param warmStart null or (w, dim) start vectors (the first min(w, k) are used)
     */
    public static EigenResult topK(LinearOperator op, int k, Options o, Tensor warmStart) {
        int d = Vectors.dim(op);
        if (k < 1 || k > d) throw new IllegalArgumentException("power iteration: k must be in [1, " + d + "], got " + k);
        Backend be = op.backend();
        DType dt = op.dtype();
        SplittableRandom rng = new SplittableRandom(o.seed());
        Tensor x = be.zeros(dt, (long) k * d);   // (k, d) orthonormal iterate
        Tensor ax = be.zeros(dt, (long) k * d);  // (k, d) A X
        Tensor y = be.zeros(dt, (long) k * d);   // (k, d) scratch
        int w = 0;
        if (warmStart != null) {
            if (warmStart.size % d != 0) throw new IllegalArgumentException("power iteration warm start: size " + warmStart.size + " is not a multiple of dim " + d);
            w = (int) Math.min(k, warmStart.size / d);
            be.copy(warmStart.view(0, (long) w * d), x.view(0, (long) w * d));
        }
        for (int j = w; j < k; j++) Vectors.gaussian(Vectors.row(x, j, d), rng);
        for (int j = 0; j < k; j++) Vectors.orthonormalizeRow(x, j, d, rng, null);

        boolean algebraic = o.order() == EigenOrder.LARGEST_ALGEBRAIC;
        double shift = 0;
        double radius = 0;
        double[] theta = new double[k];
        double[] res = new double[k];
        long hvps = 0;
        int it = 0;
        while (true) {
            op.apply(x, ax, k);
            hvps += k;
            it++;
            // Rayleigh–Ritz: G = Xᵀ A X (k, k) in float64, G = S Θ Sᵀ; Y = X S, AY = AX S.
            DenseMatrix g = new DenseMatrix(k, k);
            for (int i = 0; i < k; i++) {
                for (int j = i; j < k; j++) {
                    double v = be.dot(Vectors.row(x, i, d), Vectors.row(ax, j, d));
                    double u = be.dot(Vectors.row(x, j, d), Vectors.row(ax, i, d));
                    g.set(i, j, 0.5 * (u + v));
                    g.set(j, i, 0.5 * (u + v));
                }
            }
            SymmetricEigen.Result e = SymmetricEigen.decompose(g);
            int[] idx = o.order().order(e.values());
            double[] st = new double[k * k]; // (k, k) = S^T in the chosen order
            for (int j = 0; j < k; j++) {
                theta[j] = e.values()[idx[j]];
                for (int i = 0; i < k; i++) st[j * k + i] = e.vectors().get(i, idx[j]);
            }
            Tensor stT = be.fromDoubles(dt, st);
            be.gemm(false, false, k, d, k, 1.0, stT, k, x, d, 0.0, y, d);   // Y = S^T X
            be.gemm(false, false, k, d, k, 1.0, stT, k, ax, d, 0.0, x, d);  // x ← AY (x is free now)
            boolean ok = true;
            for (int j = 0; j < k; j++) {
                Tensor ayj = Vectors.row(x, j, d);
                double nAy = Vectors.norm(ayj);
                radius = Math.max(radius, nAy);
                be.axpby(-theta[j], Vectors.row(y, j, d), 1.0, ayj);     // A y − θ y
                res[j] = Vectors.norm(ayj);
                if (!(res[j] <= o.tol() * Math.abs(theta[j]) + o.atol())) ok = false;
                be.axpby(theta[j], Vectors.row(y, j, d), 1.0, ayj);      // back to A y
            }
            // Largest algebraic: unshifted power iteration finds the largest |λ|, which may be a negative
            // one (a review saw −30 returned, "converged", from a warm start on the top vector). So
            // whenever a Ritz value is negative and the shift is below 1.1·‖A Y‖, the shift is raised
            // and that iterate is not accepted: with σ above the negative end's modulus, A + σI's
            // dominant eigenvalue is A's largest algebraic one.
            if (algebraic) {
                double least = Double.POSITIVE_INFINITY;
                for (double v : e.values()) least = Math.min(least, v);
                if (least < 0 && shift < 1.1 * radius) {
                    shift = 1.1 * radius;
                    ok = false;
                }
            }
            if (ok || it >= o.maxIter()) {
                return new EigenResult(theta.clone(), y, d, res.clone(), it, 0, hvps, ok, false, "power");
            }
            // Next iterate: orth((A + σI) Y), Y = Ritz vectors (span X), A Y already in x.
            if (shift != 0) for (int j = 0; j < k; j++) be.axpby(shift, Vectors.row(y, j, d), 1.0, Vectors.row(x, j, d));
            for (int j = 0; j < k; j++) Vectors.orthonormalizeRow(x, j, d, rng, null);
        }
    }
}
