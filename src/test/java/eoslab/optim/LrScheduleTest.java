package eoslab.optim;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The learning-rate schedule η_t (linear warmup, constant or cosine to a floor, llm.c's form) and its
 * use by the optimizers: a step t of a scheduled optimizer is the step of a constant-η optimizer at
 * η = η_t, bit for bit, and matches the closed-form update.
 */
class LrScheduleTest {
    static final Backend BE = CpuBackend.INSTANCE;

    @Test
    void valuesAtKnownSteps() {
        // η = 1e-3, W = 10, η_min = 1e-4, D = 110: llm.c's train_gpt2.cu get_lr
        LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 10, 1e-4, 110);
        double tol = 1e-18;   // atol only: every value is a handful of float64 operations on numbers ≤ 1e-3
        assertEquals(1e-3 * 1 / 10, s.lr(0), tol, "warmup start: η/W, so step 0 already moves");
        assertEquals(1e-3 * 5 / 10, s.lr(4), tol);
        assertEquals(1e-3, s.lr(9), tol, "warmup end: η at t = W − 1");
        assertEquals(1e-3, s.lr(10), tol, "cosine start: η");
        assertEquals((1e-3 + 1e-4) / 2, s.lr(60), 1e-18, "mid-cosine (t − W = (D − W)/2): the mean of η and η_min");
        // a quarter of the way: η_min + ½(1 + cos(π/4))(η − η_min)
        assertEquals(1e-4 + 0.5 * (1 + Math.sqrt(0.5)) * 9e-4, s.lr(35), 1e-18);
        assertEquals(1e-4, s.lr(110), tol, "floor at D");
        assertEquals(1e-4, s.lr(1000), tol, "and after");
        for (long t = 10; t < 110; t++) assertTrue(s.lr(t + 1) <= s.lr(t), "monotone decay at " + t);

        LrSchedule c = new LrSchedule(LrSchedule.Kind.CONSTANT, 0.1, 4, 0, 0);
        assertArrayEquals(new double[]{0.025, 0.05, 0.075, 0.1, 0.1, 0.1}, new double[]{c.lr(0), c.lr(1), c.lr(2), c.lr(3), c.lr(4), c.lr(99)}, 1e-16);   // atol: a few ulps of 0.1
        LrSchedule k = LrSchedule.constant(0.3);
        assertTrue(k.isConstant() && !c.isConstant() && !s.isConstant());
        assertEquals(0.3, k.lr(0), 0);
        assertEquals(0.3, k.lr(12345), 0);
        assertEquals(0.3 * 7, k.elapsed(7), 0, "time axis η·t");
        assertEquals(0.025 + 0.05 + 0.075 + 0.1 + 0.1, c.elapsed(5), 1e-16, "Σ_{s<t} η_s");

        LrSchedule half = s.withPeak(5e-4);
        assertEquals(5e-5, half.minLr(), 1e-20, "the floor keeps its ratio to η");
        assertEquals(5e-4, half.lr(10), 0);
    }

    @Test
    void badValuesAreOneLineMessagesNamingTheOption() {
        assertMessage(() -> new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, -1, 1e-4, 10), "--warmup-steps must be >= 0");
        assertMessage(() -> new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 10, 2e-3, 100), "--min-lr must be in (0, --lr");
        assertMessage(() -> new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 10, -1e-4, 100), "--min-lr");
        assertMessage(() -> new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 10, 1e-4, 10), "--warmup-steps 10 must be smaller");
        assertMessage(() -> new LrSchedule(LrSchedule.Kind.CONSTANT, -1e-3, 0, 0, 0), "--lr must be a positive number");
        assertMessage(() -> LrSchedule.Kind.parse("linear"), "--lr-schedule must be constant or cosine");
        assertMessage(() -> new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 0, 1e-4, 10).lr(-1), "starts at step 0");
    }

    static void assertMessage(Runnable r, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    /** L_t(w) = ½ Σ_i a_t,i w_i² + b_t·w: a diagonal quadratic whose curvature and tilt change with t. */
    static StepLoss quadratic(int d) {
        return new StepLoss() {
            @Override public long dim() { return d; }

            @Override public Backend backend() { return BE; }

            @Override public DType dtype() { return DType.F64; }

            double a(long t, int i) { return 0.5 + i + 0.25 * (t % 3); }

            double b(long t, int i) { return Math.sin(1 + i + t); }

            @Override
            public double evaluate(long t, Tensor w, Tensor grad, Tensor v, int k, Tensor hv) {
                double[] x = w.toDoubles(), g = new double[d];
                double loss = 0;
                for (int i = 0; i < d; i++) {
                    loss += 0.5 * a(t, i) * x[i] * x[i] + b(t, i) * x[i];
                    g[i] = a(t, i) * x[i] + b(t, i);
                }
                if (grad != null) BE.copy(BE.fromDoubles(DType.F64, g), grad);
                if (k > 0) {
                    double[] vv = v.view(0, (long) k * d).toDoubles(), h = new double[k * d];
                    for (int j = 0; j < k; j++) for (int i = 0; i < d; i++) h[j * d + i] = a(t, i) * vv[j * d + i];
                    BE.copy(BE.fromDoubles(DType.F64, h), hv.view(0, (long) k * d));
                }
                return loss;
            }
        };
    }

    interface Make {
        Optimizer of(StepLoss f, LrSchedule s);
    }

    /**
     * Steps 0..T−1 of the scheduled optimizer with k = 2 tangents; before each step t a constant-η_t
     * optimizer steps a copy of the same state and tangents: the results must be identical (tolerance 0,
     * the same float64 operations), and the threshold of step t is that of η_t.
     */
    @Test
    void aScheduledStepIsTheConstantStepAtEtaT() {
        int d = 5, k = 2;
        StepLoss f = quadratic(d);
        LrSchedule sched = new LrSchedule(LrSchedule.Kind.COSINE, 0.2, 3, 0.02, 9);
        Make[] makes = {
                (g, s) -> new Sgd(g, s, 0.01, null),
                (g, s) -> new Momentum(g, s, 0.9, 0.01, null),
                (g, s) -> new AdamW(g, s, 0.9, 0.95, 1e-8, 0.1, false, null)};
        for (Make mk : makes) {
            Optimizer opt = mk.of(f, sched);
            Random r = new Random(1);
            double[] w0 = new double[d];
            for (int i = 0; i < d; i++) w0[i] = r.nextGaussian();
            Tensor x = opt.initialState(w0);
            double[] tan = new double[(int) (k * opt.dim())];
            for (int i = 0; i < tan.length; i++) tan[i] = r.nextGaussian();
            Tensor v = BE.fromDoubles(DType.F64, tan);
            for (long t = 0; t < 12; t++) {
                Optimizer ref = mk.of(f, LrSchedule.constant(sched.lr(t)));
                Tensor xr = BE.fromDoubles(DType.F64, x.toDoubles()), vr = BE.fromDoubles(DType.F64, v.toDoubles());
                ref.step(t, xr, vr, k);
                assertEquals(ref.threshold(), opt.threshold(t), 0, opt.name() + " threshold at step " + t);
                opt.step(t, x, v, k);
                assertArrayEquals(xr.toDoubles(), x.toDoubles(), 0, opt.name() + " state after step " + t);
                assertArrayEquals(vr.toDoubles(), v.toDoubles(), 0, opt.name() + " tangents after step " + t);
            }
            assertEquals(0.2, opt.lr(), 0, "lr() is the peak");
        }
    }

    /** SGD with a schedule against the closed form w' = w − η_t(a_t ⊙ w + b_t + λw), atol 1e-15 + rtol 1e-14. */
    @Test
    void sgdFollowsTheClosedForm() {
        int d = 4;
        double wd = 0.05;
        StepLoss f = quadratic(d);
        LrSchedule sched = new LrSchedule(LrSchedule.Kind.CONSTANT, 0.3, 5, 0, 0);
        Sgd opt = new Sgd(f, sched, wd, null);
        double[] w = {1, -2, 0.5, 3};
        Tensor x = opt.initialState(w);
        for (long t = 0; t < 8; t++) {
            double eta = t < 5 ? 0.3 * (t + 1) / 5 : 0.3;
            for (int i = 0; i < d; i++) w[i] -= eta * ((0.5 + i + 0.25 * (t % 3)) * w[i] + Math.sin(1 + i + t) + wd * w[i]);
            opt.step(t, x, null, 0);
            double[] got = x.toDoubles();
            for (int i = 0; i < d; i++) assertEquals(w[i], got[i], 1e-15 + 1e-14 * Math.abs(w[i]), "w_" + i + " after step " + t);
        }
    }
}
