package eoslab.eos;

import eoslab.data.Dataset;

/**
 * Class centroids μ_c in input space, float64 (Kwag et al. 2026, §2.3): the geometry the prototype
 * taxonomy and the natural-outlier analysis (§4.3) are defined by, computed before any training.
 *
 * @param mu (classes, features) row-major
 */
public record Centroids(int classes, int features, double[] mu) {

    public Centroids {
        if (classes < 1 || features < 1) throw new IllegalArgumentException("centroids: classes and features must be positive");
        if (mu.length != (long) classes * features) throw new IllegalArgumentException("centroids: mu holds " + mu.length + " values, expected classes*features = " + (long) classes * features);
    }

    /** μ_c = mean of the x_i with y_i = c, summed in float64. Every class must have an example. */
    public static Centroids of(Dataset d) {
        int f = d.features(), c = d.classes();
        double[] mu = new double[c * f];
        int[] count = new int[c];
        float[] x = d.x();
        for (int i = 0; i < d.n(); i++) {
            int yi = d.y()[i], o = yi * f, xo = i * f;
            count[yi]++;
            for (int p = 0; p < f; p++) mu[o + p] += x[xo + p];
        }
        for (int k = 0; k < c; k++) {
            if (count[k] == 0) throw new IllegalArgumentException(d.name() + ": class " + k + " has no examples, so it has no centroid");
            for (int p = 0; p < f; p++) mu[k * f + p] /= count[k];
        }
        return new Centroids(c, f, mu);
    }

    /** μ_c as a fresh array, (features). */
    public double[] centroid(int c) {
        double[] m = new double[features];
        System.arraycopy(mu, c * features, m, 0, features);
        return m;
    }

    /** v_diff = μ_1 − μ_0, unnormalized (§2.3: the input-outlier displacement direction), (features). */
    public double[] vDiff() {
        if (classes != 2) throw new IllegalArgumentException("v_diff = mu_1 - mu_0 needs a binary task, got " + classes + " classes");
        double[] v = new double[features];
        for (int p = 0; p < features; p++) v[p] = mu[features + p] - mu[p];
        return v;
    }

    /** ‖x_i − μ_c‖ for row i of {@code x} (features-wide rows), float64. */
    public double distance(float[] x, int i, int c) {
        double s = 0;
        int o = i * features, m = c * features;
        for (int p = 0; p < features; p++) {
            double t = x[o + p] - mu[m + p];
            s += t * t;
        }
        return Math.sqrt(s);
    }

    /**
     * Per-example centroid distance ‖x_i − μ_{y_i}‖, (n): the "natural outlier" score of §4.3.
     * Pass the centroids of the set the distances are meant against (usually {@code of(d)}).
     */
    public double[] distances(Dataset d) {
        if (d.features() != features) throw new IllegalArgumentException(d.name() + ": " + d.features() + " features, centroids have " + features);
        double[] r = new double[d.n()];
        for (int i = 0; i < d.n(); i++) {
            int yi = d.y()[i];
            if (yi >= classes) throw new IllegalArgumentException(d.name() + ": label " + yi + " of example " + i + " has no centroid");
            r[i] = distance(d.x(), i, yi);
        }
        return r;
    }

    /** ‖x_i − μ_{y_i}‖ with the centroids of {@code d} itself: §4.3's per-example score. */
    public static double[] centroidDistances(Dataset d) {
        return of(d).distances(d);
    }
}
