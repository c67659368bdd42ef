package eoslab.eos;

/**
 * How the prototype taxonomy is built (Kwag et al. 2026, §2.3, §4.1, App. D).
 *
 * @param m               tracked points per class per group (paper: 25, so 4 groups × 2 classes × 25 = 200);
 *                        the inlier candidate pool is M = 3m per class
 * @param k               neighbours in the k-NN label composition of the boundary group (paper: 50)
 * @param alpha           input-outlier displacement x ± α·v_diff, v_diff = μ_1 − μ_0 unnormalized
 *                        (paper: 3; 10 in the class-pair ablation, §5.1)
 * @param randomDirection App. D control: displace by the same distance α‖v_diff‖ along a random unit
 *                        direction orthogonal to v_diff, one per point, instead of along ±v_diff
 * @param seed            seed of the split of the inlier pool and of the random directions
 */
public record PrototypeOptions(int m, int k, double alpha, boolean randomDirection, long seed) {

    public PrototypeOptions {
        if (m < 1) throw new IllegalArgumentException("prototypes: m (points per class per group) must be >= 1, got " + m);
        if (k < 1) throw new IllegalArgumentException("prototypes: k (k-NN neighbours) must be >= 1, got " + k);
        if (!(alpha > 0) || Double.isInfinite(alpha)) throw new IllegalArgumentException("prototypes: alpha (input-outlier displacement) must be finite and > 0, got " + alpha);
    }

    /** The paper's setting: m = 25, k = 50, α = 3, displacement along v_diff. */
    public static PrototypeOptions defaults(long seed) {
        return new PrototypeOptions(25, 50, 3.0, false, seed);
    }

    public PrototypeOptions withM(int m) {
        return new PrototypeOptions(m, k, alpha, randomDirection, seed);
    }

    public PrototypeOptions withK(int k) {
        return new PrototypeOptions(m, k, alpha, randomDirection, seed);
    }

    public PrototypeOptions withAlpha(double alpha) {
        return new PrototypeOptions(m, k, alpha, randomDirection, seed);
    }

    public PrototypeOptions withRandomDirection(boolean randomDirection) {
        return new PrototypeOptions(m, k, alpha, randomDirection, seed);
    }

    public PrototypeOptions withSeed(long seed) {
        return new PrototypeOptions(m, k, alpha, randomDirection, seed);
    }

    /** Size of the inlier candidate pool per class, M = 3m (§2.3): split into inliers, output- and input-outliers. */
    public int inlierPool() {
        return 3 * m;
    }
}
