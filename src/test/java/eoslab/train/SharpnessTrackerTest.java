package eoslab.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.curvature.LinearOperator;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The warm start's blind spot (an eigenvalue crossing) is bounded by the periodic cold solves: on a
 * diagonal operator whose second eigenvalue jumps from 2 to 10.5 past the tracked top one (10),
 * tracking k = 1 must report 10.5 within a few logged steps. With warm starts only it would report
 * 10 (converged) for ever: the crossing direction is only in the 1e-4 start noise.
 */
class SharpnessTrackerTest {
    static final Backend BE = CpuBackend.INSTANCE;

    /** diag(a, b, 1 − i/d for the rest): eigenvalues a, b and a bulk in (0, 1]. */
    static LinearOperator diag(int d, double a, double b) {
        double[] g = new double[d];
        g[0] = a;
        g[1] = b;
        for (int i = 2; i < d; i++) g[i] = 1 - (double) i / d;
        Tensor diag = BE.fromDoubles(DType.F64, g);
        return new LinearOperator() {
            public long dim() { return d; }
            public Backend backend() { return BE; }
            public DType dtype() { return DType.F64; }
            public void apply(Tensor v, Tensor out, int k) {
                double[] x = v.toDoubles(), dg = diag.toDoubles(), y = new double[k * d];
                for (int j = 0; j < k; j++) for (int i = 0; i < d; i++) y[j * d + i] = dg[i] * x[j * d + i];
                BE.copy(BE.fromDoubles(DType.F64, y), out.view(0, (long) k * d));
            }
        };
    }

    @org.junit.jupiter.api.Test
    void aCrossingIsFoundWithinAFewColdSolves() {
        int d = 200;
        SharpnessTracker tr = new SharpnessTracker(1, 30, 1e-4, 11);
        for (long t = 0; t < 5; t++) assertEquals(10, tr.estimate(diag(d, 10, 2), t * 10)[0], 2e-3);
        long found = -1;
        for (long t = 5; t < 105 && found < 0; t++) {
            double l = tr.estimate(diag(d, 10, 10.5), t * 10)[0];
            assertTrue(Math.abs(l - 10) < 2e-3 || Math.abs(l - 10.5) < 2e-3, "λ_max " + l);
            if (Math.abs(l - 10.5) < 2e-3) found = t;
        }
        assertTrue(found >= 5, "the crossing to 10.5 was never found in 100 solves");
        assertTrue(found - 5 < 6 * SharpnessTracker.COLD_EVERY, "found only after " + (found - 5) + " solves");
    }
}
