package eoslab.eos;

import eoslab.backend.Backend;
import eoslab.data.Dataset;
import eoslab.nn.Batch;
import eoslab.nn.Loss;
import eoslab.nn.Model;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.Arrays;

/**
 * Test-time consequences of EoS (Kwag et al. 2026, §5.2), evaluated on one set of weights:
 * <ul>
 *   <li>adversarial robustness: PGD accuracy (L∞, ε = 0.03, 10 steps, step ε/4) on the 50 test-set
 *       boundary points of {@link Prototypes#boundaryTestPoints} (Fig. 9);</li>
 *   <li>out-of-distribution generalization: mean loss on test input-outliers
 *       {@link Prototypes#inputOutlierTestSet} over a grid of α_test (Fig. 10).</li>
 * </ul>
 * Every function takes the model, its weights w (F32 or F64, on {@code be}), the training loss and
 * the data, and returns a plain record. Inputs travel in w's dtype; losses are summed in float64
 * on the host. Rows are processed in chunks of {@link #CHUNK} so memory stays bounded.
 */
public final class Robustness {
    /** Rows per forward/backward call. */
    static final int CHUNK = 1024;

    private Robustness() {
    }

    /**
     * The model seen from its inputs, as {@link Pgd} wants it: returns Σ_i ℓ_i and writes
     * dx = ∇_x Σ_i ℓ_i (row i is ∇_x ℓ_i, since rows do not interact). The sum (scale 1), not the
     * mean, keeps each row's gradient at its own size; PGD only uses its sign.
     */
    public static Pgd.InputGradient inputGradient(Model model, Tensor w, Backend be, Loss loss) {
        int f = model.inputSize();
        return (x, y, n, dx) -> {
            double total = 0;
            for (int r0 = 0; r0 < n; r0 += CHUNK) {
                int m = Math.min(CHUNK, n - r0);
                Batch b = batch(model, be, w.dtype, x, y, r0, m);
                Tensor g = be.zeros(w.dtype, (long) m * f);
                total += model.lossAndInputGradient(be, w, b, loss, 1.0, g);
                double[] h = be.toDoubles(g);
                for (int q = 0; q < h.length; q++) dx[r0 * f + q] = (float) h[q];
            }
            return total;
        };
    }

    /** Mean loss, accuracy and which rows are classified correctly (argmax, ties to the lower class). */
    public record Evaluation(int n, double loss, double accuracy, boolean[] correct) {
    }

    /** Mean loss and accuracy of the model on every row of {@code data}. */
    public static Evaluation evaluate(Model model, Tensor w, Backend be, Loss loss, Dataset data) {
        checkShapes(model, data);
        return evaluate(model, w, be, loss, data.x(), data.y(), data.n());
    }

    private static Evaluation evaluate(Model model, Tensor w, Backend be, Loss loss, float[] x, int[] y, int n) {
        int c = model.outputSize();
        double total = 0;
        boolean[] correct = new boolean[n];
        int hits = 0;
        for (int r0 = 0; r0 < n; r0 += CHUNK) {
            int m = Math.min(CHUNK, n - r0);
            Tensor logits = be.zeros(w.dtype, (long) m * c);
            total += model.lossGradHvp(be, w, batch(model, be, w.dtype, x, y, r0, m), loss, 1.0, null, null, 0, null, null, logits);
            double[] z = be.toDoubles(logits);
            for (int r = 0; r < m; r++) {
                int best = 0;
                for (int j = 1; j < c; j++) if (z[r * c + j] > z[r * c + best]) best = j;
                correct[r0 + r] = best == y[r0 + r];
                if (correct[r0 + r]) hits++;
            }
        }
        return new Evaluation(n, total / n, (double) hits / n, correct);
    }

    /**
     * PGD on {@code rows} of {@code test}: clean and adversarial loss/accuracy, per-row correctness.
     *
     * @param rows    the attacked test rows, e.g. {@code Prototypes.boundaryTestPoints(train, test, 25, 50)}
     * @param adv     the adversarial inputs (rows.length, features)
     */
    public record PgdResult(int[] rows, Pgd.Options options, Evaluation clean, Evaluation adversarial, float[] adv) {
        /** The number §5.2 plots: accuracy under attack. */
        public double accuracy() {
            return adversarial.accuracy();
        }
    }

    /** The paper's attack ({@link Pgd.Options#paper()}), no clipping to a valid pixel box. */
    public static PgdResult pgdAccuracy(Model model, Tensor w, Backend be, Loss loss, Dataset test, int[] rows) {
        return pgdAccuracy(model, w, be, loss, test, rows, Pgd.Options.paper(), null, null);
    }

    /**
     * Attack the rows with PGD under the training loss and report accuracy before and after.
     *
     * @param lower (features) valid-input lower bound or null, see {@link Pgd} on units and clipping
     * @param upper (features) valid-input upper bound or null
     */
    public static PgdResult pgdAccuracy(Model model, Tensor w, Backend be, Loss loss, Dataset test, int[] rows,
                                        Pgd.Options o, float[] lower, float[] upper) {
        checkShapes(model, test);
        if (rows.length == 0) throw new IllegalArgumentException("PGD: no test rows to attack");
        Dataset s = test.subset(rows, test.name() + "+pgd-rows");
        Evaluation clean = evaluate(model, w, be, loss, s.x(), s.y(), s.n());
        Pgd.Result r = Pgd.attack(s.x(), s.y(), s.n(), s.features(), inputGradient(model, w, be, loss), o, lower, upper);
        Evaluation adv = evaluate(model, w, be, loss, r.x(), s.y(), s.n());
        return new PgdResult(rows.clone(), o, clean, adv, r.x());
    }

    /**
     * Loss and accuracy on the test input-outliers at each α_test (Fig. 10): the rows {@code rows} of
     * {@code test} moved by ±α_test·v_diff of the training centroids.
     */
    public record OodCurve(double[] alphaTest, double[] loss, double[] accuracy) {
    }

    /**
     * @param trainCentroids centroids of the unmodified training set (v_diff = μ_1 − μ_0)
     * @param rows           the seeds, e.g. {@code Prototypes.testInliers(trainCentroids, test, 25)}
     * @param alphaTest      displacement scales, each finite and >= 0 (0 gives the unmoved points)
     */
    public static OodCurve oodLoss(Model model, Tensor w, Backend be, Loss loss, Centroids trainCentroids, Dataset test,
                                   int[] rows, double[] alphaTest) {
        checkShapes(model, test);
        if (rows.length == 0) throw new IllegalArgumentException("OOD loss: no test rows");
        double[] l = new double[alphaTest.length], acc = new double[alphaTest.length];
        for (int a = 0; a < alphaTest.length; a++) {
            Dataset moved = Prototypes.inputOutlierTestSet(trainCentroids, test, rows, alphaTest[a]);
            Evaluation e = evaluate(model, w, be, loss, moved);
            l[a] = e.loss();
            acc[a] = e.accuracy();
        }
        return new OodCurve(alphaTest.clone(), l, acc);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void checkShapes(Model model, Dataset d) {
        if (model.inputSize() != d.features()) {
            throw new IllegalArgumentException("model takes " + model.inputSize() + " inputs but " + d.name() + " has " + d.features() + " features");
        }
        if (d.isRegression() || model.outputSize() != d.classes()) {
            throw new IllegalArgumentException("model gives " + model.outputSize() + " outputs but " + d.name() + " is not a " + model.outputSize() + "-class set");
        }
    }

    /** Rows [r0, r0 + m) of (x, y) on the backend in dtype dt, with one-hot targets for MSE. */
    private static Batch batch(Model model, Backend be, DType dt, float[] x, int[] y, int r0, int m) {
        int f = model.inputSize(), c = model.outputSize();
        float[] xs = Arrays.copyOfRange(x, r0 * f, (r0 + m) * f);
        int[] ys = Arrays.copyOfRange(y, r0, r0 + m);
        double[] t = new double[m * c];
        for (int r = 0; r < m; r++) {
            if (ys[r] < 0 || ys[r] >= c) throw new IllegalArgumentException("label " + ys[r] + " outside [0, " + c + ")");
            t[r * c + ys[r]] = 1;
        }
        return new Batch(upload(be, dt, xs), be.fromInts(ys), be.fromDoubles(dt, t), m);
    }

    private static Tensor upload(Backend be, DType dt, float[] a) {
        if (dt == DType.F32) return be.fromFloats(a);
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return be.fromDoubles(dt, d);
    }
}
