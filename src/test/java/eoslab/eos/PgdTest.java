package eoslab.eos;

import eoslab.data.SeededRandom;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PGD on models whose worst case is known. For a linear logit f(x) = w·x + b with logistic loss
 * ℓ = log(1 + exp(−s f)), s = 2y − 1, the loss is decreasing in s·f, so the L∞-ball maximizer is the
 * corner x* = x − s ε sign(w) and ℓ* = log(1 + exp(−s f(x) + ε‖w‖₁)). Ten steps of ε/4 reach it from
 * any start in the ball (the farthest start needs 2ε = 8 steps).
 */
class PgdTest {
    static final int N = 7, D = 13;

    static double softplus(double z) {
        return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /** Mean logistic loss of a linear logit and its input gradient. */
    static Pgd.InputGradient logistic(double[] w, double b) {
        return (x, y, n, dx) -> {
            double loss = 0;
            for (int i = 0; i < n; i++) {
                double f = b;
                for (int p = 0; p < w.length; p++) f += w[p] * x[i * w.length + p];
                double s = 2 * y[i] - 1;
                loss += softplus(-s * f) / n;
                double g = -s / (1 + Math.exp(s * f)) / n; // dℓ/df = −s σ(−s f)
                for (int p = 0; p < w.length; p++) dx[i * w.length + p] = (float) (g * w[p]);
            }
            return loss;
        };
    }

    static double[] weights(long seed) {
        SeededRandom r = new SeededRandom(seed);
        double[] w = new double[D];
        for (int p = 0; p < D; p++) w[p] = (r.nextDouble() < 0.5 ? -1 : 1) * (0.1 + r.nextDouble());
        return w;
    }

    static float[] inputs(long seed) {
        SeededRandom r = new SeededRandom(seed);
        float[] x = new float[N * D];
        for (int q = 0; q < x.length; q++) x[q] = (float) r.nextGaussian();
        return x;
    }

    static final int[] Y = {0, 1, 1, 0, 1, 0, 0};

    @Test
    void linearModelReachesClosedFormWorstCase() {
        double[] w = weights(1);
        double b = 0.3;
        float[] x = inputs(2);
        for (Pgd.Options o : new Pgd.Options[]{Pgd.Options.paper(), Pgd.Options.paper().withRandomStart(5)}) {
            Pgd.Result r = Pgd.attack(x, Y, N, D, logistic(w, b), o);
            double worst = 0;
            for (int i = 0; i < N; i++) {
                double s = 2 * Y[i] - 1, f = b, l1 = 0;
                for (int p = 0; p < D; p++) {
                    double want = x[i * D + p] - s * o.eps() * Math.signum(w[p]);
                    // the corner is the float32 rounding of x ± ε: tolerance one float32 ulp of |x|+ε
                    assertEquals(want, r.x()[i * D + p], 0x1p-23 * (Math.abs(x[i * D + p]) + o.eps()), "example " + i + " feature " + p);
                    f += w[p] * x[i * D + p];
                    l1 += Math.abs(w[p]);
                }
                worst += softplus(-s * f + o.eps() * l1) / N;
            }
            double[] loss = r.loss();
            assertEquals(o.steps() + 1, loss.length);
            assertEquals(worst, loss[o.steps()], 1e-6 * worst, "final loss is the closed-form maximum over the ball"); // float32 inputs: rtol 1e-6
            for (int t = 1; t < loss.length; t++) assertTrue(loss[t] >= loss[t - 1] - 1e-12, "loss does not decrease along PGD on a monotone loss");
        }
    }

    @Test
    void clipsToTheValidBoxAndTheBall() {
        double[] w = weights(3);
        float[] x = inputs(4);
        float[] lower = new float[D], upper = new float[D];
        for (int p = 0; p < D; p++) {
            lower[p] = -5f;
            upper[p] = 5f;
        }
        // one example sits 0.01 below the upper bound on feature 0 and pushes up there: the box binds first
        int s0 = 2 * Y[0] - 1;
        double dir0 = -s0 * Math.signum(w[0]);
        x[0] = (float) (dir0 > 0 ? upper[0] - 0.01 : lower[0] + 0.01);
        Pgd.Result r = Pgd.attack(x, Y, N, D, logistic(w, -0.2), Pgd.Options.paper(), lower, upper);
        assertEquals(dir0 > 0 ? upper[0] : lower[0], r.x()[0], 0.0, "the box wins over the ε-ball");
        for (int q = 0; q < x.length; q++) {
            assertTrue(Math.abs(r.x()[q] - x[q]) <= 0.03 + 0x1p-23 * (Math.abs(x[q]) + 0.03), "within ε at " + q);
            assertTrue(r.x()[q] >= lower[q % D] && r.x()[q] <= upper[q % D]);
        }
    }

    /**
     * A non-linear model (2-output tanh layer, MSE against one-hot targets, the paper's loss):
     * the attack stays in the ball, and attacking the batch equals attacking each example alone.
     */
    @Test
    void nonlinearBatchEqualsPerExampleAndStaysInBall() {
        SeededRandom r = new SeededRandom(9);
        double[] W = new double[2 * D];
        for (int q = 0; q < W.length; q++) W[q] = r.nextGaussian();
        Pgd.InputGradient mse = (x, y, n, dx) -> {
            double loss = 0;
            for (int i = 0; i < n; i++) {
                double[] g = new double[2];
                for (int c = 0; c < 2; c++) {
                    double z = 0;
                    for (int p = 0; p < D; p++) z += W[c * D + p] * x[i * D + p];
                    double out = Math.tanh(z), t = y[i] == c ? 1 : 0;
                    loss += 0.5 * (out - t) * (out - t);
                    g[c] = (out - t) * (1 - out * out);
                }
                for (int p = 0; p < D; p++) dx[i * D + p] = (float) (g[0] * W[p] + g[1] * W[D + p]);
            }
            return loss;
        };
        float[] x = inputs(10);
        Pgd.Options o = new Pgd.Options(0.05, 10, 0.05 / 4, true, 77);
        float[] batch = Pgd.attack(x, Y, N, D, mse, o).x();
        for (int q = 0; q < x.length; q++) assertTrue(Math.abs(batch[q] - x[q]) <= 0.05 + 0x1p-23 * (Math.abs(x[q]) + 0.05));
        Pgd.Options noStart = new Pgd.Options(0.05, 10, 0.05 / 4, false, 0);
        float[] all = Pgd.attack(x, Y, N, D, mse, noStart).x();
        for (int i = 0; i < N; i++) {
            float[] xi = java.util.Arrays.copyOfRange(x, i * D, i * D + D);
            float[] one = Pgd.attack(xi, new int[]{Y[i]}, 1, D, mse, noStart).x();
            assertArrayEquals(one, java.util.Arrays.copyOfRange(all, i * D, i * D + D), "example " + i);
        }
    }

    @Test
    void zeroGradientDoesNotMoveAndOptionsAreValidated() {
        float[] x = inputs(11);
        Pgd.Result r = Pgd.attack(x, Y, N, D, (xx, y, n, dx) -> {
            java.util.Arrays.fill(dx, 0f);
            return 1.0;
        }, Pgd.Options.paper());
        assertArrayEquals(x, r.x());
        Pgd.Options p = Pgd.Options.paper();
        assertEquals(0.03, p.eps());
        assertEquals(10, p.steps());
        assertEquals(0.0075, p.stepSize(), 1e-18);
        assertThrows(IllegalArgumentException.class, () -> new Pgd.Options(-0.1, 10, 0.01, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new Pgd.Options(0.1, -1, 0.01, false, 0));
        assertThrows(IllegalArgumentException.class, () -> Pgd.attack(x, new int[3], N, D, (a, b, c, d) -> 0, p));
    }
}
