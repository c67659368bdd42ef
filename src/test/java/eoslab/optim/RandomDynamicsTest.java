package eoslab.optim;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.data.Dataset;
import eoslab.dynamics.RandomMap;
import eoslab.dynamics.Shift;
import eoslab.nn.Mlp;
import eoslab.nn.Model;
import eoslab.nn.Objective;
import eoslab.nn.Loss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Optimizers as random dynamical systems (SPEC §1): the noise, the cocycle, the tangent map. */
class RandomDynamicsTest {
    static final Backend BE = CpuBackend.INSTANCE;

    static Dataset data(int n) {
        Random r = new Random(42);
        float[] x = new float[n * 4];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(3);
        return new Dataset("toy", x, y, n, 4, 3);
    }

    @Test
    void batchIsAPureFunctionOfSeedAndStep() {
        BatchSchedule a = new BatchSchedule(7, 50, 8), b = new BatchSchedule(7, 50, 8);
        // query b backwards: no hidden state may leak between steps
        int[][] fromA = new int[30][], fromB = new int[30][];
        for (int t = 0; t < 30; t++) fromA[t] = a.batch(t);
        for (int t = 29; t >= 0; t--) fromB[t] = b.batch(t);
        for (int t = 0; t < 30; t++) assertArrayEquals(fromA[t], fromB[t], "B_" + t);
        assertFalse(Arrays.equals(a.batch(3), new BatchSchedule(8, 50, 8).batch(3)), "another seed gives other batches");
        // within an epoch (50/8 = 6 steps) the batches are disjoint: sampling without replacement
        Set<Integer> seen = new HashSet<>();
        for (int t = 6; t < 12; t++) for (int i : a.batch(t)) assertTrue(seen.add(i), "row " + i + " twice in epoch 1");
        assertEquals(48, seen.size());
        assertFalse(Arrays.equals(a.batch(0), a.batch(6)), "epochs are reshuffled");
        assertNull(new BatchSchedule(7, 50, 50).batch(123), "full batch reads every row");
    }

    static Sgd sgd(Objective f, double lr) {
        return new Sgd(f, lr, 1e-3, new BatchSchedule(3, f.n(), 8));
    }

    static Momentum momentum(Objective f, double lr) {
        return new Momentum(f, lr, 0.9, 1e-3, new BatchSchedule(3, f.n(), 8));
    }

    @Test
    void cocycleHoldsBitForBit() {
        Model m = Mlp.of(new int[]{4, 6, 3}, Act.TANH, true);
        Objective f = new Objective(BE, DType.F32, m, Loss.CE, data(40), 16);
        for (Optimizer opt : new Optimizer[]{sgd(f, 0.1), momentum(f, 0.05)}) {
            double[] w0 = m.init(1, 1.0);
            int s = 7, t = 11;
            Tensor direct = opt.initialState(w0);
            Shift.flow(opt, s + t, direct);                       // φ(t+s, ω, w)
            Tensor split = opt.initialState(w0);
            Shift.flow(opt, s, split);                            // φ(s, ω, w)
            Shift.flow(new Shift(opt, s), t, split);              // φ(t, θ^s ω, ·)
            assertArrayEquals(direct.toDoubles(), split.toDoubles(), opt.name() + ": cocycle");
            Tensor other = opt.initialState(w0);
            Shift.flow(new Shift(opt, 1), s + t, other);
            assertFalse(Arrays.equals(direct.toDoubles(), other.toDoubles()), opt.name() + ": a shifted noise gives another trajectory");
        }
    }

    /** J·v of the update map against central differences of the map itself, in float64. */
    @Test
    void tangentMapMatchesFiniteDifferences() {
        Model m = Mlp.of(new int[]{4, 5, 3}, Act.GELU, true);
        Objective f = new Objective(BE, DType.F64, m, Loss.MSE, data(24), 16);
        for (Optimizer opt : new Optimizer[]{sgd(f, 0.3), momentum(f, 0.2)}) {
            int dim = (int) opt.dim(), k = 2;
            double[] w0 = m.init(5, 1.0);
            Tensor base = opt.initialState(w0);
            Random r = new Random(9);
            double[] x0 = base.toDoubles();
            for (int i = 0; i < dim; i++) x0[i] += 0.1 * r.nextGaussian(); // nonzero momentum too
            double[] v = new double[k * dim];
            for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
            long t = 5;
            Tensor x = BE.fromDoubles(DType.F64, x0), tan = BE.fromDoubles(DType.F64, v);
            opt.step(t, x, tan, k);
            double[] jv = tan.toDoubles();
            double h = 1e-6;
            for (int j = 0; j < k; j++) {
                double[] xp = x0.clone(), xm = x0.clone();
                for (int i = 0; i < dim; i++) {
                    xp[i] += h * v[j * dim + i];
                    xm[i] -= h * v[j * dim + i];
                }
                Tensor tp = BE.fromDoubles(DType.F64, xp), tm = BE.fromDoubles(DType.F64, xm);
                opt.step(t, tp, null, 0);
                opt.step(t, tm, null, 0);
                double[] a = tp.toDoubles(), b = tm.toDoubles();
                for (int i = 0; i < dim; i++) {
                    double fd = (a[i] - b[i]) / (2 * h);
                    // O(h²) truncation and O(ε/h) rounding: 1e-6 abs + 1e-6 rel
                    assertEquals(fd, jv[j * dim + i], 1e-6 + 1e-6 * Math.abs(fd), opt.name() + " (Jv_" + j + ")[" + i + "]");
                }
            }
            // the state the tangents were propagated with was advanced exactly like a plain step
            Tensor plain = BE.fromDoubles(DType.F64, x0);
            opt.step(t, plain, null, 0);
            assertArrayEquals(plain.toDoubles(), x.toDoubles(), opt.name() + ": stepping with tangents = stepping without");
        }
    }

    @Test
    void thresholdsFollowTheSpec() {
        Model m = Mlp.of(new int[]{4, 3}, Act.RELU, true);
        Objective f = new Objective(BE, DType.F32, m, Loss.MSE, data(10), 16);
        assertEquals(2 / 0.01, new Sgd(f, 0.01, 0, new BatchSchedule(1, 10, 10)).threshold(), 1e-9);
        assertEquals((2 + 2 * 0.9) / 0.01, new Momentum(f, 0.01, 0.9, 0, new BatchSchedule(1, 10, 10)).threshold(), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> new Sgd(f, -1, 0, new BatchSchedule(1, 10, 10)));
        assertThrows(IllegalArgumentException.class, () -> new Momentum(f, 0.1, 1.0, 0, new BatchSchedule(1, 10, 10)));
        assertThrows(IllegalArgumentException.class, () -> new BatchSchedule(1, 10, 11));
    }

    @Test
    void divergenceIsReportedWithItsStep() {
        Model m = Mlp.of(new int[]{4, 3}, Act.RELU, true);
        Objective f = new Objective(BE, DType.F32, m, Loss.MSE, data(10), 16);
        RandomMap opt = new Sgd(f, 1e30, 0, new BatchSchedule(1, 10, 10));
        Tensor w = ((Sgd) opt).initialState(m.init(1, 1.0));
        DivergedException e = assertThrows(DivergedException.class, () -> { for (int t = 0; t < 100; t++) opt.step(t, w, null, 0); });
        assertTrue(e.step > 0 && e.getMessage().contains("step " + e.step), e.getMessage());
    }
}
