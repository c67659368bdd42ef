package eoslab.nn;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
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
 * ∇_x of the loss (what PGD needs, Kwag et al. §5.2) against central differences in the inputs, float64.
 * h = 1e-5, so the truncation error is O(h²) ≈ 1e-10 for O(1) third derivatives; tolerance
 * |fd − exact| ≤ 1e-6 + 1e-5·|fd|, as in {@link FiniteDifferenceTest}. Smooth activations (tanh,
 * GELU) keep the difference away from ReLU kinks; the CNN's max-pool is piecewise linear but a
 * random draw has no ties, so ±h leaves the argmax unchanged.
 */
class InputGradientTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final double H = 1e-5, ATOL = 1e-6, RTOL = 1e-5;

    record Case(String name, Model model, Loss loss, double scale) {
        @Override public String toString() { return name; }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("Linear MSE", new Sequential(List.of(new Linear(6, 3, true)), "lin"), Loss.MSE, 1.0),
                new Case("Tanh MLP CE", Mlp.of(new int[]{6, 7, 5, 3}, Act.TANH, true), Loss.CE, 1.0),
                new Case("GELU MLP MSE mean", Mlp.of(new int[]{6, 8, 3}, Act.GELU, false), Loss.MSE, 1.0 / 5),
                new Case("tiny CNN tanh CE", Cnn.of(2, 4, 4, 3, 2, 3, 3, 5, Act.TANH, true), Loss.CE, 1.0),
                new Case("tiny CNN relu MSE", Cnn.of(1, 4, 4, 3, 2, 2, 3, 4, Act.RELU, true), Loss.MSE, 1.0),
                new Case("tiny ResNet CE", ResNet.of(1, 4, 4, 3, new int[]{2, 3}, new int[]{1, 1}, true), Loss.CE, 1.0)
        ).map(Arguments::of);
    }

    static Batch batch(double[] x, int[] y, int n, int classes) {
        double[] t = new double[n * classes];
        for (int i = 0; i < n; i++) t[i * classes + y[i]] = 1;
        return new Batch(BE.fromDoubles(DType.F64, x), BE.fromInts(y), BE.fromDoubles(DType.F64, t), n);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void inputGradientMatchesCentralDifferences(Case c) {
        Model m = c.model;
        int n = 5, f = m.inputSize(), classes = m.outputSize();
        Random r = new Random(17);
        double[] x = new double[n * f];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(classes);
        Tensor w = BE.fromDoubles(DType.F64, m.init(3, 1.0));
        Tensor dx = BE.zeros(DType.F64, (long) n * f);
        BE.fill(dx, 7); // overwritten, not accumulated
        double value = m.lossAndInputGradient(BE, w, batch(x, y, n, classes), c.loss, c.scale, dx);
        double plain = m.lossGradHvp(BE, w, batch(x, y, n, classes), c.loss, c.scale, null, null, 0, null, null, null);
        assertEquals(plain, value, 1e-14 * Math.abs(plain), "the returned loss is the model's loss");
        double[] got = dx.toDoubles();
        double norm = 0;
        for (int q = 0; q < x.length; q++) {
            double[] xp = x.clone(), xm = x.clone();
            xp[q] += H;
            xm[q] -= H;
            double lp = m.lossGradHvp(BE, w, batch(xp, y, n, classes), c.loss, c.scale, null, null, 0, null, null, null);
            double lm = m.lossGradHvp(BE, w, batch(xm, y, n, classes), c.loss, c.scale, null, null, 0, null, null, null);
            double fd = (lp - lm) / (2 * H);
            assertTrue(Math.abs(fd - got[q]) <= ATOL + RTOL * Math.abs(fd),
                    c + " dL/dx[" + q + "]: central difference " + fd + ", exact " + got[q]);
            norm += got[q] * got[q];
        }
        assertTrue(norm > 1e-6, c + ": the input gradient is not trivially zero");
    }
}
