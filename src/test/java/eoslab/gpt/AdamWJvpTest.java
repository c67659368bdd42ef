package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.optim.AdamW;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AdamW's tangent map on the full state (w, m, v) against central finite differences of the update
 * map itself, in float64 on a micro GPT-2 (SPEC §1: the JVP is the Jacobian of φ(1, θ^t ω, ·)).
 * Perturbations are scaled per block (δv ~ 1e-4 like v), h = 1e-5; the map is smooth where v̂ &gt; 0, so
 * the O(h²) error is far below the tolerance 1e-7 + 1e-5·|ref|.
 */
class AdamWJvpTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final GptConfig MICRO = new GptConfig(11, 6, 2, 2, 8);

    static GptObjective objective() {
        Random r = new Random(1);
        int[] stream = new int[200];
        for (int i = 0; i < stream.length; i++) stream[i] = r.nextInt(11);
        return new GptObjective(BE, DType.F64, new Gpt2(MICRO), new TextBatches(stream, 2, 6, 3));
    }

    /** A generic state: weights near init, m ~ N(0, 0.01²), v ∈ [1e-4, 3e-4]. */
    static double[] state(int d, Gpt2 m) {
        Random r = new Random(2);
        double[] s = new double[3 * d];
        double[] w = m.init(4, 1.0);
        for (int i = 0; i < d; i++) {
            s[i] = w[i] + 0.05 * r.nextGaussian();
            s[d + i] = 0.01 * r.nextGaussian();
            s[2 * d + i] = 1e-4 * (1 + 2 * r.nextDouble());
        }
        return s;
    }

    static double[] direction(int d, Random r) {
        double[] x = new double[3 * d];
        for (int i = 0; i < d; i++) {
            x[i] = r.nextGaussian();
            x[d + i] = 0.01 * r.nextGaussian();
            x[2 * d + i] = 1e-4 * r.nextGaussian();
        }
        return x;
    }

    static double[] map(AdamW opt, long t, double[] s) {
        Tensor st = BE.fromDoubles(DType.F64, s);
        opt.step(t, st, null, 0);
        return st.toDoubles();
    }

    @Test
    void fullStateJvpMatchesFiniteDifferencesOfTheUpdateMap() {
        GptObjective f = objective();
        int d = (int) f.dim(), k = 2;
        long t = 3;
        AdamW opt = new AdamW(f, 1e-3, 0.9, 0.95, 1e-8, 0.1, false, null);
        double[] s = state(d, f.model());
        Random r = new Random(5);
        double[] dirs = new double[3 * d * k];
        for (int j = 0; j < k; j++) System.arraycopy(direction(d, r), 0, dirs, 3 * d * j, 3 * d);
        Tensor st = BE.fromDoubles(DType.F64, s), tg = BE.fromDoubles(DType.F64, dirs);
        opt.step(t, st, tg, k);
        double[] jv = tg.toDoubles();
        assertEquals(0, FdUtil.maxAbsDiff(st.toDoubles(), map(opt, t, s)), 0, "stepping with tangents gives the same state");
        double h = 1e-5;
        String[] block = {"w", "m", "v"};
        for (int j = 0; j < k; j++) {
            double[] sp = s.clone(), sm = s.clone();
            for (int i = 0; i < 3 * d; i++) {
                sp[i] += h * dirs[3 * d * j + i];
                sm[i] -= h * dirs[3 * d * j + i];
            }
            double[] fp = map(opt, t, sp), fm = map(opt, t, sm);
            for (int i = 0; i < 3 * d; i++) {
                double fd = (fp[i] - fm[i]) / (2 * h), got = jv[3 * d * j + i];
                assertTrue(Math.abs(fd - got) <= 1e-7 + 1e-5 * Math.abs(fd),
                        "J δ_" + j + " at δ" + block[i / d] + "[" + (i % d) + "]: FD " + fd + " vs JVP " + got);
            }
        }
    }

    @Test
    void frozenPreconditionerDropsOnlyTheSecondMomentPath() {
        GptObjective f = objective();
        int d = (int) f.dim();
        double[] s = state(d, f.model());
        // a tangent along v alone: the exact map moves w, the frozen one does not
        double[] x = new double[3 * d];
        Random r = new Random(6);
        for (int i = 0; i < d; i++) x[2 * d + i] = 1e-4 * r.nextGaussian();
        double[][] out = new double[2][];
        for (int q = 0; q < 2; q++) {
            AdamW opt = new AdamW(f, 1e-3, 0.9, 0.95, 1e-8, 0.0, q == 1, null);
            Tensor tg = BE.fromDoubles(DType.F64, x);
            opt.step(2, BE.fromDoubles(DType.F64, s), tg, 1);
            out[q] = tg.toDoubles();
        }
        double exactW = 0, frozenW = 0;
        for (int i = 0; i < d; i++) {
            exactW = Math.max(exactW, Math.abs(out[0][i]));
            frozenW = Math.max(frozenW, Math.abs(out[1][i]));
        }
        assertTrue(exactW > 1e-6, "exact map: δv moves w (" + exactW + ")");
        assertEquals(0, frozenW, 0, "frozen preconditioner: δv does not move w");
        for (int i = d; i < 3 * d; i++) assertEquals(out[0][i], out[1][i], 0, "m and v tangents agree");
    }

    @Test
    void preconditionedThreshold() {
        AdamW opt = new AdamW(objective(), 0.01, 0.9, 0.999, 1e-8, 0, false, null);
        assertEquals(3800, opt.threshold(), 1e-9); // (2 + 1.8)/(0.1·0.01)
        assertEquals(3 * opt.paramDim(), opt.dim());
    }
}
