package eoslab.eos;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.data.Dataset;
import eoslab.nn.Linear;
import eoslab.nn.Loss;
import eoslab.nn.Mlp;
import eoslab.nn.Objective;
import eoslab.nn.Sequential;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Per-example alignment with v_1 and its rank correlation with centroid distance (§4.3). */
class NaturalOutliersTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final double H = 1e-5, ATOL = 1e-6, RTOL = 1e-5;

    static double[] gaussian(int len, long seed) {
        Random r = new Random(seed);
        double[] v = new double[len];
        for (int i = 0; i < len; i++) v[i] = r.nextGaussian();
        return v;
    }

    /**
     * ∇ℓ_i · v̂ against central differences of the per-row losses, (ℓ_i(w + h v̂) − ℓ_i(w − h v̂)) / 2h, read
     * from one full-batch evaluation's rowLoss on each side (an independent path: no per-example
     * backward). ‖∇ℓ_i‖² against the one-row gradient of {@link Objective#evaluate}. Tanh MLP, CE, float64;
     * tolerance |fd − exact| ≤ 1e-6 + 1e-5·|fd| as in the nn finite-difference tests.
     */
    @Test
    void projectionMatchesDirectionalDifferencesOfRowLosses() {
        Dataset d = RobustnessTest.blobs(13, 5, 1.0, 7);
        Sequential m = Mlp.of(new int[]{5, 7, 2}, Act.TANH, true);
        Objective f = new Objective(BE, DType.F64, m, Loss.CE, d, 4);
        int p = m.numParams();
        double[] w = m.init(3, 1.0), v = gaussian(p, 8);
        double vn = 0;
        for (double x : v) vn += x * x;
        vn = Math.sqrt(vn);
        NaturalOutliers.Alignment a = NaturalOutliers.perExample(f, BE.fromDoubles(DType.F64, w), BE.fromDoubles(DType.F64, v));
        double[] wp = w.clone(), wm = w.clone();
        for (int i = 0; i < p; i++) {
            wp[i] += H * v[i] / vn;
            wm[i] -= H * v[i] / vn;
        }
        double[] lp = new double[d.n()], lm = new double[d.n()];
        f.evaluate(BE.fromDoubles(DType.F64, wp), null, null, null, 0, null, lp);
        f.evaluate(BE.fromDoubles(DType.F64, wm), null, null, null, 0, null, lm);
        for (int i = 0; i < d.n(); i++) {
            double fd = (lp[i] - lm[i]) / (2 * H);
            assertTrue(Math.abs(fd - a.projection()[i]) <= ATOL + RTOL * Math.abs(fd), "row " + i + ": fd " + fd + " exact " + a.projection()[i]);
            Tensor g = BE.zeros(DType.F64, p);
            double li = f.evaluate(BE.fromDoubles(DType.F64, w), new int[]{i}, g, null, 0, null, null);
            double gg = 0;
            for (double x : g.toDoubles()) gg += x * x;
            assertEquals(gg, a.gradNormSq()[i], 1e-12 * gg);
            assertEquals(a.projection()[i] * a.projection()[i] / gg, a.cos2()[i], 1e-12);
            assertTrue(a.cos2()[i] >= 0 && a.cos2()[i] <= 1, "cos² in [0, 1]");
            assertEquals(lp[i] + lm[i], 2 * li, 1e-6 * Math.abs(li), "rowLoss is ℓ_i");
        }
    }

    /** v_1 := ∇ℓ_j makes cos²_j = 1 exactly (up to rounding), and a rescaled v_1 changes nothing. */
    @Test
    void gradientOfOneExampleIsPerfectlyAligned() {
        Dataset d = RobustnessTest.blobs(9, 4, 1.0, 9);
        Sequential m = Mlp.of(new int[]{4, 5, 2}, Act.GELU, false);
        Objective f = new Objective(BE, DType.F64, m, Loss.MSE, d, 9);
        Tensor w = BE.fromDoubles(DType.F64, m.init(1, 1.0));
        Tensor g = BE.zeros(DType.F64, m.numParams());
        f.evaluate(w, new int[]{4}, g, null, 0, null, null);
        double[] c = NaturalOutliers.alignment(f, w, g);
        assertEquals(1.0, c[4], 1e-12);
        double[] big = g.toDoubles();
        for (int i = 0; i < big.length; i++) big[i] *= -37.5;
        assertArrayEquals(c, NaturalOutliers.alignment(f, w, BE.fromDoubles(DType.F64, big)), 1e-12, "cos² ignores the scale and sign of v_1");
    }

    /**
     * A constructed case with a closed form: Linear(F, 2, no bias) at W = 0 under MSE has residual
     * r_i = −e_{y_i}, so ∇_W ℓ_i = −e_{y_i} x_iᵀ. With v_1 = e_0 ⊗ u (u a unit input direction),
     * cos²_i = (u·x_i)²/‖x_i‖² for class 0 and 0 for class 1. The data put class-0 points at
     * x_i = μ_0 + t_i u with μ_0 ⟂ u, so cos² = t²/(‖μ_0‖² + t²) grows with the centroid distance |t − t̄|
     * when t̄ = 0 and class-1 points sit at one spot (distance 0, cos² 0): Spearman ρ is computable by hand.
     */
    @Test
    void spearmanOfAConstructedCase() {
        int F = 3;
        // class 0: t = ±1, ±2, ±3 along u = e_1 around μ_0 = (2, 0, 0); class 1: three copies of (0, 0, 5)
        double[] ts = {-3, -2, -1, 1, 2, 3};
        int n = ts.length + 3;
        float[] x = new float[n * F];
        int[] y = new int[n];
        for (int i = 0; i < ts.length; i++) {
            x[i * F] = 2;
            x[i * F + 1] = (float) ts[i];
        }
        for (int i = ts.length; i < n; i++) {
            y[i] = 1;
            x[i * F + 2] = 5;
        }
        Dataset d = new Dataset("constructed", x, y, n, F, 2);
        Sequential lin = new Sequential(List.of(new Linear(F, 2, false)), "lin");
        Objective f = new Objective(BE, DType.F64, lin, Loss.MSE, d, 4);
        Tensor w = BE.zeros(DType.F64, lin.numParams());
        double[] v = new double[lin.numParams()];
        v[1] = 1; // W[0][1]: output 0, input direction u = e_1
        double[] dist = Centroids.centroidDistances(d);
        NaturalOutliers.Correlation r = NaturalOutliers.correlate(12, f, w, BE.fromDoubles(DType.F64, v), dist);
        for (int i = 0; i < ts.length; i++) {
            assertEquals(ts[i] * ts[i] / (4 + ts[i] * ts[i]), r.alignment().cos2()[i], 1e-15, "class-0 row " + i);
            assertEquals(Math.abs(ts[i]), dist[i], 1e-12, "centroid distance = |t|");
        }
        for (int i = ts.length; i < n; i++) {
            assertEquals(0.0, r.alignment().cos2()[i]);
            assertEquals(0.0, dist[i], 1e-12);
        }
        // both variables are the same increasing function of |t| (class 1 at the bottom of both), so the
        // ranks coincide and ρ = 1 exactly; shuffling the distances lowers it.
        assertEquals(12, r.step());
        assertEquals(1.0, r.spearman(), 1e-12);
        double[] reversed = new double[n];
        for (int i = 0; i < n; i++) reversed[i] = -dist[i];
        assertEquals(-1.0, NaturalOutliers.correlate(12, f, w, BE.fromDoubles(DType.F64, v), reversed).spearman(), 1e-12);
    }

    /**
     * The batched MLP path (rank-one per-example gradients) equals the row-by-row reference in float64,
     * across losses, bias on/off, activations and chunk sizes that do and do not divide n. Tolerance
     * 1e-10·(|ref| + scale): the two differ only in summation order.
     */
    @Test
    void batchedMlpPathEqualsRowByRowReference() {
        Dataset d = RobustnessTest.blobs(13, 5, 1.0, 11);
        record Setup(Sequential m, Loss loss) {
        }
        for (Setup c : List.of(new Setup(Mlp.of(new int[]{5, 7, 6, 2}, Act.TANH, true), Loss.MSE),
                new Setup(Mlp.of(new int[]{5, 8, 2}, Act.RELU, false), Loss.CE),
                new Setup(new Sequential(List.of(new Linear(5, 2, true)), "lin"), Loss.CE))) {
            assertTrue(NaturalOutliers.isMlp(c.m()));
            Objective f = new Objective(BE, DType.F64, c.m(), c.loss(), d, 4);
            Tensor w = BE.fromDoubles(DType.F64, c.m().init(2, 1.0)), v = BE.fromDoubles(DType.F64, gaussian(c.m().numParams(), 3));
            NaturalOutliers.Alignment ref = NaturalOutliers.perExampleByRows(f, w, v);
            for (int chunk : new int[]{1, 3, 13, 100}) {
                NaturalOutliers.Alignment got = NaturalOutliers.perExampleMlp(f, w, v, chunk);
                for (int i = 0; i < d.n(); i++) {
                    String what = c.m().describe() + " " + c.loss() + " chunk " + chunk + " row " + i;
                    assertEquals(ref.projection()[i], got.projection()[i], 1e-10 * (Math.abs(ref.projection()[i]) + Math.sqrt(ref.gradNormSq()[i])), what);
                    assertEquals(ref.gradNormSq()[i], got.gradNormSq()[i], 1e-10 * ref.gradNormSq()[i], what);
                    assertEquals(ref.cos2()[i], got.cos2()[i], 1e-10, what);
                }
            }
            assertArrayEquals(NaturalOutliers.perExample(f, w, v).cos2(), NaturalOutliers.perExampleMlp(f, w, v, NaturalOutliers.CHUNK).cos2(), "perExample picks the batched path");
        }
    }

    /** A CNN is not an MLP: perExample falls back to the row loop, the batched path refuses. */
    @Test
    void convolutionalModelsUseTheRowLoop() {
        Sequential cnn = eoslab.nn.Cnn.of(1, 4, 4, 2, 2, 2, 2, 3, Act.TANH, true);
        assertFalse(NaturalOutliers.isMlp(cnn));
        Random r = new Random(4);
        float[] x = new float[6 * 16];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Dataset d = new Dataset("img", x, new int[]{0, 1, 0, 1, 1, 0}, 6, 16, 2, new int[]{1, 4, 4}, null);
        Objective f = new Objective(BE, DType.F64, cnn, Loss.MSE, d, 4);
        Tensor w = BE.fromDoubles(DType.F64, cnn.init(1, 1.0)), v = BE.fromDoubles(DType.F64, gaussian(cnn.numParams(), 5));
        assertArrayEquals(NaturalOutliers.perExampleByRows(f, w, v).cos2(), NaturalOutliers.perExample(f, w, v).cos2());
        assertThrows(IllegalArgumentException.class, () -> NaturalOutliers.perExampleMlp(f, w, v, 4));
    }

    @Test
    void badInputsAreRejected() {
        Dataset d = RobustnessTest.blobs(6, 3, 1.0, 1);
        Sequential lin = new Sequential(List.of(new Linear(3, 2, true)), "lin");
        Objective f = new Objective(BE, DType.F64, lin, Loss.MSE, d, 4);
        Tensor w = BE.fromDoubles(DType.F64, lin.init(0, 1.0));
        assertThrows(IllegalArgumentException.class, () -> NaturalOutliers.alignment(f, w, BE.zeros(DType.F64, lin.numParams())), "zero v_1");
        assertThrows(IllegalArgumentException.class, () -> NaturalOutliers.alignment(f, w, BE.zeros(DType.F64, 3)), "wrong length");
        assertThrows(IllegalArgumentException.class, () -> NaturalOutliers.correlate(0, f, w, w, new double[2]), "distances per row");
    }
}
