package eoslab.nn;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.data.Dataset;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradients and Hessian-vector products of every layer, both losses and whole MLPs against
 * central finite differences in float64 (SPEC §2: FD is the cross-check of the exact R-op HVP).
 * Central differences have error O(h²·f'''), so with h = 1e-5 and O(1) derivatives the
 * comparison holds to about 1e-7; tolerance: |a − b| ≤ 1e-6 + 1e-5·|b|.
 */
class FiniteDifferenceTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final double H = 1e-5, ATOL = 1e-6, RTOL = 1e-5;

    record Case(String name, Model model, Loss loss) {
        @Override public String toString() { return name; }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("Linear+MSE", new Sequential(List.of(new Linear(5, 3, true)), "lin"), Loss.MSE),
                new Case("Linear+CE", new Sequential(List.of(new Linear(5, 3, true)), "lin"), Loss.CE),
                new Case("Linear(nobias)+CE", new Sequential(List.of(new Linear(5, 3, false)), "lin"), Loss.CE),
                new Case("ReLU MLP MSE", Mlp.of(new int[]{5, 7, 6, 3}, Act.RELU, true), Loss.MSE),
                new Case("Tanh MLP MSE", Mlp.of(new int[]{5, 7, 6, 3}, Act.TANH, true), Loss.MSE),
                new Case("GELU MLP CE", Mlp.of(new int[]{5, 7, 6, 3}, Act.GELU, true), Loss.CE),
                new Case("Tanh MLP CE nobias", Mlp.of(new int[]{5, 8, 3}, Act.TANH, false), Loss.CE),
                new Case("ReLU MLP CE", Mlp.of(new int[]{5, 9, 9, 3}, Act.RELU, true), Loss.CE)
        ).map(Arguments::of);
    }

    static Dataset data(int n, int features, int classes, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * features];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(classes);
        return new Dataset("random", x, y, n, features, classes);
    }

    static double[] gaussian(int len, Random r) {
        double[] v = new double[len];
        for (int i = 0; i < len; i++) v[i] = r.nextGaussian();
        return v;
    }

    static double lossAt(Objective f, double[] w) {
        return f.evaluate(BE.fromDoubles(DType.F64, w), null, null, null, 0, null, null);
    }

    static double[] gradAt(Objective f, double[] w) {
        Tensor g = BE.zeros(DType.F64, w.length);
        f.evaluate(BE.fromDoubles(DType.F64, w), null, g, null, 0, null, null);
        return g.toDoubles();
    }

    static void close(double expected, double actual, String what) {
        assertTrue(Math.abs(expected - actual) <= ATOL + RTOL * Math.abs(expected),
                what + ": expected " + expected + " got " + actual + " (diff " + Math.abs(expected - actual) + ")");
    }


    // ---- the checks, shared with ConvFiniteDifferenceTest and the GPT-2 tests' style ---------------

    /** Every coordinate of ∇L at w against a central difference of L. */
    static void checkGradient(Objective f, double[] w, String label) {
        double[] g = gradAt(f, w);
        for (int i = 0; i < w.length; i++) {
            double[] wp = w.clone(), wm = w.clone();
            wp[i] += H;
            wm[i] -= H;
            close((lossAt(f, wp) - lossAt(f, wm)) / (2 * H), g[i], label + " dL/dw[" + i + "]");
        }
    }

    /**
     * k HVPs from one shared pass against central differences of the gradient along each v_j, and
     * the gradient from that pass bit-equal to a plain gradient. v holds k directions back to back.
     */
    static void checkHvp(Objective f, double[] w, double[] v, int k, String label) {
        int p = w.length;
        Tensor hv = BE.zeros(DType.F64, (long) k * p);
        Tensor g = BE.zeros(DType.F64, p);
        f.evaluate(BE.fromDoubles(DType.F64, w), null, g, BE.fromDoubles(DType.F64, v), k, hv, null);
        double[] got = hv.toDoubles();
        assertEquals(0, maxAbsDiff(g.toDoubles(), gradAt(f, w)), 0, label + ": gradient from the shared pass equals the plain gradient");
        for (int j = 0; j < k; j++) {
            double[] wp = w.clone(), wm = w.clone();
            for (int i = 0; i < p; i++) {
                wp[i] += H * v[j * p + i];
                wm[i] -= H * v[j * p + i];
            }
            double[] gp = gradAt(f, wp), gm = gradAt(f, wm);
            for (int i = 0; i < p; i++) close((gp[i] - gm[i]) / (2 * H), got[j * p + i], label + " (Hv_" + j + ")[" + i + "]");
        }
    }

    /** uᵀHv = vᵀHu for the two directions stored back to back in uv, and H is not zero. */
    static void checkSymmetry(Objective f, double[] w, double[] uv, String label) {
        int p = w.length;
        Tensor hv = BE.zeros(DType.F64, 2L * p);
        f.evaluate(BE.fromDoubles(DType.F64, w), null, null, BE.fromDoubles(DType.F64, uv), 2, hv, null);
        double[] h = hv.toDoubles();
        double uHv = 0, vHu = 0, scale = 0;
        for (int i = 0; i < p; i++) {
            uHv += uv[i] * h[p + i];
            vHu += uv[p + i] * h[i];
            scale += Math.abs(uv[i] * h[p + i]);
        }
        assertTrue(scale > 0, label + ": the Hessian is not zero");
        assertEquals(uHv, vHu, 1e-12 * (1 + scale), label + ": uᵀHv = vᵀHu");
    }

    /** Loss, gradient and k HVPs in float32 against float64 on the same data, weights and directions. */
    static void checkF32VsF64(Model m, Loss loss, Dataset d, int chunk, double[] w, double[] v, int k, String label) {
        int p = w.length;
        double[][] res = new double[2][];
        double[] losses = new double[2];
        for (DType t : new DType[]{DType.F64, DType.F32}) {
            Objective f = new Objective(BE, t, m, loss, d, chunk);
            Tensor hv = BE.zeros(t, (long) k * p), g = BE.zeros(t, p);
            losses[t.ordinal()] = f.evaluate(BE.fromDoubles(t, w), null, g, BE.fromDoubles(t, v), k, hv, null);
            double[] a = g.toDoubles(), b = hv.toDoubles();
            double[] both = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, both, a.length, b.length);
            res[t.ordinal()] = both;
        }
        // float32 carries ~7 digits; after a few layers of sums of O(10) terms: 1e-4 abs + 1e-4 rel
        assertEquals(losses[0], losses[1], 1e-5 + 1e-5 * Math.abs(losses[0]));
        for (int i = 0; i < res[0].length; i++) {
            double e = res[0][i], a = res[1][i];
            assertTrue(Math.abs(e - a) <= 1e-4 + 1e-4 * Math.abs(e), label + " f32 vs f64 at " + i + ": " + a + " vs " + e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesCentralDifferences(Case c) {
        Objective f = new Objective(BE, DType.F64, c.model, c.loss, data(11, 5, 3, 1), 4); // chunk 4: exercises chunking
        checkGradient(f, c.model.init(7, 1.0), c.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void batchedHvpMatchesFiniteDifferencesOfGradients(Case c) {
        Objective f = new Objective(BE, DType.F64, c.model, c.loss, data(11, 5, 3, 2), 4);
        int k = 3;
        checkHvp(f, c.model.init(11, 1.0), gaussian(k * c.model.numParams(), new Random(3)), k, c.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void hessianIsSymmetric(Case c) {
        Objective f = new Objective(BE, DType.F64, c.model, c.loss, data(9, 5, 3, 4), 9);
        checkSymmetry(f, c.model.init(3, 1.0), gaussian(2 * c.model.numParams(), new Random(5)), c.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void float32AgreesWithFloat64(Case c) {
        int k = 2;
        checkF32VsF64(c.model, c.loss, data(10, 5, 3, 6), 3, c.model.init(13, 1.0),
                gaussian(k * c.model.numParams(), new Random(8)), k, c.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void minibatchRowsMatchSubsetDataset(Case c) {
        Dataset d = data(12, 5, 3, 9);
        int[] rows = {7, 2, 2, 11, 0};
        Objective full = new Objective(BE, DType.F64, c.model, c.loss, d, 2);
        Objective sub = new Objective(BE, DType.F64, c.model, c.loss, d.subset(rows, "sub"), 64);
        double[] w = c.model.init(1, 1.0);
        int p = w.length;
        Tensor ga = BE.zeros(DType.F64, p), gb = BE.zeros(DType.F64, p);
        double la = full.evaluate(BE.fromDoubles(DType.F64, w), rows, ga, null, 0, null, null);
        double lb = sub.evaluate(BE.fromDoubles(DType.F64, w), null, gb, null, 0, null, null);
        assertEquals(lb, la, 1e-14 * Math.abs(lb));
        assertTrue(maxAbsDiff(ga.toDoubles(), gb.toDoubles()) < 1e-14, "gathered minibatch gradient equals the subset's");
    }

    static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
