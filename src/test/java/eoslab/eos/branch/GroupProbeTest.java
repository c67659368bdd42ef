package eoslab.eos.branch;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.data.DataOptions;
import eoslab.data.Dataset;
import eoslab.data.Datasets;
import eoslab.eos.Group;
import eoslab.eos.PrototypeOptions;
import eoslab.eos.Prototypes;
import eoslab.nn.Loss;
import eoslab.nn.Mlp;
import eoslab.nn.Objective;
import eoslab.nn.Sequential;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.CounterRng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every per-group metric of {@link GroupProbe} against a direct float64 computation on a small MLP
 * (d = 50): ℓ_k against the mean of the per-row losses, ∇ℓ_k and ∇L against central differences of
 * the losses, cos²θ_k / influence / R_k from those, and ∇S (the central difference of two HVPs along
 * v) against the coordinate-wise central difference of S(w) = vᵀH(w)v with v held fixed, which also
 * checks the symmetry ∇³L[v, v, ·] = d/dε H(w + εv)v the implementation relies on.
 */
class GroupProbeTest {
    static final Backend BE = CpuBackend.INSTANCE;

    static double check(String what, double got, double ref, double atol, double rtol) {
        assertTrue(Math.abs(got - ref) <= atol + rtol * Math.abs(ref), what + ": got " + got + ", reference " + ref);
        return got;
    }

    @ParameterizedTest
    @CsvSource({"TANH, MSE", "TANH, CE", "RELU, MSE"})
    void everyGroupMetricMatchesADirectFloat64Computation(Act act, Loss loss) {
        Dataset raw = Datasets.load("gaussian:k=2,dim=5,sep=3", new DataOptions(null, 40, 10, null, 3)).train();
        Prototypes.Built built = Prototypes.build(raw, new PrototypeOptions(2, 5, 3.0, false, 0));
        Sequential model = Mlp.of(new int[]{5, 6, 2}, act, true);
        Objective f = new Objective(BE, DType.F64, model, loss, built.train(), 16); // chunk 16 < 40: exercises chunking
        int d = model.numParams();
        Tensor w = BE.fromDoubles(DType.F64, model.init(1, 1.0));
        double[] vh = new double[d];
        double vn = 0;
        for (int i = 0; i < d; i++) {
            vh[i] = CounterRng.gaussian(7, 0, i);
            vn += vh[i] * vh[i];
        }
        for (int i = 0; i < d; i++) vh[i] /= Math.sqrt(vn);
        Tensor v = BE.fromDoubles(DType.F64, vh);

        GroupProbe.Result p = new GroupProbe(f, f, built.set()).measure(w, v, 1e-5);

        // ∇L and S(w) = vᵀH(w)v by central differences, coordinate by coordinate (float64, δ = 1e-6 / 1e-5)
        double[] w0 = w.toDoubles();
        double[] gL = fdGrad(w0, x -> f.evaluate(BE.fromDoubles(DType.F64, x), null, null, null, 0, null, null), 1e-6);
        double[] gS = fdGrad(w0, x -> s(f, x, v), 1e-5);
        // the FD-of-HVP ∇S itself, against the FD of S: tolerance atol 1e-7 + rtol 1e-5 per coordinate
        Tensor gsProbe = BE.zeros(DType.F64, d);
        GroupProbe.gradS(f, w, v, 1e-5, gsProbe);
        double[] gsp = gsProbe.toDoubles();
        double gsNorm = 0;
        for (int i = 0; i < d; i++) {
            check("∇S[" + i + "]", gsp[i], gS[i], 1e-7, 1e-5);
            gsNorm += gS[i] * gS[i];
        }
        assertTrue(gsNorm > 1e-6, "∇S must not be trivially zero in this test, ‖∇S‖² = " + gsNorm);
        check("alpha = −⟨∇L, ∇S⟩", p.alpha(), -dot(gL, gS), 1e-8, 1e-5);
        check("beta = ‖∇S‖²", p.beta(), gsNorm, 1e-8, 1e-5);
        check("‖∇L‖²", p.fullGradNorm2(), dot(gL, gL), 1e-10, 1e-6);

        double[] rowLoss = new double[built.train().n()];
        double full = f.evaluate(w, null, null, null, 0, null, rowLoss);
        check("L", p.fullLoss(), full, 1e-15, 1e-13);
        for (Group g : Group.values()) {
            int k = g.ordinal();
            int[] rows = built.set().indices(g);
            // ℓ_k = mean of the group's row losses: atol 1e-15 + rtol 1e-13 (same arithmetic up to summation order)
            check(g.key + " loss", p.loss()[k], built.set().groupMean(g, rowLoss), 1e-15, 1e-13);
            double[] gk = fdGrad(w0, x -> f.evaluate(BE.fromDoubles(DType.F64, x), rows, null, null, 0, null, null), 1e-6);
            double g2 = dot(gk, gk), pr = dot(gk, vh);
            // FD gradients carry O(δ²) + O(ε/δ) ≈ 1e-10 absolute error per coordinate
            check(g.key + " ‖∇ℓ_k‖²", p.gradNorm2()[k], g2, 1e-9, 1e-6);
            check(g.key + " ∇ℓ_k·v", p.proj()[k], pr, 1e-9, 1e-6);
            check(g.key + " influence", p.influence()[k], pr * pr, 1e-9, 1e-5);
            check(g.key + " cos²θ_k", p.cos2()[k], pr * pr / g2, 1e-8, 1e-5);
            assertTrue(p.cos2()[k] >= 0 && p.cos2()[k] <= 1 + 1e-12, "cos² in [0, 1]");
            check(g.key + " Q_k", p.selectorQ()[k], dot(gk, gS), 1e-7, 1e-5);
            check(g.key + " R_k", p.confounderR()[k], dot(gk, gL), 1e-9, 1e-6);
        }

        // v_1 has no sign: every reported quantity is invariant under v → −v
        Tensor mv = BE.fromDoubles(DType.F64, vh.clone());
        BE.axpby(0, mv, -1, mv);
        GroupProbe.Result q = new GroupProbe(f, f, built.set()).measure(w, mv, 1e-5);
        for (int k = 0; k < 4; k++) {
            check("cos² under v → −v", q.cos2()[k], p.cos2()[k], 1e-14, 1e-12);
            check("Q under v → −v", q.selectorQ()[k], p.selectorQ()[k], 1e-9, 1e-7);
        }
    }

    /**
     * A ReLU net wide enough that a step flips activations (40-64-64-2, 400 rows, ~51k pre-activations):
     * ∇S at the default step must be converged in h (the same at h/10), and a float32 run's ∇S (taken
     * in float64 through the twin objective) the float64 one. At the old float32 default step (1e-3)
     * the first check fails (‖Δ‖/‖∇S‖ = 1.03; 12 at 1e-4): the flipped units dominate the difference.
     */
    @org.junit.jupiter.api.Test
    void reluGradSIsConvergedInTheStep() {
        Dataset data = Datasets.load("gaussian:k=2,dim=40,sep=2", new DataOptions(null, 400, 10, null, 5)).train();
        Sequential model = Mlp.of(new int[]{40, 64, 64, 2}, Act.RELU, true);
        Objective f64 = new Objective(BE, DType.F64, model, Loss.MSE, data, 400), f32 = new Objective(BE, DType.F32, model, Loss.MSE, data, 400);
        int d = model.numParams();
        double[] wh = model.init(2, 1.0), vh = new double[d];
        double vn = 0;
        for (int i = 0; i < d; i++) vn += (vh[i] = CounterRng.gaussian(9, 0, i)) * vh[i];
        for (int i = 0; i < d; i++) vh[i] /= Math.sqrt(vn);
        Tensor w = BE.fromDoubles(DType.F64, wh), v = BE.fromDoubles(DType.F64, vh);
        double[] at = gradS(f64, w, v, GroupProbe.DEFAULT_RELATIVE_STEP), fine = gradS(f64, w, v, GroupProbe.DEFAULT_RELATIVE_STEP / 10);
        double diff = 0, norm = 0;
        for (int i = 0; i < d; i++) {
            diff += (at[i] - fine[i]) * (at[i] - fine[i]);
            norm += fine[i] * fine[i];
        }
        assertTrue(Math.sqrt(diff) <= 1e-4 * Math.sqrt(norm), "∇S not converged in h: ‖Δ‖/‖∇S‖ = " + Math.sqrt(diff / norm));
        Tensor w32 = BE.fromDoubles(DType.F32, wh), v32 = BE.fromDoubles(DType.F32, vh), out32 = BE.zeros(DType.F32, d);
        GroupProbe.gradS(f64, w32, v32, GroupProbe.DEFAULT_RELATIVE_STEP, out32);
        double[] got = out32.toDoubles(), ref = gradS(f64, BE.fromDoubles(DType.F64, w32.toDoubles()), BE.fromDoubles(DType.F64, v32.toDoubles()),
                GroupProbe.DEFAULT_RELATIVE_STEP);
        for (int i = 0; i < d; i++) check("float32 run's ∇S[" + i + "]", got[i], ref[i], 1e-6 * Math.sqrt(norm / d), 1e-6);
        assertEquals(f32.dim(), f64.dim());
    }

    static double[] gradS(Objective f64, Tensor w, Tensor v, double hRel) {
        Tensor out = BE.zeros(DType.F64, f64.dim());
        GroupProbe.gradS(f64, w, v, hRel, out);
        return out.toDoubles();
    }

    /** S(w) = vᵀ H(w) v with an exact HVP. */
    static double s(Objective f, double[] x, Tensor v) {
        Tensor hv = BE.zeros(DType.F64, f.dim());
        f.evaluate(BE.fromDoubles(DType.F64, x), null, null, v, 1, hv, null);
        return BE.dot(v, hv);
    }

    static double[] fdGrad(double[] w, java.util.function.ToDoubleFunction<double[]> fn, double delta) {
        double[] g = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            double[] a = w.clone(), b = w.clone();
            a[i] += delta;
            b[i] -= delta;
            g[i] = (fn.applyAsDouble(a) - fn.applyAsDouble(b)) / (2 * delta);
        }
        return g;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
