package eoslab.data;

import eoslab.util.UserError;

/**
 * Synthetic data, each a pure function of (spec, n, seed). Random streams of {@code seed}:
 * stream 0 = the fixed parts (cluster centers, teacher weights), stream 1 = the training
 * examples, stream 2 = the test examples, so train and test share centers/teacher but never
 * share examples, and changing n_train does not change the test set.
 */
public final class Synthetic {
    public static final long STREAM_FIXED = 0, STREAM_TRAIN = 1, STREAM_TEST = 2;

    private Synthetic() {
    }

    // ---------------------------------------------------------------- Gaussian clusters

    /**
     * k Gaussian clusters in R^dim. Centers μ_c = (separation/√2)·u_c with u_1..u_k orthonormal
     * (Gram–Schmidt of Gaussian vectors), so every pair of centers is exactly {@code separation}
     * apart and ‖μ_c‖ = separation/√2; needs k ≤ dim. Example: x = μ_y + noise·z, z ~ N(0, I).
     * With noise σ, the Bayes error of a pair is Φ(−separation/(2σ)).
     */
    public record GaussianSpec(int k, int dim, double separation, double noise) {
        public GaussianSpec {
            if (k < 2) throw new UserError("gaussian: k = " + k + " classes, need at least 2");
            if (dim < 1) throw new UserError("gaussian: dim = " + dim + ", need at least 1");
            if (k > dim) throw new UserError("gaussian: k = " + k + " orthogonal centers need dim >= k, got dim = " + dim + "; raise dim");
            if (!(separation >= 0) || Double.isInfinite(separation)) throw new UserError("gaussian: sep = " + separation + ", need a finite value >= 0");
            if (!(noise >= 0) || Double.isInfinite(noise)) throw new UserError("gaussian: noise = " + noise + ", need a finite value >= 0");
        }
    }

    /** The centers (k, dim) for {@code seed}. */
    public static double[] gaussianCenters(GaussianSpec s, long seed) {
        SeededRandom r = new SeededRandom(seed, STREAM_FIXED);
        int k = s.k(), d = s.dim();
        double[] u = new double[k * d]; // (k, dim)
        for (int i = 0; i < k * d; i++) u[i] = r.nextGaussian();
        for (int c = 0; c < k; c++) {
            for (int pass = 0; pass < 2; pass++) { // Gram–Schmidt twice: orthogonal to rounding
                for (int p = 0; p < c; p++) {
                    double dot = 0;
                    for (int j = 0; j < d; j++) dot += u[c * d + j] * u[p * d + j];
                    for (int j = 0; j < d; j++) u[c * d + j] -= dot * u[p * d + j];
                }
            }
            double norm = 0;
            for (int j = 0; j < d; j++) norm += u[c * d + j] * u[c * d + j];
            double inv = 1.0 / Math.sqrt(norm); // unit rows: the projections above assume it
            for (int j = 0; j < d; j++) u[c * d + j] *= inv;
        }
        double scale = s.separation() / Math.sqrt(2.0);
        for (int i = 0; i < k * d; i++) u[i] *= scale;
        return u;
    }

    /** n examples, labels exactly balanced (i mod k, then shuffled), from stream {@code stream}. */
    public static Dataset gaussian(GaussianSpec s, int n, long seed, long stream, String name) {
        if (n < 1) throw new UserError("gaussian: n = " + n + ", need at least 1 example");
        double[] mu = gaussianCenters(s, seed);
        SeededRandom r = new SeededRandom(seed, stream);
        int d = s.dim();
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % s.k();
        r.shuffle(y);
        float[] x = new float[n * d]; // (n, dim)
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) x[i * d + j] = (float) (mu[y[i] * d + j] + s.noise() * r.nextGaussian());
        }
        return new Dataset(name, x, y, n, d, s.k());
    }

    // ---------------------------------------------------------------- teacher–student regression

    /**
     * Regression on x ~ N(0, I_dim) with targets t = f*(x) + noise·ε, ε ~ N(0, I_outputs).
     * hidden = 0: linear teacher f*(x) = W x, W (outputs, dim) with entries N(0, 1/dim).
     * hidden > 0: f*(x) = W2 tanh(W1 x), W1 (hidden, dim) entries N(0, 1/dim), W2 (outputs, hidden)
     * entries N(0, 1/hidden). Both scalings keep each teacher output O(1) whatever the widths.
     */
    public record TeacherSpec(int dim, int outputs, int hidden, double noise) {
        public TeacherSpec {
            if (dim < 1) throw new UserError("teacher: dim = " + dim + ", need at least 1");
            if (outputs < 1) throw new UserError("teacher: out = " + outputs + ", need at least 1");
            if (hidden < 0) throw new UserError("teacher: hidden = " + hidden + ", need 0 (linear teacher) or a positive width");
            if (!(noise >= 0) || Double.isInfinite(noise)) throw new UserError("teacher: noise = " + noise + ", need a finite value >= 0");
        }
    }

    /** Teacher weights: {@code w1} (hidden, dim) and {@code w2} (outputs, hidden), or {@code w1} (outputs, dim) and w2 = null if linear. */
    public record Teacher(TeacherSpec spec, double[] w1, double[] w2) {
        /** f*(x) for x (n, dim) → (n, outputs), in float64. */
        public double[] apply(float[] x, int n) {
            int d = spec.dim(), o = spec.outputs(), h = spec.hidden();
            double[] out = new double[n * o];
            double[] a = new double[Math.max(h, 1)];
            for (int i = 0; i < n; i++) {
                if (h == 0) {
                    for (int q = 0; q < o; q++) {
                        double s = 0;
                        for (int j = 0; j < d; j++) s += w1[q * d + j] * x[i * d + j];
                        out[i * o + q] = s;
                    }
                } else {
                    for (int u = 0; u < h; u++) {
                        double s = 0;
                        for (int j = 0; j < d; j++) s += w1[u * d + j] * x[i * d + j];
                        a[u] = Math.tanh(s);
                    }
                    for (int q = 0; q < o; q++) {
                        double s = 0;
                        for (int u = 0; u < h; u++) s += w2[q * h + u] * a[u];
                        out[i * o + q] = s;
                    }
                }
            }
            return out;
        }
    }

    public static Teacher teacher(TeacherSpec s, long seed) {
        SeededRandom r = new SeededRandom(seed, STREAM_FIXED);
        int d = s.dim(), o = s.outputs(), h = s.hidden();
        int rows = h == 0 ? o : h;
        double[] w1 = new double[rows * d];
        for (int i = 0; i < w1.length; i++) w1[i] = r.nextGaussian() / Math.sqrt(d);
        double[] w2 = null;
        if (h > 0) {
            w2 = new double[o * h];
            for (int i = 0; i < w2.length; i++) w2[i] = r.nextGaussian() / Math.sqrt(h);
        }
        return new Teacher(s, w1, w2);
    }

    /** n examples from stream {@code stream}; labels are all 0 with classes = 1 (regression). */
    public static Dataset teacherData(TeacherSpec s, int n, long seed, long stream, String name) {
        if (n < 1) throw new UserError("teacher: n = " + n + ", need at least 1 example");
        Teacher t = teacher(s, seed);
        SeededRandom r = new SeededRandom(seed, stream);
        int d = s.dim(), o = s.outputs();
        float[] x = new float[n * d]; // (n, dim)
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        double[] f = t.apply(x, n);
        float[] targets = new float[n * o]; // (n, outputs)
        for (int i = 0; i < targets.length; i++) targets[i] = (float) (f[i] + s.noise() * r.nextGaussian());
        return new Dataset(name, x, new int[n], n, d, 1, null, targets);
    }
}
