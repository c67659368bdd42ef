package eoslab.nn;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.data.Dataset;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Generalized Gauss-Newton products G v = (1/n) Σ_i J_iᵀ H_ℓ,i J_i v against the matrix assembled
 * independently in float64: J_i (outputs × d) by central differences of the network's outputs
 * (h = 1e-5: error O(h²) ≈ 1e-10 on these O(1) outputs), H_ℓ,i = I for MSE and diag(p) − ppᵀ for
 * softmax CE. Tolerance |a − b| ≤ 1e-6 + 1e-5·|b|, as FiniteDifferenceTest's.
 */
class GgnTest {
    static final Backend BE = FiniteDifferenceTest.BE;
    static final double H = 1e-5;

    record Case(String name, Model model, Loss loss, int features) {
        @Override public String toString() { return name; }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("tanh MLP MSE", Mlp.of(new int[]{5, 7, 6, 3}, Act.TANH, true), Loss.MSE, 5),
                new Case("GELU MLP CE", Mlp.of(new int[]{5, 7, 6, 3}, Act.GELU, true), Loss.CE, 5),
                new Case("ReLU MLP CE", Mlp.of(new int[]{5, 9, 3}, Act.RELU, true), Loss.CE, 5),
                new Case("conv + maxpool CE", ConvFiniteDifferenceTest.around(new MaxPool2d(2, 5, 5, 2), 2, 5, 5), Loss.CE, 50),
                new Case("residual block MSE", ConvFiniteDifferenceTest.around(new ResidualBlock(2, 3, 5, 5, 2, true), 2, 5, 5), Loss.MSE, 50),
                new Case("tiny tanh CNN CE", Cnn.of(2, 6, 6, 3, 2, 3, 3, 4, Act.TANH, true), Loss.CE, 72),
                new Case("tiny ResNet (identity and projection blocks, pooling) CE", ResNet.of(2, 4, 4, 3, new int[]{2, 3, 3}, new int[]{2, 1, 1}, true),
                        Loss.CE, 32)
        ).map(Arguments::of);
    }

    /** The network's outputs (n, c) at w, in float64. */
    static double[] outputs(Model m, Dataset d, double[] w) {
        double[] x = new double[d.x().length];
        for (int i = 0; i < x.length; i++) x[i] = d.x()[i];
        Tensor out = BE.zeros(DType.F64, (long) d.n() * m.outputSize());
        m.forward(BE, BE.fromDoubles(DType.F64, w), BE.fromDoubles(DType.F64, x), d.n(), out);
        return out.toDoubles();
    }

    /** G v from J by central differences of the outputs and the loss's output Hessian. */
    static double[] denseGgnTimes(Model m, Loss loss, Dataset d, double[] w, double[] v) {
        int n = d.n(), c = m.outputSize(), p = w.length;
        double[][] jac = new double[n * c][p];            // J (n·c, d)
        for (int q = 0; q < p; q++) {
            double[] wp = w.clone(), wm = w.clone();
            wp[q] += H;
            wm[q] -= H;
            double[] fp = outputs(m, d, wp), fm = outputs(m, d, wm);
            for (int r = 0; r < n * c; r++) jac[r][q] = (fp[r] - fm[r]) / (2 * H);
        }
        double[] f = outputs(m, d, w), jv = new double[n * c], u = new double[n * c];
        for (int r = 0; r < n * c; r++) for (int q = 0; q < p; q++) jv[r] += jac[r][q] * v[q];
        for (int i = 0; i < n; i++) {
            if (loss == Loss.MSE) {
                for (int a = 0; a < c; a++) u[i * c + a] = jv[i * c + a];
            } else {
                double mx = Double.NEGATIVE_INFINITY, z = 0;
                for (int a = 0; a < c; a++) mx = Math.max(mx, f[i * c + a]);
                double[] pr = new double[c];
                for (int a = 0; a < c; a++) z += pr[a] = Math.exp(f[i * c + a] - mx);
                double pjv = 0;
                for (int a = 0; a < c; a++) pjv += (pr[a] /= z) * jv[i * c + a];
                for (int a = 0; a < c; a++) u[i * c + a] = pr[a] * jv[i * c + a] - pr[a] * pjv;   // (diag p − ppᵀ) Jv
            }
        }
        double[] gv = new double[p];
        for (int q = 0; q < p; q++) {
            for (int r = 0; r < n * c; r++) gv[q] += jac[r][q] * u[r];
            gv[q] /= n;
        }
        return gv;
    }

    static double[] ggn(Objective f, double[] w, double[] v, int k) {
        Tensor gv = BE.zeros(DType.F64, (long) k * w.length);
        f.ggn(BE.fromDoubles(DType.F64, w), null, BE.fromDoubles(DType.F64, v), k, gv);
        return gv.toDoubles();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesJacobianTransposeLossHessianJacobian(Case cs) {
        Random r = new Random(7);
        Dataset d = FiniteDifferenceTest.data(6, cs.features(), 3, 11);
        double[] w = FiniteDifferenceTest.gaussian(cs.model().numParams(), r);
        for (int i = 0; i < w.length; i++) w[i] *= 0.5;
        int p = w.length, k = 2;
        double[] v = FiniteDifferenceTest.gaussian(k * p, r);
        Objective f = new Objective(BE, DType.F64, cs.model(), cs.loss(), d, 4);      // chunks of 4 rows: 4 + 2
        double[] got = ggn(f, w, v, k);
        for (int j = 0; j < k; j++) {
            double[] vj = java.util.Arrays.copyOfRange(v, j * p, (j + 1) * p);
            double[] ref = denseGgnTimes(cs.model(), cs.loss(), d, w, vj);
            double vgv = 0;
            for (int i = 0; i < p; i++) {
                FiniteDifferenceTest.close(ref[i], got[j * p + i], cs.name() + " (Gv_" + j + ")[" + i + "]");
                vgv += vj[i] * got[j * p + i];
            }
            assertTrue(vgv >= -1e-12, cs.name() + ": vᵀGv = " + vgv + " ≥ 0 (positive semi-definite)");
        }
        // G differs from H by the residual term: on these random targets the two must not coincide
        Tensor hv = BE.zeros(DType.F64, p);
        f.evaluate(BE.fromDoubles(DType.F64, w), null, null, BE.fromDoubles(DType.F64, java.util.Arrays.copyOf(v, p)), 1, hv, null);
        double diff = 0;
        for (int i = 0; i < p; i++) diff = Math.max(diff, Math.abs(hv.toDoubles()[i] - got[i]));
        assertTrue(diff > 1e-6, cs.name() + ": H v and G v differ (residual term), max |Hv − Gv| = " + diff);
    }

    @Test
    void isTheHessianForALinearModelUnderMse() {
        // f = W x + b is linear in w, so ∇²f = 0 and H = Jᵀ J / n exactly
        Model m = new Sequential(List.of(new Linear(5, 3, true)), "lin");
        Random r = new Random(3);
        Dataset d = FiniteDifferenceTest.data(8, 5, 3, 5);
        double[] w = FiniteDifferenceTest.gaussian(m.numParams(), r), v = FiniteDifferenceTest.gaussian(3 * m.numParams(), r);
        Objective f = new Objective(BE, DType.F64, m, Loss.MSE, d, 64);
        double[] g = ggn(f, w, v, 3);
        Tensor hv = BE.zeros(DType.F64, 3L * w.length);
        f.evaluate(BE.fromDoubles(DType.F64, w), null, null, BE.fromDoubles(DType.F64, v), 3, hv, null);
        assertArrayEquals(hv.toDoubles(), g, 1e-13, "G = H for a linear model under MSE");
    }

    @Test
    void modelsWithoutItSaySo() {
        Objective f = new Objective(BE, DType.F64, new Model() {
            public int numParams() { return 1; }
            public int inputSize() { return 1; }
            public int outputSize() { return 1; }
            public List<ParamSpec> params() { return List.of(); }
            public double[] init(long seed, double scale) { return new double[1]; }
            public void forward(Backend be, Tensor w, Tensor x, int n, Tensor out) { }
            public double lossGradHvp(Backend be, Tensor w, Batch batch, Loss loss, double scale, Tensor grad, Tensor v, int k, Tensor hv,
                                      Tensor rowLoss, Tensor logits) { return 0; }
            public String describe() { return "toy"; }
        }, Loss.MSE, FiniteDifferenceTest.data(2, 1, 1, 1), 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> f.ggn(BE.zeros(DType.F64, 1), null, BE.zeros(DType.F64, 1), 1, BE.zeros(DType.F64, 1)));
        assertTrue(e.getMessage().contains("toy") && e.getMessage().contains("Gauss-Newton"), e.getMessage());
    }
}
