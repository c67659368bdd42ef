package eoslab.data;

import java.util.Arrays;

/**
 * An in-memory labelled data set: {@code x} (n, features) row-major float32, {@code y} (n) class
 * labels in [0, classes). {@code shape} is the per-example (C, H, W) layout for images, or
 * {@code {features}} for flat data. Regression targets, when present, are {@code targets}
 * (n, outputs); otherwise MSE uses one-hot targets built from {@code y}.
 */
public record Dataset(String name, float[] x, int[] y, int n, int features, int classes, int[] shape, float[] targets) {

    public Dataset {
        if (n <= 0) throw new IllegalArgumentException(name + ": data set is empty");
        if (x.length != (long) n * features) throw new IllegalArgumentException(name + ": x holds " + x.length + " values, expected n*features = " + (long) n * features);
        if (y.length != n) throw new IllegalArgumentException(name + ": " + y.length + " labels for " + n + " examples");
        if (classes < 1) throw new IllegalArgumentException(name + ": classes must be >= 1");
        for (int i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] >= classes) throw new IllegalArgumentException(name + ": label " + y[i] + " of example " + i + " is outside [0, " + classes + ")");
        }
        if (shape == null) shape = new int[]{features};
        long prod = 1;
        for (int s : shape) prod *= s;
        if (prod != features) throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " does not multiply to " + features);
        if (targets != null && targets.length % n != 0) throw new IllegalArgumentException(name + ": targets length " + targets.length + " is not a multiple of n = " + n);
    }

    public Dataset(String name, float[] x, int[] y, int n, int features, int classes) {
        this(name, x, y, n, features, classes, null, null);
    }

    /** Width of the network output this data needs: the number of classes, or the regression width. */
    public int outputs() {
        return targets != null ? targets.length / n : classes;
    }

    public boolean isRegression() {
        return targets != null;
    }

    /** The examples at {@code idx}, in that order. */
    public Dataset subset(int[] idx, String newName) {
        int m = idx.length, o = outputs();
        float[] xs = new float[m * features];
        int[] ys = new int[m];
        float[] ts = targets == null ? null : new float[m * o];
        for (int r = 0; r < m; r++) {
            int i = idx[r];
            System.arraycopy(x, i * features, xs, r * features, features);
            ys[r] = y[i];
            if (ts != null) System.arraycopy(targets, i * o, ts, r * o, o);
        }
        return new Dataset(newName, xs, ys, m, features, classes, shape.clone(), ts);
    }

    /** One-hot targets (n, classes) built from {@code y}: the MSE target of a classification set. */
    public float[] oneHot() {
        return Datasets.oneHot(y, classes);
    }

    /** The MSE target (n, outputs): {@code targets} for regression, else {@link #oneHot()}. */
    public float[] mseTargets() {
        return targets != null ? targets : oneHot();
    }
}
