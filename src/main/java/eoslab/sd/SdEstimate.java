package eoslab.sd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sharpness-dimension estimate (SPEC §3).
 *
 * @param options    the estimator settings
 * @param jacobian   the update map whose singular values were used (η, β, weight decay)
 * @param dim        d, the number of parameters
 * @param stateDim   N, the dimension SD lives in: d (SGD) or 2d (heavy ball); SD ∈ [0, N]
 * @param lambda     EXACT: λ_1 ≥ … ≥ λ_N, the minibatch-averaged sorted log singular values; else null
 * @param z          the log-singular-value atoms given to {@link SharpnessDimension#ofAtoms}, descending
 * @param mass       their masses (all 1 for EXACT; total N for every method)
 * @param alpha      the pooled curvature measure ν: Hessian eigenvalues (EXACT) or Ritz nodes (SLQ/KDE/PS)
 * @param alphaMass  ν's masses, total d (EXACT: 1/M per eigenvalue per batch; SLQ: (d/R)·w_il)
 * @param jStar      j*, as a mass (an integer for EXACT)
 * @param prefixSum  Σ_{i≤j*} λ_i (mass-weighted for the measure methods)
 * @param sd         the sharpness dimension
 * @param bandwidth  the KDE bandwidth actually used (NaN for other methods)
 * @param hvps       Hessian-vector products used
 * @param seconds    wall time
 */
public record SdEstimate(SdOptions options, UpdateJacobian jacobian, long dim, long stateDim, double[] lambda,
                         double[] z, double[] mass, double[] alpha, double[] alphaMass,
                         double jStar, double prefixSum, double sd, double bandwidth, long hvps, double seconds) {

    /** Total mass of the z measure (N up to rounding). */
    public double totalMass() {
        double s = 0;
        for (double m : mass) s += m;
        return s;
    }

    /** Summary for JSON: SD, j*, the top {@code top} exponents or atoms, the settings and the cost. */
    public Map<String, Object> toMap(int top) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", options.method().label());
        m.put("sd", sd);
        m.put("j_star", jStar);
        m.put("prefix_sum", prefixSum);
        m.put("dim", dim);
        m.put("state_dim", stateDim);
        m.put("sd_over_dim", sd / stateDim);
        if (lambda != null) {
            m.put("lambda_top", head(lambda, top));
            m.put("lambda_min", lambda[lambda.length - 1]);
            m.put("lambda_sum", sum(lambda));
        } else {
            m.put("z_top", head(z, top));
            m.put("mass_top", head(mass, top));
            m.put("atoms", z.length);
            m.put("total_mass", totalMass());
        }
        if (!Double.isNaN(bandwidth)) m.put("bandwidth_used", bandwidth);
        m.put("settings", options.toMap());
        m.put("update_map", jacobian.toMap());
        m.put("hvps", hvps);
        m.put("seconds", seconds);
        return m;
    }

    private static List<Double> head(double[] a, int k) {
        List<Double> l = new ArrayList<>();
        for (int i = 0; i < Math.min(k, a.length); i++) l.add(a[i]);
        return l;
    }

    private static double sum(double[] a) {
        double s = 0;
        for (double x : a) s += x;
        return s;
    }
}
