package eoslab.eos;

import eoslab.data.Dataset;
import eoslab.data.SeededRandom;

import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.stream.IntStream;

/**
 * The prototype taxonomy of Kwag et al. (2026), §2.3, built on a binary training set (labels 0/1)
 * as a pure function of (data, options):
 *
 * <ol>
 *   <li>class centroids μ_0, μ_1 (float64) and v_diff = μ_1 − μ_0, unnormalized;</li>
 *   <li>inlier pool: the M = 3m points per class with smallest ‖x_i − μ_c‖ (ties: smaller index);</li>
 *   <li>boundary pool: the m points per class, outside the inlier pool, whose k-NN label composition
 *       (k = 50, Euclidean in input space, the point itself excluded) is closest to uniform:
 *       smallest |frac_1 − ½|, ties by index. The paper samples the boundary group "from the
 *       ambiguity pool" of m per class, i.e. takes all of it;</li>
 *   <li>the inlier pool of each class is shuffled (seeded) and cut into three disjoint thirds:
 *       inliers (unchanged), output-outliers (label 1 − c), input-outliers
 *       (x + α v_diff if c = 1, x − α v_diff if c = 0: pushed away from the other class; not
 *       clipped, so pixel values may leave the valid range, as in the paper);</li>
 *   <li>App. D control ({@link PrototypeOptions#randomDirection()}): each input-outlier is moved the
 *       same distance α‖v_diff‖ along its own random unit direction orthogonal to v_diff.</li>
 * </ol>
 * The result is the original training set with those labels flipped and those inputs replaced (n is
 * unchanged: the prototypes are members of the training set) and the {@link PrototypeSet}.
 *
 * <p>Everything geometric (centroids, distances, k-NN) is computed on the <em>unmodified</em> data,
 * before any point is moved or relabelled. Helpers for the test-side analyses of §5.2 (boundary test
 * points for PGD, input-outliers at α_test for the OOD curve) are at the end.
 */
public final class Prototypes {
    /** Stream of the inlier-pool split, per class c: stream SPLIT_STREAM + c of the seed. */
    static final long SPLIT_STREAM = 0x50524f544f53L;      // "PROTOS"
    /** Stream of the random direction of training row i: stream DIRECTION_STREAM + i of the seed. */
    static final long DIRECTION_STREAM = 0x4449524543540000L; // "DIRECT" << 16

    private Prototypes() {
    }

    /** A built taxonomy: the modified training set, the tracked rows, and the centroids of the unmodified data. */
    public record Built(Dataset train, PrototypeSet set, Centroids centroids) {
    }

    /** Build the taxonomy on {@code data} (binary, labels 0/1). */
    public static Built build(Dataset data, PrototypeOptions o) {
        requireBinary(data);
        int m = o.m(), pool = o.inlierPool();
        int[] count = classCounts(data);
        for (int c = 0; c < 2; c++) {
            if (count[c] < pool + m) {
                throw new IllegalArgumentException(data.name() + ": class " + c + " has " + count[c] + " examples; the taxonomy needs 4m = "
                        + (pool + m) + " (3m inlier candidates + m boundary points, m = " + m + ")");
            }
        }
        if (o.k() > data.n() - 1) throw new IllegalArgumentException(data.name() + ": k = " + o.k() + " neighbours needs more than " + data.n() + " examples");
        Centroids cent = Centroids.of(data);
        double[] dist = cent.distances(data); // (n) ‖x_i − μ_{y_i}‖

        int[][] inlierPool = new int[2][];
        boolean[] inPool = new boolean[data.n()];
        for (int c = 0; c < 2; c++) {
            inlierPool[c] = firstByScore(data.y(), c, dist, pool);
            for (int i : inlierPool[c]) inPool[i] = true;
        }

        double[] ambiguity = boundaryAmbiguity(data, o.k()); // (n) |frac_1 − ½|
        EnumMap<Group, int[]> groups = new EnumMap<>(Group.class);
        int[][] boundary = new int[2][];
        for (int c = 0; c < 2; c++) {
            // outside the inlier pool, so the four groups are disjoint even when a near-centroid point is ambiguous
            double[] score = ambiguity.clone();
            for (int i = 0; i < score.length; i++) if (inPool[i]) score[i] = Double.POSITIVE_INFINITY;
            boundary[c] = firstByScore(data.y(), c, score, m);
            Arrays.sort(boundary[c]);
        }
        groups.put(Group.BOUNDARY, concat(boundary[0], boundary[1]));

        int[][][] thirds = new int[2][][];
        for (int c = 0; c < 2; c++) {
            int[] p = inlierPool[c].clone(); // in (distance, index) order: the shuffle input is deterministic
            new SeededRandom(o.seed(), SPLIT_STREAM + c).shuffle(p);
            thirds[c] = new int[3][];
            for (int t = 0; t < 3; t++) {
                thirds[c][t] = Arrays.copyOfRange(p, t * m, (t + 1) * m);
                Arrays.sort(thirds[c][t]);
            }
        }
        groups.put(Group.INLIER, concat(thirds[0][0], thirds[1][0]));
        groups.put(Group.OUTPUT_OUTLIER, concat(thirds[0][1], thirds[1][1]));
        groups.put(Group.INPUT_OUTLIER, concat(thirds[0][2], thirds[1][2]));

        Dataset train = modify(data, cent, groups, o);
        double vNorm = norm(cent.vDiff());
        PrototypeSet set = new PrototypeSet(o, data.name(), data.n(), data.features(), vNorm, groups, PrototypeSet.fingerprint(train));
        return new Built(train, set, cent);
    }

    /**
     * Re-create the modified training set from the unmodified data and a saved set (the other branch
     * of an experiment, a resumed run). Needs no k-NN. Throws {@link eoslab.util.UserError} if the
     * result's fingerprint differs from the saved one (different data or preprocessing).
     */
    public static Dataset apply(Dataset data, PrototypeSet set) {
        requireBinary(data);
        if (data.n() != set.n() || data.features() != set.features()) {
            throw new eoslab.util.UserError("prototype set of '" + set.dataset() + "' was built for n = " + set.n() + ", features = " + set.features()
                    + "; '" + data.name() + "' has n = " + data.n() + ", features = " + data.features());
        }
        EnumMap<Group, int[]> groups = new EnumMap<>(Group.class);
        for (Group g : Group.values()) groups.put(g, set.indices(g));
        for (Group g : Group.values()) {
            int[] idx = groups.get(g);
            for (int r = 0; r < idx.length; r++) {
                if (data.y()[idx[r]] != set.originalClass(r)) {
                    throw new eoslab.util.UserError("prototype set of '" + set.dataset() + "': row " + idx[r] + " of group " + g.key + " should have class "
                            + set.originalClass(r) + " in '" + data.name() + "' but has " + data.y()[idx[r]]);
                }
            }
        }
        Dataset train = modify(data, Centroids.of(data), groups, set.options());
        set.checkMatches(train);
        return train;
    }

    /** Flip the output-outliers' labels and move the input-outliers; everything else is copied as is. */
    private static Dataset modify(Dataset data, Centroids cent, EnumMap<Group, int[]> groups, PrototypeOptions o) {
        int f = data.features(), m = o.m();
        float[] x = data.x().clone();
        int[] y = data.y().clone();
        int[] out = groups.get(Group.OUTPUT_OUTLIER);
        for (int i : out) y[i] = 1 - y[i];
        double[] v = cent.vDiff();
        int[] in = groups.get(Group.INPUT_OUTLIER);
        for (int r = 0; r < in.length; r++) {
            int i = in[r];
            double[] shift = o.randomDirection()
                    ? scaled(randomOrthogonalUnit(v, new SeededRandom(o.seed(), DIRECTION_STREAM + i)), o.alpha() * norm(v))
                    : scaled(v, (r < m ? -1 : 1) * o.alpha()); // class 0: x − α v_diff; class 1: x + α v_diff
            for (int p = 0; p < f; p++) x[i * f + p] = (float) (x[i * f + p] + shift[p]);
        }
        return new Dataset(data.name() + "+prototypes", x, y, data.n(), f, 2, data.shape().clone(), null);
    }

    /**
     * Per-example k-NN label ambiguity |frac_1 − ½|, (n): frac_1 = fraction of label 1 among the k
     * nearest other training points (Euclidean, input space). 0 = perfectly mixed neighbourhood.
     */
    public static double[] boundaryAmbiguity(Dataset data, int k) {
        int[] nb = Knn.search(data.x(), data.n(), data.x(), data.n(), data.features(), k, true);
        double[] f1 = Knn.labelFraction(nb, k, data.y(), 1);
        for (int i = 0; i < f1.length; i++) f1[i] = Math.abs(f1[i] - 0.5);
        return f1;
    }

    /**
     * A unit vector orthogonal to v, uniformly distributed on that great sphere: a standard Gaussian
     * in R^d with its v-component removed (twice, so the float64 residual along v is ~1e-16), then
     * normalized. Consumes exactly 2d draws of {@code rng}.
     */
    public static double[] randomOrthogonalUnit(double[] v, SeededRandom rng) {
        int d = v.length;
        if (d < 2) throw new IllegalArgumentException("a direction orthogonal to v needs at least 2 features");
        double vn = norm(v);
        if (!(vn > 0)) throw new IllegalArgumentException("v is zero: no orthogonal complement is defined by it");
        double[] g = new double[d];
        for (int p = 0; p < d; p++) g[p] = rng.nextGaussian();
        for (int pass = 0; pass < 2; pass++) {
            double c = dot(g, v) / (vn * vn);
            for (int p = 0; p < d; p++) g[p] -= c * v[p];
        }
        double gn = norm(g);
        for (int p = 0; p < d; p++) g[p] /= gn;
        return g;
    }

    // ---- test-side helpers for the robustness analyses (§5.2) --------------------------------

    /**
     * Boundary test points (§5.2, adversarial robustness: "50 test-set boundary points selected by
     * k-NN ambiguity"): per class, the {@code perClass} test points whose k nearest <em>training</em>
     * points have label composition closest to uniform, ties by index. Pass the unmodified training
     * set, so that flipped labels and displaced inputs do not enter the neighbourhoods.
     *
     * @return (2·perClass) test row indices: class-0 block ascending, then class-1 block ascending
     */
    public static int[] boundaryTestPoints(Dataset train, Dataset test, int perClass, int k) {
        requireBinary(train);
        requireBinary(test);
        if (train.features() != test.features()) throw new IllegalArgumentException("train has " + train.features() + " features, test " + test.features());
        int[] nb = Knn.search(test.x(), test.n(), train.x(), train.n(), train.features(), k, false);
        double[] amb = Knn.labelFraction(nb, k, train.y(), 1);
        for (int i = 0; i < amb.length; i++) amb[i] = Math.abs(amb[i] - 0.5);
        return perClassBest(test, amb, perClass);
    }

    /**
     * Test inliers (the seeds of the OOD input-outliers of §5.2): per class c, the {@code perClass}
     * test points nearest to the <em>training</em> centroid μ_c, ties by index.
     *
     * @return (2·perClass) test row indices: class-0 block ascending, then class-1 block ascending
     */
    public static int[] testInliers(Centroids trainCentroids, Dataset test, int perClass) {
        requireBinary(test);
        return perClassBest(test, trainCentroids.distances(test), perClass);
    }

    /**
     * Input-outliers at α_test (§5.2, out-of-distribution curve): the rows {@code idx} of {@code test},
     * moved to x + α_test v_diff (label 1) or x − α_test v_diff (label 0) with the training v_diff,
     * labels kept, not clipped. Evaluating the loss on this set over a grid of α_test gives the OOD
     * loss-vs-α_test curve; α_test = 0 gives the unmoved points.
     */
    public static Dataset inputOutlierTestSet(Centroids trainCentroids, Dataset test, int[] idx, double alphaTest) {
        requireBinary(test);
        if (!Double.isFinite(alphaTest) || alphaTest < 0) throw new IllegalArgumentException("alpha_test must be finite and >= 0, got " + alphaTest);
        double[] v = trainCentroids.vDiff();
        int f = test.features();
        if (v.length != f) throw new IllegalArgumentException("centroids have " + v.length + " features, test has " + f);
        Dataset s = test.subset(idx, test.name() + String.format("+input-outliers(alpha=%s)", alphaTest));
        float[] x = s.x();
        for (int r = 0; r < s.n(); r++) {
            double sign = s.y()[r] == 1 ? 1 : -1;
            for (int p = 0; p < f; p++) x[r * f + p] = (float) (x[r * f + p] + sign * alphaTest * v[p]);
        }
        return s;
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void requireBinary(Dataset d) {
        if (d.isRegression()) throw new IllegalArgumentException(d.name() + ": the prototype taxonomy needs a classification set, not regression targets");
        if (d.classes() != 2) throw new IllegalArgumentException(d.name() + ": the prototype taxonomy needs a binary task (labels 0/1), got " + d.classes() + " classes; select a class pair");
    }

    private static int[] classCounts(Dataset d) {
        int[] c = new int[2];
        for (int yi : d.y()) c[yi]++;
        return c;
    }

    /** The {@code count} examples of class c with the smallest score, in (score, index) order. */
    static int[] firstByScore(int[] y, int c, double[] score, int count) {
        int[] members = IntStream.range(0, y.length).filter(i -> y[i] == c).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> score[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
        if (members.length < count) throw new IllegalArgumentException("class " + c + " has " + members.length + " examples, " + count + " needed");
        return Arrays.copyOf(members, count);
    }

    private static int[] perClassBest(Dataset d, double[] score, int perClass) {
        if (perClass < 1) throw new IllegalArgumentException("points per class must be >= 1, got " + perClass);
        int[] a = firstByScore(d.y(), 0, score, perClass), b = firstByScore(d.y(), 1, score, perClass);
        Arrays.sort(a);
        Arrays.sort(b);
        return concat(a, b);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static double[] scaled(double[] v, double s) {
        double[] r = new double[v.length];
        for (int p = 0; p < v.length; p++) r[p] = s * v[p];
        return r;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int p = 0; p < a.length; p++) s += a[p] * b[p];
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }
}
