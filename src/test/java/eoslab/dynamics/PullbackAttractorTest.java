package eoslab.dynamics;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pullback ensembles on a random affine contraction x' = c x + ξ_t in R^3, whose pullback attractor
 * is the single point x*(ω) = Σ_{s≥1} c^{s−1} ξ_{tEnd−s}, and whose cloud started at −T is exactly
 * {@code c^T x_n + Σ_{s≤T} c^{s−1} ξ_{tEnd−s}}: diameters shrink exactly like c^T.
 */
class PullbackAttractorTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final int D = 3;

    static final class AffineContraction implements RandomMap {
        final double c;
        final long seed;

        AffineContraction(double c, long seed) {
            this.c = c;
            this.seed = seed;
        }

        /** ξ_t, a pure function of (seed, t). */
        double[] xi(long t) {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + t);
            return new double[]{r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
        }

        @Override
        public long dim() {
            return D;
        }

        @Override
        public Backend backend() {
            return BE;
        }

        @Override
        public DType dtype() {
            return DType.F64;
        }

        @Override
        public void step(long t, Tensor x, Tensor tangents, int k) {
            double[] s = (double[]) x.storage;
            int o = (int) x.offset;
            double[] n = xi(t);
            for (int i = 0; i < D; i++) s[o + i] = c * s[o + i] + n[i];
            if (k > 0) BE.scale(tangents, c);
        }
    }

    /** The member started at x0 at time −T, at time 0, in closed form. */
    static double[] closedForm(AffineContraction m, double[] x0, long tEnd, long T) {
        double[] y = new double[D];
        for (int i = 0; i < D; i++) y[i] = Math.pow(m.c, T) * x0[i];
        for (long s = 1; s <= T; s++) {
            double[] n = m.xi(tEnd - s);
            for (int i = 0; i < D; i++) y[i] += Math.pow(m.c, s - 1) * n[i];
        }
        return y;
    }

    static double dist(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s);
    }

    @Test
    void cloudContractsOntoThePullbackPoint() {
        AffineContraction map = new AffineContraction(0.5, 3);
        SplittableRandom rng = new SplittableRandom(1);
        List<Tensor> init = new ArrayList<>();
        List<double[]> init0 = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
            double[] x = {10 * rng.nextGaussian(), 10 * rng.nextGaussian(), 10 * rng.nextGaussian()};
            init0.add(x);
            init.add(BE.fromDoubles(DType.F64, x));
        }
        double d0 = PullbackAttractor.diameter(BE, init);
        double s0 = PullbackAttractor.spread(BE, init);
        long tEnd = 500;
        long[] horizons = {0, 1, 2, 4, 8, 16, 32, 64};
        PullbackAttractor.Result res = PullbackAttractor.run(map, init, tEnd, horizons);

        assertEquals(horizons.length, res.points().size());
        double[] prevMember0 = null;
        for (int h = 0; h < horizons.length; h++) {
            PullbackAttractor.Point p = res.points().get(h);
            double f = Math.pow(0.5, horizons[h]);
            // Exact scaling of every distance by c^T: atol 1e-12 + rtol 1e-12.
            assertEquals(f * d0, p.diameter(), 1e-12 + 1e-12 * f * d0, "diameter at T=" + horizons[h]);
            assertEquals(f * s0, p.spread(), 1e-12 + 1e-12 * f * s0, "spread at T=" + horizons[h]);
            if (h == 0) assertTrue(Double.isNaN(p.drift()));
            else {
                double drift = 0;
                for (double[] x0 : init0) {
                    drift += dist(closedForm(map, x0, tEnd, horizons[h]), closedForm(map, x0, tEnd, horizons[h - 1]));
                }
                drift /= init0.size();
                assertEquals(drift, p.drift(), 1e-12 + 1e-10 * drift, "drift at T=" + horizons[h]);
            }
        }
        // The final cloud (T = 64) is the pullback point, for every member, to rounding.
        double[] star = closedForm(map, new double[D], tEnd, 200);
        assertEquals(init.size(), res.finalCloud().size());
        for (int n = 0; n < init.size(); n++) {
            assertArrayEquals(closedForm(map, init0.get(n), tEnd, 64), res.finalCloud().get(n).toDoubles(), 1e-12);
            assertArrayEquals(star, res.finalCloud().get(n).toDoubles(), 1e-12);
        }
        // The initial conditions were not modified.
        assertArrayEquals(init0.getFirst(), init.getFirst().toDoubles(), 0.0);
    }

    @Test
    void everyHorizonEndsOnTheSameNoise() {
        // A forward ensemble would read ξ_0.. for every T; the pullback cloud reads ξ_{tEnd−T}..ξ_{tEnd−1},
        // so with one member and T = 1 the result is c x0 + ξ_{tEnd−1}.
        AffineContraction map = new AffineContraction(0.5, 7);
        double[] x0 = {1, 2, 3};
        List<Tensor> init = List.of(BE.fromDoubles(DType.F64, x0), BE.fromDoubles(DType.F64, x0));
        PullbackAttractor.Result res = PullbackAttractor.run(map, init, 100, 1);
        double[] xi = map.xi(99);
        double[] got = res.finalCloud().getFirst().toDoubles();
        for (int i = 0; i < D; i++) assertEquals(0.5 * x0[i] + xi[i], got[i], 1e-15);
    }

    @Test
    void rejectsBadHorizons() {
        AffineContraction map = new AffineContraction(0.5, 7);
        List<Tensor> init = List.of(BE.zeros(DType.F64, D), BE.zeros(DType.F64, D));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PullbackAttractor.run(map, init, 10, 4, 2));
        assertTrue(e.getMessage().contains("increasing"));
    }
}
