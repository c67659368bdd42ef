package eoslab.curvature;

import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Hutchinson's trace estimator (Hutchinson 1990; Avron &amp; Toledo 2011): tr A = E[zᵀ A z] for
 * Rademacher z (i.i.d. ±1), whose variance 2 Σ_{i≠j} A_ij² is the smallest among i.i.d. probes.
 * The estimate is the mean of R samples and its standard error the sample standard deviation over
 * √R. Probes are applied {@code batch} at a time, so one Hessian call (one primal pass) serves
 * {@code batch} probes. Memory: 2·batch vectors of length d on the backend.
 */
public final class Hutchinson {
    private Hutchinson() {
    }

    /**
     * @param trace    mean of the samples zᵀ A z
     * @param stdError sample standard deviation / √probes
     * @param samples  each probe's zᵀ A z
     * @param hvps     operator-vector products used (= probes)
     */
    public record Estimate(double trace, double stdError, double[] samples, long hvps) {
    }

    /**
     * @param probes R ≥ 2 Rademacher probes
     * @param batch  probes per operator call (≥ 1)
     */
    public static Estimate trace(LinearOperator op, int probes, int batch, long seed) {
        int d = Vectors.dim(op);
        if (probes < 2) throw new IllegalArgumentException("hutchinson: probes must be >= 2 for a standard error, got " + probes);
        if (batch < 1) throw new IllegalArgumentException("hutchinson: batch must be >= 1, got " + batch);
        Backend be = op.backend();
        int g = Math.min(batch, probes);
        Tensor z = be.zeros(op.dtype(), (long) g * d);   // (g, d) probes
        Tensor az = be.zeros(op.dtype(), (long) g * d);  // (g, d) A z
        SplittableRandom rng = new SplittableRandom(seed);
        double[] samples = new double[probes];
        for (int lo = 0; lo < probes; lo += g) {
            int cnt = Math.min(g, probes - lo);
            Tensor zs = z.view(0, (long) cnt * d);
            Vectors.rademacher(zs, rng);
            op.apply(zs, az.view(0, (long) cnt * d), cnt);
            for (int j = 0; j < cnt; j++) samples[lo + j] = be.dot(Vectors.row(z, j, d), Vectors.row(az, j, d));
        }
        double mean = 0;
        for (double s : samples) mean += s;
        mean /= probes;
        double var = 0;
        for (double s : samples) var += (s - mean) * (s - mean);
        var /= probes - 1;
        return new Estimate(mean, Math.sqrt(var / probes), samples, probes);
    }
}
