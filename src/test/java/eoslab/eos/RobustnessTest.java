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

/**
 * PGD accuracy and the OOD loss curve of §5.2 on models whose answers are known in closed form.
 */
class RobustnessTest {
    static final Backend BE = CpuBackend.INSTANCE;

    /** Binary Gaussian blobs at ±sep/2 along the first axis, `features` wide. */
    static Dataset blobs(int n, int features, double sep, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * features];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int p = 0; p < features; p++) x[i * features + p] = (float) (r.nextGaussian() + (p == 0 ? (y[i] - 0.5) * sep : 0));
        }
        return new Dataset("blobs", x, y, n, features, 2);
    }

    /**
     * On a linear binary classifier z = W x + b under CE, ∇_x ℓ = p_{1−y} (W_{1−y} − W_y): its sign is the
     * same at every point, so 10 steps of ε/4 end at the FGSM corner x* = x + ε·sign(W_{1−y} − W_y) (the
     * first 4 steps reach the face of the ball, the rest are clipped back to it), which is also the optimal
     * L∞ attack: the margin drops by exactly ε‖W_y − W_{1−y}‖₁. Checked per example: the adversarial inputs
     * to 1e-6 (float rounding of x ± ε), and correctness under attack wherever the closed-form margin is
     * clear of zero by 1e-4.
     */
    @Test
    void pgdOnALinearModelIsTheClosedFormCornerAttack() {
        int f = 6, n = 60;
        Dataset test = blobs(n, f, 2.0, 1);
        Sequential model = new Sequential(List.of(new Linear(f, 2, true)), "lin");
        double[] wh = model.init(4, 1.0);
        Tensor w = BE.fromDoubles(DType.F64, wh);
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = i;
        double eps = 0.3;
        Pgd.Options o = new Pgd.Options(eps, 10, eps / 4, false, 0);
        Robustness.PgdResult r = Robustness.pgdAccuracy(model, w, BE, Loss.CE, test, rows, o, null, null);
        int flipped = 0, survived = 0, clearCorrect = 0, cleanHits = 0;
        for (int i = 0; i < n; i++) {
            int y = test.y()[i];
            double margin = wh[2 * f + y] - wh[2 * f + 1 - y], l1 = 0, cleanMargin;
            for (int p = 0; p < f; p++) {
                double u = wh[(1 - y) * f + p] - wh[y * f + p];
                float x = test.x()[i * f + p];
                assertEquals(x + eps * Math.signum(u), r.adv()[i * f + p], 1e-6, "example " + i + " feature " + p);
                margin += -u * x;
                l1 += Math.abs(u);
            }
            cleanMargin = margin;
            if (cleanMargin > 0) cleanHits++;
            double advMargin = cleanMargin - eps * l1;
            if (Math.abs(advMargin) > 1e-4) {
                assertEquals(advMargin > 0, r.adversarial().correct()[i], "example " + i + ": adversarial margin " + advMargin);
                if (advMargin > 0) clearCorrect++;
            }
            if (cleanMargin > 0 && advMargin < 0) flipped++;
            if (advMargin > 0) survived++;
        }
        assertTrue(flipped > 0 && survived > 0, "the case must have both attacked and robust points: " + flipped + " flipped, " + survived + " robust");
        assertEquals((double) cleanHits / n, r.clean().accuracy(), 1e-15);
        assertEquals((double) clearCorrect / n, r.accuracy(), 2.0 / n, "accuracy = fraction of positive closed-form margins");
        assertTrue(r.adversarial().loss() > r.clean().loss(), "the attack raises the loss");
        assertArrayEquals(rows, r.rows());
    }

    /** With ε = 0 the attack changes nothing: PGD accuracy is the clean accuracy (MLP, MSE, F32). */
    @Test
    void zeroRadiusIsCleanAccuracy() {
        Dataset test = blobs(40, 5, 1.0, 2);
        Sequential model = Mlp.of(new int[]{5, 8, 2}, Act.RELU, true);
        Tensor w = BE.fromDoubles(DType.F32, model.init(1, 1.0));
        int[] rows = {0, 3, 5, 8, 13, 21, 34};
        Robustness.PgdResult r = Robustness.pgdAccuracy(model, w, BE, Loss.MSE, test, rows, new Pgd.Options(0, 10, 0, false, 0), null, null);
        assertEquals(r.clean().accuracy(), r.accuracy());
        assertEquals(r.clean().loss(), r.adversarial().loss(), 1e-7 * r.clean().loss());
        Robustness.PgdResult paper = Robustness.pgdAccuracy(model, w, BE, Loss.MSE, test, rows);
        assertEquals(Pgd.Options.paper(), paper.options());
        assertTrue(paper.adversarial().loss() >= paper.clean().loss(), "the paper's attack does not lower the loss");
    }

    /**
     * The OOD curve equals a direct float64 evaluation: for a linear model, ℓ_i = ½‖W x'_i + b − e_{y_i}‖²
     * at x'_i = x_i ± α_test v_diff (the same float rounding as {@link Prototypes#inputOutlierTestSet}).
     * Tolerance 1e-12·|ref| (only summation order differs). An MLP under CE is checked against
     * {@link Objective#lossAndAccuracy} on the moved set to the same tolerance.
     */
    @Test
    void oodLossEqualsDirectEvaluation() {
        int f = 4;
        Dataset train = blobs(80, f, 3.0, 3), test = blobs(50, f, 3.0, 4);
        Centroids c = Centroids.of(train);
        int[] rows = Prototypes.testInliers(c, test, 5);
        double[] alphas = {0, 0.5, 1, 3};
        Sequential lin = new Sequential(List.of(new Linear(f, 2, true)), "lin");
        double[] wh = lin.init(2, 1.0);
        Robustness.OodCurve curve = Robustness.oodLoss(lin, BE.fromDoubles(DType.F64, wh), BE, Loss.MSE, c, test, rows, alphas);
        double[] v = c.vDiff();
        for (int a = 0; a < alphas.length; a++) {
            double sum = 0;
            int hits = 0;
            for (int i : rows) {
                int y = test.y()[i];
                double[] z = new double[2];
                for (int k = 0; k < 2; k++) {
                    z[k] = wh[2 * f + k];
                    for (int p = 0; p < f; p++) {
                        float xm = (float) (test.x()[i * f + p] + (y == 1 ? 1 : -1) * alphas[a] * v[p]);
                        z[k] += wh[k * f + p] * xm;
                    }
                    double rk = z[k] - (k == y ? 1 : 0);
                    sum += 0.5 * rk * rk;
                }
                if ((z[1] > z[0] ? 1 : 0) == y) hits++;
            }
            double ref = sum / rows.length;
            assertEquals(ref, curve.loss()[a], 1e-12 * ref, "alpha_test " + alphas[a]);
            assertEquals((double) hits / rows.length, curve.accuracy()[a], 1e-15);
        }
        assertTrue(curve.loss()[3] != curve.loss()[0], "moving the points changes the loss");

        Sequential mlp = Mlp.of(new int[]{f, 6, 2}, Act.TANH, true);
        Tensor w = BE.fromDoubles(DType.F64, mlp.init(5, 1.0));
        Robustness.OodCurve ce = Robustness.oodLoss(mlp, w, BE, Loss.CE, c, test, rows, alphas);
        for (int a = 0; a < alphas.length; a++) {
            Dataset moved = Prototypes.inputOutlierTestSet(c, test, rows, alphas[a]);
            double[] la = new Objective(BE, DType.F64, mlp, Loss.CE, moved, 3).lossAndAccuracy(w);
            assertEquals(la[0], ce.loss()[a], 1e-12 * la[0]);
            assertEquals(la[1], ce.accuracy()[a], 1e-15);
        }
    }
}
