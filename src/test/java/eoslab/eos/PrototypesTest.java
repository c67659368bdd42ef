package eoslab.eos;

import eoslab.data.Dataset;
import eoslab.data.SeededRandom;
import eoslab.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The prototype taxonomy (Kwag et al. 2026, §2.3, App. D) on two overlapping Gaussian classes,
 * each property checked against a naive float64 reference written here.
 */
class PrototypesTest {
    static final int N = 300, D = 20, M = 8, K = 15;

    /** Two Gaussian classes, means ±0.6 on the first 3 coordinates, σ = 1, labels interleaved at random. */
    static Dataset twoClasses(long seed) {
        SeededRandom r = new SeededRandom(seed);
        int[] y = new int[N];
        for (int i = 0; i < N; i++) y[i] = i % 2;
        r.shuffle(y);
        float[] x = new float[N * D];
        for (int i = 0; i < N; i++) {
            for (int p = 0; p < D; p++) x[i * D + p] = (float) (r.nextGaussian() + (p < 3 ? (y[i] == 1 ? 0.6 : -0.6) : 0.0) + 0.25);
        }
        return new Dataset("two-gaussians", x, y, N, D, 2);
    }

    static PrototypeOptions opts(long seed) {
        return new PrototypeOptions(M, K, 3.0, false, seed);
    }

    /** Naive float64 centroid of class c. */
    static double[] mean(Dataset d, int c) {
        double[] mu = new double[d.features()];
        int cnt = 0;
        for (int i = 0; i < d.n(); i++) {
            if (d.y()[i] != c) continue;
            cnt++;
            for (int p = 0; p < d.features(); p++) mu[p] += d.x()[i * d.features() + p];
        }
        for (int p = 0; p < mu.length; p++) mu[p] /= cnt;
        return mu;
    }

    static double dist(float[] x, int i, int f, double[] mu) {
        double s = 0;
        for (int p = 0; p < f; p++) s += Math.pow(x[i * f + p] - mu[p], 2);
        return Math.sqrt(s);
    }

    static int[] sortedUnion(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).sorted().toArray();
    }

    @Test
    void groupSizesClassesAndDisjointness() {
        Dataset data = twoClasses(1);
        PrototypeSet s = Prototypes.build(data, opts(7)).set();
        Set<Integer> seen = new HashSet<>();
        for (Group g : Group.values()) {
            int[] idx = s.indices(g);
            assertEquals(2 * M, idx.length, g.key);
            for (int r = 0; r < idx.length; r++) {
                assertEquals(s.originalClass(r), data.y()[idx[r]], g.key + " position " + r + ": class block layout");
                assertTrue(seen.add(idx[r]), "row " + idx[r] + " is in two groups");
            }
        }
        assertEquals(8 * M, seen.size());
        assertEquals(8 * M, s.tracked().length);
        Group[] of = s.groupOfRow();
        for (Group g : Group.values()) for (int i : s.indices(g)) assertEquals(g, of[i]);
        assertEquals(N - 8 * M, Arrays.stream(of).filter(g -> g == null).count());
        // group mean of the row index itself = mean of the group's indices
        double[] rowId = IntStream.range(0, N).asDoubleStream().toArray();
        for (Group g : Group.values()) assertEquals(Arrays.stream(s.indices(g)).average().orElseThrow(), s.groupMean(g, rowId), 1e-12);
        s.indices().get(Group.INLIER)[0] = -1; // a copy: the set stays intact
        assertTrue(s.indices(Group.INLIER)[0] >= 0);
    }

    @Test
    void onlyOutputOutlierLabelsFlipAndOnlyInputOutliersMove() {
        Dataset data = twoClasses(2);
        var b = Prototypes.build(data, opts(3));
        Dataset t = b.train();
        assertEquals(N, t.n(), "n is kept: prototypes are members of the training set");
        Set<Integer> out = new HashSet<>(), in = new HashSet<>();
        for (int i : b.set().indices(Group.OUTPUT_OUTLIER)) out.add(i);
        for (int i : b.set().indices(Group.INPUT_OUTLIER)) in.add(i);
        for (int i = 0; i < N; i++) {
            assertEquals(out.contains(i) ? 1 - data.y()[i] : data.y()[i], t.y()[i], "label of row " + i);
            if (!in.contains(i)) {
                for (int p = 0; p < D; p++) assertEquals(Float.floatToRawIntBits(data.x()[i * D + p]), Float.floatToRawIntBits(t.x()[i * D + p]), "row " + i + " must be untouched");
            }
        }
    }

    /**
     * x' − x = ±α v_diff with v_diff = μ_1 − μ_0 of the unmodified data. x' is rounded to float32
     * once, so per coordinate |(x'−x) − (±α v)| ≤ 2^-24·|x'| + 2^-24·|x| (both stored values) + 1e-12.
     */
    @Test
    void inputOutlierDisplacementIsPlusMinusAlphaVdiff() {
        Dataset data = twoClasses(3);
        double alpha = 3.0;
        var b = Prototypes.build(data, opts(5));
        double[] mu0 = mean(data, 0), mu1 = mean(data, 1);
        int[] idx = b.set().indices(Group.INPUT_OUTLIER);
        for (int r = 0; r < idx.length; r++) {
            int i = idx[r];
            double sign = data.y()[i] == 1 ? 1 : -1;
            assertEquals(b.set().originalClass(r) == 1 ? 1 : -1, sign);
            for (int p = 0; p < D; p++) {
                double xo = data.x()[i * D + p], xn = b.train().x()[i * D + p];
                double want = sign * alpha * (mu1[p] - mu0[p]);
                double tol = 1e-12 + 0x1p-24 * (Math.abs(xn) + Math.abs(xo));
                assertEquals(want, xn - xo, tol, "row " + i + " feature " + p);
            }
        }
        double vn = 0;
        for (int p = 0; p < D; p++) vn += Math.pow(mu1[p] - mu0[p], 2);
        assertEquals(Math.sqrt(vn), b.set().vDiffNorm(), 1e-12 * Math.sqrt(vn));
    }

    /**
     * App. D control: the same rows, labels and distance α‖v_diff‖, each along its own direction
     * ⟂ v_diff. On the stored float32 data the displacement carries rounding ≤ 2^-24·(|x|+|x'|) per
     * coordinate, which bounds |cos| by 2^-24·(‖x‖+‖x'‖)/‖Δ‖ (~1e-7 here); the brief's 1e-6 holds.
     * The float64 directions themselves are orthogonal to 1e-12.
     */
    @Test
    void randomDirectionMatchesDistanceAndIsOrthogonal() {
        Dataset data = twoClasses(4);
        var coh = Prototypes.build(data, opts(9));
        var rnd = Prototypes.build(data, opts(9).withRandomDirection(true));
        for (Group g : Group.values()) assertArrayEquals(coh.set().indices(g), rnd.set().indices(g), "same rows in both conditions");
        assertArrayEquals(coh.train().y(), rnd.train().y(), "same labels");
        double[] v = coh.centroids().vDiff();
        double vn = Prototypes.norm(v), shift = 3.0 * vn;
        int[] idx = rnd.set().indices(Group.INPUT_OUTLIER);
        double[][] dirs = new double[idx.length][D];
        for (int r = 0; r < idx.length; r++) {
            int i = idx[r];
            double dd = 0, dv = 0, coh2 = 0, xn = 0, xo = 0;
            for (int p = 0; p < D; p++) {
                double delta = (double) rnd.train().x()[i * D + p] - data.x()[i * D + p];
                double deltaCoh = (double) coh.train().x()[i * D + p] - data.x()[i * D + p];
                dirs[r][p] = delta;
                dd += delta * delta;
                dv += delta * v[p];
                coh2 += deltaCoh * deltaCoh;
                xn += Math.pow(rnd.train().x()[i * D + p], 2);
                xo += Math.pow(data.x()[i * D + p], 2);
            }
            double bound = 0x1p-24 * (Math.sqrt(xn) + Math.sqrt(xo));
            assertEquals(shift, Math.sqrt(dd), 1e-12 + bound, "row " + i + ": distance α‖v_diff‖");
            assertEquals(Math.sqrt(coh2), Math.sqrt(dd), 1e-12 + 2 * bound, "row " + i + ": same distance as the coherent outlier");
            double cos = dv / (Math.sqrt(dd) * vn);
            assertTrue(Math.abs(cos) < 1e-6, "row " + i + ": |cos(Δ, v_diff)| = " + cos);
            assertTrue(Math.abs(cos) <= 1e-12 + bound / Math.sqrt(dd), "row " + i + ": |cos| = " + cos + " above the rounding bound");
        }
        // incoherent: directions of different points are not aligned (|cos| of independent random
        // unit vectors in the 19-dim complement is < 0.95 with overwhelming probability)
        for (int a = 0; a < idx.length; a++) {
            for (int c = 0; c < a; c++) {
                double ab = 0, aa = 0, cc = 0;
                for (int p = 0; p < D; p++) {
                    ab += dirs[a][p] * dirs[c][p];
                    aa += dirs[a][p] * dirs[a][p];
                    cc += dirs[c][p] * dirs[c][p];
                }
                assertTrue(Math.abs(ab / Math.sqrt(aa * cc)) < 0.95, "directions " + a + ", " + c + " nearly parallel");
            }
        }
        SeededRandom rng = new SeededRandom(11);
        double[] u = Prototypes.randomOrthogonalUnit(v, rng);
        assertEquals(1.0, Prototypes.norm(u), 1e-14);
        assertTrue(Math.abs(Prototypes.dot(u, v) / vn) < 1e-14);
    }

    /** The union of inliers, output- and input-outliers is the 3m nearest to μ_c, by brute-force sort. */
    @Test
    void inlierPoolIsNearestToCentroid() {
        Dataset data = twoClasses(5);
        PrototypeSet s = Prototypes.build(data, opts(1)).set();
        int[] inl = s.indices(Group.INLIER), out = s.indices(Group.OUTPUT_OUTLIER), in = s.indices(Group.INPUT_OUTLIER);
        for (int c = 0; c < 2; c++) {
            double[] mu = mean(data, c);
            final int cc = c;
            int[] want = IntStream.range(0, N).filter(i -> data.y()[i] == cc).boxed()
                    .sorted(Comparator.comparingDouble(i -> dist(data.x(), i, D, mu)))
                    .limit(3 * M).mapToInt(Integer::intValue).sorted().toArray();
            int o = c * M;
            int[] got = sortedUnion(Arrays.copyOfRange(inl, o, o + M), Arrays.copyOfRange(out, o, o + M), Arrays.copyOfRange(in, o, o + M));
            assertArrayEquals(want, got, "class " + c + " inlier pool");
        }
    }

    /** Boundary group against a naive k-NN label composition and a naive selection. */
    @Test
    void boundaryMatchesNaiveKnnComposition() {
        Dataset data = twoClasses(6);
        PrototypeSet s = Prototypes.build(data, opts(2)).set();
        int[] nb = KnnTest.naive(data.x(), N, data.x(), N, D, K, true);
        double[] amb = new double[N];
        for (int i = 0; i < N; i++) {
            int ones = 0;
            for (int r = 0; r < K; r++) ones += data.y()[nb[i * K + r]];
            amb[i] = Math.abs((double) ones / K - 0.5);
        }
        assertArrayEquals(amb, Prototypes.boundaryAmbiguity(data, K), 0.0, "same neighbours -> identical fractions");
        Set<Integer> pool = new HashSet<>();
        for (Group g : new Group[]{Group.INLIER, Group.INPUT_OUTLIER, Group.OUTPUT_OUTLIER}) for (int i : s.indices(g)) pool.add(i);
        int[] bnd = s.indices(Group.BOUNDARY);
        for (int c = 0; c < 2; c++) {
            final int cc = c;
            int[] want = IntStream.range(0, N).filter(i -> data.y()[i] == cc && !pool.contains(i)).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> amb[i]).thenComparingInt(i -> i))
                    .limit(M).mapToInt(Integer::intValue).sorted().toArray();
            assertArrayEquals(want, Arrays.copyOfRange(bnd, c * M, c * M + M), "class " + c + " boundary points");
            // they really are ambiguous: every selected point is at most as ambiguous-far as any unselected one
            double worst = Arrays.stream(want).mapToDouble(i -> amb[i]).max().orElseThrow();
            for (int i = 0; i < N; i++) if (data.y()[i] == c && !pool.contains(i) && Arrays.binarySearch(want, i) < 0) assertTrue(amb[i] >= worst);
        }
    }

    @Test
    void deterministicBySeed() {
        Dataset data = twoClasses(7);
        Prototypes.Built a = Prototypes.build(data, opts(42)), b = Prototypes.build(data, opts(42)), c = Prototypes.build(data, opts(43));
        assertEquals(a.set(), b.set());
        assertArrayEquals(a.train().x(), b.train().x());
        assertArrayEquals(a.train().y(), b.train().y());
        assertNotEquals(a.set(), c.set(), "another seed splits the pool differently");
        assertArrayEquals(a.set().indices(Group.BOUNDARY), c.set().indices(Group.BOUNDARY), "the boundary group does not depend on the seed");
        assertArrayEquals(sortedUnion(a.set().indices(Group.INLIER), a.set().indices(Group.INPUT_OUTLIER), a.set().indices(Group.OUTPUT_OUTLIER)),
                sortedUnion(c.set().indices(Group.INLIER), c.set().indices(Group.INPUT_OUTLIER), c.set().indices(Group.OUTPUT_OUTLIER)),
                "the inlier pool does not depend on the seed");
        Prototypes.Built r1 = Prototypes.build(data, opts(42).withRandomDirection(true)), r2 = Prototypes.build(data, opts(42).withRandomDirection(true));
        assertArrayEquals(r1.train().x(), r2.train().x(), "random directions are a function of the seed");
    }

    @Test
    void jsonRoundTripAndApply(@TempDir Path dir) throws Exception {
        Dataset data = twoClasses(8);
        for (boolean random : new boolean[]{false, true}) {
            var b = Prototypes.build(data, opts(-3L).withRandomDirection(random).withAlpha(10));
            Path f = dir.resolve("protos-" + random + ".json");
            b.set().save(f);
            PrototypeSet back = PrototypeSet.load(f);
            assertEquals(b.set(), back);
            assertEquals(b.set().toJson(), back.toJson());
            Dataset again = Prototypes.apply(data, back);
            assertArrayEquals(b.train().x(), again.x(), "the other branch rebuilds the same training set");
            assertArrayEquals(b.train().y(), again.y());
            back.checkMatches(b.train());
        }
        // another data set (one value changed) is refused by fingerprint
        PrototypeSet s = Prototypes.build(data, opts(1)).set();
        float[] x2 = data.x().clone();
        x2[5] += 1f;
        Dataset other = new Dataset("changed", x2, data.y().clone(), N, D, 2);
        UserError e = assertThrows(UserError.class, () -> Prototypes.apply(other, s));
        assertTrue(e.getMessage().contains("fingerprint"), e.getMessage());
        Path bad = dir.resolve("bad.json");
        String corrupt = s.toJson().replace("\"m\": " + M, "\"m\": 0");
        assertNotEquals(s.toJson(), corrupt);
        Files.writeString(bad, corrupt);
        UserError e2 = assertThrows(UserError.class, () -> PrototypeSet.load(bad));
        assertTrue(e2.getMessage().startsWith(bad.toString()) && e2.getMessage().contains("m (points per class per group) must be >= 1"), e2.getMessage());
        Files.writeString(bad, "{\"format\": \"eoslab.prototypes/1\"}");
        assertTrue(assertThrows(UserError.class, () -> PrototypeSet.load(bad)).getMessage().contains("missing field"));
        assertThrows(UserError.class, () -> PrototypeSet.load(dir.resolve("none.json")));
    }

    @Test
    void optionsAndInputsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new PrototypeOptions(0, 50, 3, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new PrototypeOptions(25, 0, 3, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new PrototypeOptions(25, 50, Double.NaN, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new PrototypeOptions(25, 50, -1, false, 0));
        Dataset data = twoClasses(9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Prototypes.build(data, opts(0).withM(40)));
        assertTrue(e.getMessage().contains("4m = 160"), e.getMessage());
        Dataset three = new Dataset("three", new float[6], new int[]{0, 1, 2}, 3, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> Prototypes.build(three, opts(0)));
        assertEquals(new PrototypeOptions(25, 50, 3.0, false, 4), PrototypeOptions.defaults(4));
    }

    @Test
    void centroidDistancesMatchNaive() {
        Dataset data = twoClasses(10);
        double[] got = Centroids.centroidDistances(data);
        double[][] mu = {mean(data, 0), mean(data, 1)};
        for (int i = 0; i < N; i++) {
            double want = dist(data.x(), i, D, mu[data.y()[i]]);
            assertEquals(want, got[i], 1e-12 * want); // rtol 1e-12: both float64, different summation order only
        }
    }

    // ---- test-side helpers (§5.2) --------------------------------------------------------------

    @Test
    void boundaryTestPointsMatchNaive() {
        Dataset train = twoClasses(11), test = twoClasses(12);
        int per = 10, k = 9;
        int[] got = Prototypes.boundaryTestPoints(train, test, per, k);
        int[] nb = KnnTest.naive(test.x(), N, train.x(), N, D, k, false);
        double[] amb = new double[N];
        for (int i = 0; i < N; i++) {
            int ones = 0;
            for (int r = 0; r < k; r++) ones += train.y()[nb[i * k + r]];
            amb[i] = Math.abs((double) ones / k - 0.5);
        }
        for (int c = 0; c < 2; c++) {
            final int cc = c;
            int[] want = IntStream.range(0, N).filter(i -> test.y()[i] == cc).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> amb[i]).thenComparingInt(i -> i))
                    .limit(per).mapToInt(Integer::intValue).sorted().toArray();
            assertArrayEquals(want, Arrays.copyOfRange(got, c * per, c * per + per), "class " + c);
        }
    }

    @Test
    void testInputOutliersAtAlphaTest() {
        Dataset train = twoClasses(13), test = twoClasses(14);
        Centroids cent = Centroids.of(train);
        int per = 6;
        int[] idx = Prototypes.testInliers(cent, test, per);
        double[][] mu = {mean(train, 0), mean(train, 1)};
        for (int c = 0; c < 2; c++) {
            final int cc = c;
            int[] want = IntStream.range(0, N).filter(i -> test.y()[i] == cc).boxed()
                    .sorted(Comparator.comparingDouble(i -> dist(test.x(), i, D, mu[cc])))
                    .limit(per).mapToInt(Integer::intValue).sorted().toArray();
            assertArrayEquals(want, Arrays.copyOfRange(idx, c * per, c * per + per), "class " + c + " test inliers (train centroid)");
        }
        Dataset zero = Prototypes.inputOutlierTestSet(cent, test, idx, 0.0);
        assertArrayEquals(test.subset(idx, "s").x(), zero.x(), "alpha_test = 0: the unmoved points");
        for (double a : new double[]{1.5, 10}) {
            Dataset s = Prototypes.inputOutlierTestSet(cent, test, idx, a);
            for (int r = 0; r < idx.length; r++) {
                assertEquals(test.y()[idx[r]], s.y()[r], "labels kept");
                double sign = s.y()[r] == 1 ? 1 : -1;
                for (int p = 0; p < D; p++) {
                    double xo = test.x()[idx[r] * D + p], xn = s.x()[r * D + p];
                    assertEquals(sign * a * (mu[1][p] - mu[0][p]), xn - xo, 1e-12 + 0x1p-24 * (Math.abs(xn) + Math.abs(xo)));
                }
            }
        }
    }

    // ---- on real data ---------------------------------------------------------------------------

    /**
     * The committed Fashion-MNIST subset (pullover vs coat, 2000 × 784): the paper's setting m = 25,
     * k = 50, α = 3. Checks the geometry §2.3 promises ("input-outliers are by construction the most
     * distant group from their class centroid"; inliers the nearest) and reports the medians of
     * ‖x_i − μ_c‖ per group (c = original class), as in App. C.3 Fig. 15 and App. D Fig. 19.
     */
    @Test
    void committedFashionMnistSubset() {
        Dataset data = eoslab.data.Datasets.load("fashion-mnist", eoslab.data.DataOptions.defaults()).train();
        assertEquals(2, data.classes());
        long t0 = System.nanoTime();
        Prototypes.Built b = Prototypes.build(data, PrototypeOptions.defaults(0));
        double secs = (System.nanoTime() - t0) * 1e-9;
        Prototypes.Built r = Prototypes.build(data, PrototypeOptions.defaults(0).withRandomDirection(true));
        StringBuilder log = new StringBuilder(String.format("fashion-mnist subset n=%d: built in %.2f s; median ||x - mu_c||:", data.n(), secs));
        double[] med = new double[Group.values().length];
        for (Group g : Group.values()) {
            med[g.ordinal()] = medianCentroidDistance(b, g);
            log.append(String.format(" %s %.2f", g.key, med[g.ordinal()]));
        }
        double rnd = medianCentroidDistance(r, Group.INPUT_OUTLIER);
        log.append(String.format("; random-direction input_outlier %.2f", rnd));
        System.out.println(log);
        for (Group g : Group.values()) {
            if (g != Group.INPUT_OUTLIER) assertTrue(med[Group.INPUT_OUTLIER.ordinal()] > med[g.ordinal()], "input-outliers are the most distant group: " + log);
            if (g != Group.INLIER && g != Group.OUTPUT_OUTLIER) assertTrue(med[Group.INLIER.ordinal()] < med[g.ordinal()], "inliers are nearer than " + g.key + ": " + log);
        }
        // App. D: the control keeps the outliers about as atypical (paper: median 69.4 vs 70.3)
        assertEquals(med[Group.INPUT_OUTLIER.ordinal()], rnd, 0.1 * rnd, log.toString());
        assertTrue(secs < 20, "taxonomy on 2000 x 784 took " + secs + " s");
    }

    /** Median over a group of ‖x_i − μ_c‖ in the modified set, c = the point's original class. */
    static double medianCentroidDistance(Prototypes.Built b, Group g) {
        int[] idx = b.set().indices(g);
        double[] d = new double[idx.length];
        for (int r = 0; r < idx.length; r++) d[r] = b.centroids().distance(b.train().x(), idx[r], b.set().originalClass(r));
        Arrays.sort(d);
        return 0.5 * (d[d.length / 2 - 1] + d[d.length / 2]);
    }
}
