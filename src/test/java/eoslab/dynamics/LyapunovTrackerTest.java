package eoslab.dynamics;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.qr.QrMethod;
import eoslab.dynamics.systems.Henon;
import eoslab.dynamics.systems.Lorenz;
import eoslab.dynamics.systems.Quadratic;
import eoslab.dynamics.systems.QuadraticGd;
import eoslab.dynamics.systems.QuadraticMomentum;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Benettin/QR tracker against systems whose spectra are known (SPEC §4 reference values):
 * Hénon and Lorenz from the literature, GD and heavy-ball momentum on quadratics in closed form,
 * and a scalar random map whose exponent is a sample mean, for the error bars and the noise index.
 */
class LyapunovTrackerTest {
    static final Backend BE = CpuBackend.INSTANCE;

    static Tensor f64(double... x) {
        return BE.fromDoubles(DType.F64, x);
    }

    static double[] sortedDescending(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        for (int a = 0, b = s.length - 1; a < b; a++, b--) {
            double t = s[a];
            s[a] = s[b];
            s[b] = t;
        }
        return s;
    }

    /**
     * A direction contracting below the float range between two QRs (ηα = 1: |1 − ηα| is rounding,
     * ~1e-16, and 40 steps of it underflow) is an error naming the cause, not a silent λ = −∞.
     */
    @Test
    void underflowBetweenQrsIsAnError() {
        QuadraticGd gd = new QuadraticGd(Quadratic.rotated(5, new double[]{0.5, 10}), 0.1);
        LyapunovConfig cfg = LyapunovConfig.of(2, 400, 40).withQrInterval(40);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new LyapunovTracker(gd, cfg).run(f64(new double[2])));
        assertTrue(e.getMessage().contains("contracted to zero") && e.getMessage().contains("qrInterval"), e.getMessage());
    }

    @Test
    void henon() {
        // Reference (Sprott 2003): λ = 0.41922, −1.62319, D_KY = 1.25827. 200k-step estimates from
        // different starts scatter over about ±0.0016 (batch-means SE here ~7e-4): atol 0.004.
        LyapunovConfig cfg = LyapunovConfig.of(2, 200_000, 1_000).withSegments(20);
        LyapunovSpectrum s = new LyapunovTracker(new Henon(), cfg).run(Henon.initialState());
        System.out.printf("Henon %s ± %s  D_KY %.4f ± %.4f  fallbacks %d  ortho %.2e%n", Arrays.toString(s.exponents()),
                Arrays.toString(s.stdErrors()), s.kaplanYorke().dimension(), s.kyStdError(), s.fallbacks(), s.maxOrthoError());
        assertEquals(0.41922, s.exponents()[0], 0.004);
        assertEquals(-1.62319, s.exponents()[1], 0.004);
        assertEquals(1.25827, s.kaplanYorke().dimension(), 0.004);
        assertFalse(s.kaplanYorke().kTooSmall());
        // |det J| = b exactly at every step, so Σ ln R_ii = ln b per step up to rounding: atol 1e-9.
        assertEquals(Math.log(0.3), s.sum(), 1e-9);
        for (double[] seg : s.segmentExponents()) assertEquals(Math.log(0.3), seg[0] + seg[1], 1e-9);
        assertEquals(s.exponents()[0], s.partialSums()[0]);
        // The error bars are small but not zero (chaotic fluctuations of the stretching rate).
        assertTrue(s.stdErrors()[0] > 0 && s.stdErrors()[0] < 0.01, "SE " + s.stdErrors()[0]);
        assertTrue(s.kyStdError() > 0 && s.kyStdError() < 0.01, "D_KY SE " + s.kyStdError());
        assertEquals(0, s.fallbacks());
    }

    @Test
    void lorenz() {
        // Reference: 0.906, 0, −14.572 per unit time; tolerance 0.03, 0.03, 0.1 absolute.
        Lorenz lorenz = new Lorenz();
        LyapunovConfig cfg = LyapunovConfig.of(3, 100_000, 2_000).withQrInterval(10).withDt(lorenz.dt());
        LyapunovSpectrum s = new LyapunovTracker(lorenz, cfg).run(Lorenz.initialState());
        System.out.printf("Lorenz %s ± %s  D_KY %.4f%n", Arrays.toString(s.exponents()), Arrays.toString(s.stdErrors()),
                s.kaplanYorke().dimension());
        assertEquals(0.906, s.exponents()[0], 0.03);
        assertEquals(0.0, s.exponents()[1], 0.03);
        assertEquals(-14.572, s.exponents()[2], 0.1);
        // tr DF = −(σ + 1 + β) is constant; the RK4 map's det matches exp(dt·tr) to O(dt⁵): atol 1e-3.
        assertEquals(-(10 + 1 + 8.0 / 3.0), s.sum(), 1e-3);
        assertEquals(2.062, s.kaplanYorke().dimension(), 0.01);
    }

    @Test
    void lorenzWithTwoVectorsFlagsKTooSmall() {
        // λ_1 + λ_2 = 0.906 + 0 ≥ 0: two vectors cannot see the contraction, D_KY ≥ 2 only.
        Lorenz lorenz = new Lorenz();
        LyapunovConfig cfg = LyapunovConfig.of(2, 20_000, 1_000).withQrInterval(10).withDt(lorenz.dt());
        LyapunovSpectrum s = new LyapunovTracker(lorenz, cfg).run(Lorenz.initialState());
        assertTrue(s.kaplanYorke().kTooSmall());
        assertEquals(2.0, s.kaplanYorke().dimension());
        // every segment's D_KY is the bound 2, so their spread (0) is no error bar: none is given
        assertTrue(Double.isNaN(s.kyStdError()), "std error of a lower bound: " + s.kyStdError());
    }

    @Test
    void gdOnAQuadraticHasExponentsLnAbsOneMinusEtaAlpha() {
        // η = 0.1; α = 25 > 2/η is an unstable (EoS) direction, α = 14, 18 flip sign each step.
        double eta = 0.1;
        double[] alpha = {0.5, 3, 7, 14, 18, 25};
        double[] ref = new double[alpha.length];
        for (int i = 0; i < alpha.length; i++) ref[i] = Math.log(Math.abs(1 - eta * alpha[i]));
        ref = sortedDescending(ref);
        QuadraticGd gd = new QuadraticGd(Quadratic.rotated(17, alpha), eta);
        for (QrMethod m : QrMethod.values()) {
            for (int interval : new int[]{1, 5}) {
                LyapunovConfig cfg = LyapunovConfig.of(6, 2_000, 500).withQrInterval(interval).withQr(m);
                // x = 0 is the fixed point: the state stays finite even along the unstable direction.
                LyapunovSpectrum s = new LyapunovTracker(gd, cfg).run(f64(new double[6]));
                for (int i = 0; i < 6; i++) {
                    // J is constant and the moduli are distinct, so after burn-in Q sits on the eigenvectors
                    // and every R_ii is |1 − ηα_i| to rounding: atol 1e-9 + rtol 1e-6.
                    assertEquals(ref[i], s.exponents()[i], 1e-9 + 1e-6 * Math.abs(ref[i]), m + " interval " + interval + " λ_" + i);
                }
            }
        }
    }

    /** Exponents of heavy-ball momentum on a quadratic, from the 2×2 blocks [[1 − ηα, −ηβ], [α, β]]. */
    static double[] momentumExponents(double[] alpha, double eta, double beta) {
        double[] out = new double[2 * alpha.length];
        for (int i = 0; i < alpha.length; i++) {
            double a = 1 - eta * alpha[i], b = -eta * beta, c = alpha[i], d = beta;
            double tr = a + d, det = a * d - b * c, disc = tr * tr - 4 * det;
            if (disc >= 0) {
                out[2 * i] = Math.log(Math.abs((tr + Math.sqrt(disc)) / 2));
                out[2 * i + 1] = Math.log(Math.abs((tr - Math.sqrt(disc)) / 2));
            } else {
                out[2 * i] = out[2 * i + 1] = 0.5 * Math.log(det); // |μ|² = μ μ̄ = det
            }
        }
        return sortedDescending(out);
    }

    @Test
    void momentumOnAQuadraticMatchesTheBlockEigenvalues() {
        // η = 0.1, β = 0.9: ηα = 0.001 (real pair), 0.5 and 1.5 (complex pairs, |μ| = √β),
        // 4.2 > 2 + 2β (real pair, one unstable: the momentum EoS threshold of SPEC §1).
        double eta = 0.1, beta = 0.9;
        double[] alpha = {0.01, 5, 15, 42};
        double[] ref = momentumExponents(alpha, eta, beta);
        QuadraticMomentum mom = new QuadraticMomentum(Quadratic.rotated(23, alpha), eta, beta);
        assertEquals(8, mom.dim());
        LyapunovConfig cfg = LyapunovConfig.of(8, 100_000, 2_000).withQrInterval(2);
        LyapunovSpectrum s = new LyapunovTracker(mom, cfg).run(f64(new double[8]));
        System.out.println("momentum " + Arrays.toString(s.exponents()) + " ref " + Arrays.toString(ref));
        assertEquals(8, s.k());
        // Equal moduli (the complex pairs, λ_3..λ_6) make the individual R_ii oscillate with the
        // rotation, so those converge only like ln κ(eigvecs)/T: atol 1e-4 at T = 1e5 for every λ_i.
        for (int i = 0; i < 8; i++) assertEquals(ref[i], s.exponents()[i], 1e-4, "λ_" + i);
        // Partial sums over whole invariant subspaces (j = 1, 2, 6, 7, 8) converge exponentially and are
        // exact to rounding: atol 1e-9 + rtol 1e-6.
        for (int j : new int[]{1, 2, 6, 7, 8}) {
            double pr = 0;
            for (int i = 0; i < j; i++) pr += ref[i];
            assertEquals(pr, s.partialSums()[j - 1], 1e-9 + 1e-6 * Math.abs(pr), "Λ_" + j);
        }
        assertEquals(4 * Math.log(beta), s.sum(), 1e-9); // det J = β^d
    }

    /**
     * A scalar random linear map x' = a_t x with ln|a_t| = μ + s·g_t, g_t ~ N(0, 1) a pure function of
     * (seed, t) and a random sign: its exponent is the sample mean of ln|a_t| over the measured steps.
     */
    static final class ScalarRandomMap implements RandomMap {
        final double mu, s;
        final long seed;

        ScalarRandomMap(double mu, double s, long seed) {
            this.mu = mu;
            this.s = s;
            this.seed = seed;
        }

        double logA(long t) {
            return mu + s * new SplittableRandom(seed * 0x9E3779B97F4A7C15L + t).nextGaussian();
        }

        double a(long t) {
            double sign = (new SplittableRandom(~seed ^ (t * 0xBF58476D1CE4E5B9L)).nextInt(2) == 0) ? 1 : -1;
            return sign * Math.exp(logA(t));
        }

        @Override
        public long dim() {
            return 1;
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
            double a = a(t);
            double[] xs = (double[]) x.storage;
            xs[(int) x.offset] *= a;
            if (k > 0) ((double[]) tangents.storage)[(int) tangents.offset] *= a;
        }
    }

    @Test
    void scalarRandomMapGivesTheSampleMeanWithHonestErrorBars() {
        double mu = -0.2, sd = 0.7;
        ScalarRandomMap map = new ScalarRandomMap(mu, sd, 5);
        long t0 = 1_000, burn = 300, steps = 60_000;
        int interval = 3, segments = 20;
        LyapunovConfig cfg = LyapunovConfig.of(1, steps, burn).withQrInterval(interval).withSegments(segments)
                .withT0(t0).withRecordEvery(3_000).withDt(0.5);
        List<LyapunovSpectrum.Snapshot> seen = new ArrayList<>();
        LyapunovSpectrum s = new LyapunovTracker(map, cfg).run(f64(1e-3), seen::add);
        // Reference: the noise the measured steps read, t = t0 + burn .. t0 + burn + steps − 1, per unit time.
        double sum = 0;
        double[] segSum = new double[segments];
        for (long i = 0; i < steps; i++) {
            double l = map.logA(t0 + burn + i);
            sum += l;
            segSum[(int) (i / (steps / segments))] += l;
        }
        double dt = 0.5;
        assertEquals(sum / (steps * dt), s.exponents()[0], 1e-12);
        for (int g = 0; g < segments; g++) {
            assertEquals(segSum[g] / (steps / segments * dt), s.segmentExponents()[g][0], 1e-11, "segment " + g);
        }
        // i.i.d. increments: SE = (sd/dt)/√steps; the batch-means estimate from 20 segments has a relative
        // spread ≈ 1/√38 ≈ 0.16, so allow 50%.
        double se = sd / dt / Math.sqrt(steps);
        assertEquals(se, s.stdErrors()[0], 0.5 * se);
        assertTrue(Math.abs(s.exponents()[0] - mu / dt) < 4 * se, "estimate within 4 SE of the true rate");
        // Running estimates: one per QR to the listener, one per recordEvery in the history.
        assertEquals(steps / interval, seen.size());
        assertEquals(steps / 3_000, s.history().size());
        LyapunovSpectrum.Snapshot last = s.history().getLast();
        assertEquals(steps, last.step());
        assertEquals(steps * dt, last.time(), 1e-9);
        assertEquals(s.exponents()[0], last.exponents()[0], 1e-12);
        assertEquals(steps / interval + burn / interval, s.qrCount());
    }

    @Test
    void bothQrMethodsGiveTheSameHenonSpectrum() {
        LyapunovConfig cfg = LyapunovConfig.of(2, 5_000, 100);
        LyapunovSpectrum a = new LyapunovTracker(new Henon(), cfg.withQr(QrMethod.HOUSEHOLDER)).run(Henon.initialState());
        LyapunovSpectrum b = new LyapunovTracker(new Henon(), cfg.withQr(QrMethod.CHOLESKY_QR2)).run(Henon.initialState());
        // The state trajectory is the same and the Q dynamics contracts rounding differences: atol 1e-10.
        assertArrayEquals(a.exponents(), b.exponents(), 1e-10);
        assertEquals(0, b.secondPasses(), "one step of Hénon stretches by at most ~e^2: κ²·u far below the bound");
    }

    @Test
    void aQrEveryFourHenonStepsNeedsSecondPassesAndStillAgrees() {
        // Four steps apart the tangents are stretched by e^(4·(λ1 − λ2)) ≈ 3e3 relative to each other:
        // one pass loses κ²·u₆₄ ≈ 1e-9 > the 1e-10 float64 bound, so CholeskyQR takes its second pass.
        LyapunovConfig cfg = LyapunovConfig.of(2, 4_000, 100).withQrInterval(4);
        LyapunovSpectrum a = new LyapunovTracker(new Henon(), cfg.withQr(QrMethod.HOUSEHOLDER)).run(Henon.initialState());
        LyapunovSpectrum b = new LyapunovTracker(new Henon(), cfg.withQr(QrMethod.CHOLESKY_QR2)).run(Henon.initialState());
        assertTrue(b.secondPasses() > b.qrCount() / 2, b.secondPasses() + " second passes in " + b.qrCount() + " QRs");
        assertEquals(0, b.fallbacks());
        assertTrue(b.maxOrthoError() <= 1e-10, "ortho " + b.maxOrthoError());
        assertArrayEquals(a.exponents(), b.exponents(), 1e-10);
    }

    @Test
    void runsAreReproducibleFromTheSeed() {
        LyapunovConfig cfg = LyapunovConfig.of(1, 1_000, 0).withSeed(9);
        double a = new LyapunovTracker(new Henon(), cfg).run(Henon.initialState()).exponents()[0];
        double b = new LyapunovTracker(new Henon(), cfg).run(Henon.initialState()).exponents()[0];
        assertEquals(a, b, 0.0);
    }

    @Test
    void configRejectsBadSettingsWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LyapunovConfig.of(2, 1_001, 0).withQrInterval(10));
        assertTrue(e.getMessage().contains("steps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LyapunovConfig.of(2, 100, 0).withSegments(1));
        assertTrue(e.getMessage().contains("segments"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LyapunovConfig.of(0, 100, 0));
        assertTrue(e.getMessage().contains("k"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LyapunovTracker(new Henon(), LyapunovConfig.of(3, 100, 0)));
        assertTrue(e.getMessage().contains("dimension 2"), e.getMessage());
    }

    @Test
    void overflowBetweenQrsIsReportedNotAveraged() {
        // ln|a| = 50 per step with a QR every 20 steps: the tangent reaches e^1000 = ∞ before the QR.
        ScalarRandomMap map = new ScalarRandomMap(50, 0, 1);
        LyapunovConfig cfg = LyapunovConfig.of(1, 200, 0).withQrInterval(20);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new LyapunovTracker(map, cfg).run(f64(0.0)));
        assertTrue(e.getMessage().contains("qrInterval"), e.getMessage());
    }
}
