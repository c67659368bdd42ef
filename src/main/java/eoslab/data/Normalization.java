package eoslab.data;

import eoslab.util.UserError;

import java.util.Locale;

/**
 * Input normalization. For image data the pixels are always first scaled to x = pixel / 255 in
 * [0, 1]; the constant then says what happens next, with statistics computed on the
 * <b>training</b> split only (per feature j, over its n examples, in float64) and applied
 * unchanged to the test split, so the test set never leaks into the inputs:
 * <ul>
 *   <li>{@link #NONE_0_1}: nothing more (images stay in [0, 1]; synthetic data stays raw);</li>
 *   <li>{@link #CENTER}: x_j ← x_j − μ_j, μ_j = (1/n) Σ_i x_ij (subtract the train mean image);</li>
 *   <li>{@link #STANDARDIZE}: x_j ← (x_j − μ_j) / σ_j, σ_j = sqrt((1/n) Σ_i (x_ij − μ_j)²)
 *       (population std, numpy's {@code std(0)}); a feature with σ_j < 1e-6 (constant on the
 *       train set, e.g. a Fashion-MNIST border pixel) is only centered, not divided.</li>
 * </ul>
 * Cohen et al. (2021, "Gradient descent on neural networks typically occurs at the edge of
 * stability"), whose CIFAR-10 pipeline the Kwag et al. setting adapts, scale by 1/255, center and
 * then standardize per feature, i.e. {@link #STANDARDIZE}. eoslab's default for images is
 * {@link #CENTER}, which keeps pixel-space distances (the prototype taxonomy's centroid distances
 * and the α·(μ₁ − μ₀) displacements) in the units of the [0, 1] pixels.
 */
public enum Normalization {
    NONE_0_1, CENTER, STANDARDIZE;

    /** Constant-feature threshold of {@link #STANDARDIZE}. */
    public static final double MIN_STD = 1e-6;

    /** Accepts {@code none}, {@code 0-1}, {@code none_0_1}, {@code center}, {@code standardize} (any case). */
    public static Normalization parse(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (t) {
            case "none", "0_1", "none_0_1", "raw" -> NONE_0_1;
            case "center", "centre" -> CENTER;
            case "standardize", "standardise", "std" -> STANDARDIZE;
            default -> throw new UserError("--normalization " + s + ": unknown, use one of none, center, standardize");
        };
    }

    /**
     * Fits on {@code train} (n, features) and applies to it and to {@code test} (m, features), in
     * place. Returns {μ (features), σ (features)} as used (σ all 1 unless STANDARDIZE), or null for NONE_0_1.
     */
    public double[][] apply(float[] train, int n, float[] test, int m, int features) {
        if (this == NONE_0_1) return null;
        double[] mu = new double[features], sd = new double[features];
        for (int i = 0; i < n; i++) for (int j = 0; j < features; j++) mu[j] += train[i * features + j];
        for (int j = 0; j < features; j++) mu[j] /= n;
        java.util.Arrays.fill(sd, 1.0);
        if (this == STANDARDIZE) {
            double[] ss = new double[features];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < features; j++) {
                    double d = train[i * features + j] - mu[j];
                    ss[j] += d * d;
                }
            }
            for (int j = 0; j < features; j++) {
                double s = Math.sqrt(ss[j] / n);
                sd[j] = s < MIN_STD ? 1.0 : s;
            }
        }
        transform(train, n, features, mu, sd);
        if (test != null) transform(test, m, features, mu, sd);
        return new double[][]{mu, sd};
    }

    private static void transform(float[] x, int n, int features, double[] mu, double[] sd) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < features; j++) {
                int k = i * features + j;
                x[k] = (float) ((x[k] - mu[j]) / sd[j]);
            }
        }
    }
}
