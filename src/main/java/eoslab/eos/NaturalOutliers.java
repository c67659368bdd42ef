package eoslab.eos;

import eoslab.backend.Backend;
import eoslab.nn.Objective;
import eoslab.tensor.Tensor;

/**
 * Natural outliers (Kwag et al. 2026, §4.3, Fig. 8 and App. E, Fig. 20): does a purely distributional
 * quantity, the centroid distance ‖x_i − μ_{y_i}‖ computed before training, predict which training
 * examples align with the top Hessian eigenvector v_1? At each checkpoint, for every training example,
 * <pre>
 *   cos²θ_i = (∇ℓ_i · v_1)² / (‖∇ℓ_i‖² ‖v_1‖²)        ∇ℓ_i = ∂ℓ_i/∂w, per example, no 1/n
 * </pre>
 * and Spearman's ρ between centroid distance and cos²θ_i over all examples (the paper reports
 * ρ ≈ −0.11 during progressive sharpening and ρ ≈ 0.39 at EoS on CIFAR-10 automobile/truck).
 *
 * <p>Per-example gradients are computed one row at a time through {@link Objective#evaluate} with a
 * one-row batch (the loss of one row, mean over one, is ℓ_i): one forward and one backward pass per
 * example, i.e. the cost of n/chunk full-batch gradients spread over n tiny passes. The dot products
 * stay on the backend, so only two scalars per example travel to the host.
 */
public final class NaturalOutliers {
    private NaturalOutliers() {
    }

    /**
     * Per-example quantities at one set of weights, each (n):
     *
     * @param projection  ∇ℓ_i · v̂_1 with v̂_1 = v_1/‖v_1‖; its square is the curvature influence of §3
     * @param gradNormSq  ‖∇ℓ_i‖²
     * @param cos2        projection² / gradNormSq, in [0, 1]; 0 where ∇ℓ_i = 0 (a zero gradient
     *                    points nowhere, so it has no alignment)
     */
    public record Alignment(double[] projection, double[] gradNormSq, double[] cos2) {
    }

    /** cos²(∇ℓ_i, v_1) for every training example i of {@code f}, (n). */
    public static double[] alignment(Objective f, Tensor w, Tensor v1) {
        return perExample(f, w, v1).cos2();
    }

    /** Projection, squared gradient norm and cos² of every example's gradient on v_1. */
    public static Alignment perExample(Objective f, Tensor w, Tensor v1) {
        long d = f.dim();
        if (v1.size != d) throw new IllegalArgumentException("v_1 has " + v1.size + " entries, the model has " + d + " parameters");
        Backend be = f.backend();
        double vv = be.dot(v1, v1);
        if (!(vv > 0) || !Double.isFinite(vv)) throw new IllegalArgumentException("v_1 must be a finite nonzero vector, got ‖v_1‖² = " + vv);
        double vNorm = Math.sqrt(vv);
        int n = f.n();
        double[] proj = new double[n], norm2 = new double[n], cos2 = new double[n];
        Tensor g = be.zeros(f.dtype(), d);
        int[] row = new int[1];
        for (int i = 0; i < n; i++) {
            row[0] = i;
            f.evaluate(w, row, g, null, 0, null, null); // g = ∇ℓ_i (mean over a batch of one)
            double gv = be.dot(g, v1) / vNorm, gg = be.dot(g, g);
            proj[i] = gv;
            norm2[i] = gg;
            // Cauchy–Schwarz holds exactly only in exact arithmetic: clip rounding above 1
            cos2[i] = gg > 0 ? Math.min(1.0, gv * gv / gg) : 0.0;
        }
        return new Alignment(proj, norm2, cos2);
    }

    /**
     * One checkpoint of Fig. 20: Spearman ρ between centroid distance and cos², with the per-example
     * values for the scatter plot of Fig. 8.
     *
     * @param step     the training step of the checkpoint (carried for the caller's log)
     * @param distance (n) ‖x_i − μ_{y_i}‖ in the order of f's rows, e.g. {@link Centroids#centroidDistances}
     *                 of the training set
     */
    public record Correlation(long step, double spearman, double[] distance, Alignment alignment) {
    }

    /** Alignment of every example at w and its Spearman correlation with the centroid distance. */
    public static Correlation correlate(long step, Objective f, Tensor w, Tensor v1, double[] distance) {
        if (distance.length != f.n()) throw new IllegalArgumentException(distance.length + " centroid distances for " + f.n() + " training examples");
        Alignment a = perExample(f, w, v1);
        return new Correlation(step, Stats.spearman(distance, a.cos2()), distance.clone(), a);
    }
}
