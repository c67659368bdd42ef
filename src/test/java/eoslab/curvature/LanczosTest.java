package eoslab.curvature;

import eoslab.backend.CpuBackend;
import eoslab.linalg.DenseMatrix;
import eoslab.linalg.SymmetricEigen;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class LanczosTest {
    static final CpuBackend CPU = CpuBackend.INSTANCE;

    /** Q diag(λ) Q^T with Haar Q. */
    static DenseMatrix withSpectrum(double[] lambda, long seed) {
        return DenseMatrix.fromEigen(DenseMatrix.randomOrthogonal(lambda.length, new SplittableRandom(seed)), lambda);
    }

    /**
     * A Hessian-like spectrum: a few outliers (one pair clustered at 1e-6 relative), a bulk in
     * [−1, 1], and a large negative eigenvalue −30 that is larger in magnitude than all but the top.
     */
    static double[] hessianLikeSpectrum(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] l = new double[n];
        for (int i = 0; i < n; i++) l[i] = 2 * rng.nextDouble() - 1;
        l[0] = 50;
        l[1] = 40;
        l[2] = 40 * (1 + 1e-6);
        l[3] = 20;
        l[4] = -30;
        l[5] = 10;
        return l;
    }

    static double[] topAlgebraic(double[] l, int k) {
        double[] s = l.clone();
        Arrays.sort(s);
        double[] out = new double[k];
        for (int i = 0; i < k; i++) out[i] = s[s.length - 1 - i];
        return out;
    }

    /** |<v, u>| for unit vectors: eigenvector agreement up to sign. */
    static double overlap(double[] v, double[] u) {
        double s = 0, nv = 0, nu = 0;
        for (int i = 0; i < v.length; i++) { s += v[i] * u[i]; nv += v[i] * v[i]; nu += u[i] * u[i]; }
        return Math.abs(s) / Math.sqrt(nv * nu);
    }

    void checkTopK(DType dt, int blockSize, double tol, double valTol) {
        int n = 300, k = 4;
        double[] l = hessianLikeSpectrum(n, 1);
        DenseMatrix a = withSpectrum(l, 2);
        DenseOperator op = new DenseOperator(CPU, dt, a);
        EigenResult r = Lanczos.topK(op, k, Lanczos.Options.defaults().withTol(tol).withBlockSize(blockSize).withPowerFallback(false));
        assertTrue(r.converged(), dt + " b=" + blockSize + " not converged: " + Arrays.toString(r.residuals()));
        assertFalse(r.usedFallback());
        double[] ref = topAlgebraic(l, k);
        // eigenvalue error ≤ residual²/gap for Ritz values; tolerance atol 0 + rtol valTol
        for (int i = 0; i < k; i++) assertEquals(ref[i], r.values()[i], valTol * Math.abs(ref[i]), dt + " value " + i);
        // Reported residuals are true residuals: recompute them densely in float64.
        SymmetricEigen.Result dense = SymmetricEigen.decompose(a);
        for (int i = 0; i < k; i++) {
            double[] v = r.vector(i).toDoubles();
            double[] av = a.times(v);
            double res = 0;
            for (int j = 0; j < n; j++) res += Math.pow(av[j] - r.values()[i] * v[j], 2);
            assertEquals(Math.sqrt(res), r.residuals()[i], 1e-6 * Math.abs(r.values()[i]) + 1e-3 * r.residuals()[i]);
            assertTrue(r.residuals()[i] <= tol * Math.abs(r.values()[i]));
        }
        // Non-degenerate eigenvectors (λ=50, λ=20) match the dense ones; the 40-cluster spans the right plane.
        assertTrue(overlap(r.vector(0).toDoubles(), dense.vector(0)) > 1 - 10 * tol, "v_1 overlap");
        assertTrue(overlap(r.vector(3).toDoubles(), dense.vector(3)) > 1 - 10 * tol, "v_4 overlap");
        double[] v1 = r.vector(1).toDoubles(), v2 = r.vector(2).toDoubles();
        for (double[] v : new double[][]{v1, v2}) {
            double p = Math.pow(overlap(v, dense.vector(1)), 2) + Math.pow(overlap(v, dense.vector(2)), 2);
            assertEquals(1.0, p, 20 * tol, "cluster vector lies in the eigenplane of 40");
        }
    }

    @Test
    void topKMatchesDenseF64() {
        checkTopK(DType.F64, 1, 1e-8, 1e-10);
    }

    @Test
    void topKMatchesDenseF64Block() {
        checkTopK(DType.F64, 3, 1e-8, 1e-10);
    }

    @Test
    void topKMatchesDenseF32() {
        checkTopK(DType.F32, 1, 1e-4, 1e-6);
    }

    @Test
    void largestMagnitudeFindsTheNegativeEigenvalue() {
        int n = 200;
        double[] l = hessianLikeSpectrum(n, 3);
        DenseOperator op = new DenseOperator(CPU, DType.F64, withSpectrum(l, 4));
        EigenResult r = Lanczos.topK(op, 3, Lanczos.Options.defaults().withTol(1e-9).withOrder(EigenOrder.LARGEST_MAGNITUDE));
        assertTrue(r.converged());
        assertEquals(50, r.values()[0], 1e-7);
        assertEquals(40 * (1 + 1e-6), Math.max(r.values()[1], r.values()[2]), 1e-7);
        EigenResult alg = Lanczos.topK(op, 6, Lanczos.Options.defaults().withTol(1e-9));
        assertTrue(alg.values()[5] > 0.9, "6th largest algebraic is in the bulk or 10, not −30: " + alg.values()[5]);
        EigenResult mag5 = Lanczos.topK(op, 5, Lanczos.Options.defaults().withTol(1e-9).withOrder(EigenOrder.LARGEST_MAGNITUDE));
        assertEquals(-30.0, mag5.values()[3], 1e-7, "4th largest magnitude is −30");
        assertEquals(20.0, mag5.values()[4], 1e-7);
    }

    @Test
    void smallRestartBasisStillConverges() {
        int n = 250;
        double[] l = hessianLikeSpectrum(n, 5);
        DenseOperator op = new DenseOperator(CPU, DType.F64, withSpectrum(l, 6));
        EigenResult r = Lanczos.topK(op, 3, Lanczos.Options.defaults().withTol(1e-9).withMaxBasis(8).withMaxRestarts(200).withPowerFallback(false));
        assertTrue(r.converged(), "restarted run converged, residuals " + Arrays.toString(r.residuals()));
        assertTrue(r.restarts() > 0, "the run really restarted");
        double[] ref = topAlgebraic(l, 3);
        for (int i = 0; i < 3; i++) assertEquals(ref[i], r.values()[i], 1e-8 * ref[i]);
        assertEquals(op.applications(), r.hvps(), "hvp count is every applied vector");
    }

    @Test
    void wholeSpaceIsExact() {
        int n = 6;
        double[] l = {3, -2, 1, 1, 0.5, -7};
        DenseOperator op = new DenseOperator(CPU, DType.F64, withSpectrum(l, 8));
        EigenResult r = Lanczos.topK(op, 6, Lanczos.Options.defaults().withTol(1e-10));
        assertTrue(r.converged());
        assertArrayEquals(new double[]{3, 1, 1, 0.5, -2, -7}, r.values(), 1e-12);
    }

    @Test
    void warmStartReducesIterations() {
        int n = 400, k = 3;
        SplittableRandom rng = new SplittableRandom(9);
        double[] l = new double[n];
        // Small relative gaps (top 1.0, 0.97, 0.94 over a bulk up to 0.9) make a cold start slow.
        for (int i = 0; i < n; i++) l[i] = 0.9 * rng.nextDouble();
        l[0] = 1.0; l[1] = 0.97; l[2] = 0.94;
        DenseMatrix q = DenseMatrix.randomOrthogonal(n, new SplittableRandom(10));
        DenseMatrix a0 = DenseMatrix.fromEigen(q, l);
        // A slowly changing matrix: A1 = A0 + 1e-4 * (symmetric Gaussian)/√n, as one training step would.
        // Measured: b = 1 cold 53, warm 31 steps; b = 3 cold 165, warm 66.
        DenseMatrix e = DenseMatrix.gaussian(n, n, new SplittableRandom(11)).symmetrized();
        DenseMatrix a1 = a0.copy();
        for (int i = 0; i < a1.a.length; i++) a1.a[i] += 1e-4 * e.a[i] / Math.sqrt(n);
        Lanczos.Options o = Lanczos.Options.defaults().withTol(1e-8).withPowerFallback(false);
        EigenResult first = Lanczos.topK(new DenseOperator(CPU, DType.F64, a0), k, o);
        DenseOperator op1 = new DenseOperator(CPU, DType.F64, a1);
        EigenResult cold = Lanczos.topK(op1, k, o.withSeed(1));
        EigenResult warm = Lanczos.topK(op1, k, o.withSeed(1), first.vectors());
        assertTrue(cold.converged() && warm.converged());
        assertArrayEquals(cold.values(), warm.values(), 1e-8);
        assertTrue(warm.iterations() < 0.7 * cold.iterations(), "warm " + warm.iterations() + " vs cold " + cold.iterations());
        // Same with a block seeded by the previous eigenvectors.
        EigenResult coldB = Lanczos.topK(op1, k, o.withBlockSize(k));
        EigenResult warmB = Lanczos.topK(op1, k, o.withBlockSize(k), first.vectors());
        assertTrue(warmB.converged());
        assertTrue(warmB.iterations() < 0.7 * coldB.iterations(), "block warm " + warmB.iterations() + " vs cold " + coldB.iterations());
    }

    @Test
    void powerIterationMatchesAndFallbackIsFlagged() {
        int n = 150;
        double[] l = hessianLikeSpectrum(n, 12);
        DenseMatrix a = withSpectrum(l, 13);
        DenseOperator op = new DenseOperator(CPU, DType.F64, a);
        EigenResult p = PowerIteration.top(op, new PowerIteration.Options(5000, 1e-8, 0, EigenOrder.LARGEST_ALGEBRAIC, 1), null);
        assertTrue(p.converged());
        assertEquals(50, p.values()[0], 1e-9 * 50); // λ error ≈ residual²/gap
        // All-negative-dominant spectrum: largest algebraic needs the shift.
        double[] neg = l.clone();
        neg[0] = -80;
        DenseOperator opNeg = new DenseOperator(CPU, DType.F64, withSpectrum(neg, 14));
        EigenResult pn = PowerIteration.topK(opNeg, 1, new PowerIteration.Options(20000, 1e-7, 0, EigenOrder.LARGEST_ALGEBRAIC, 1), null);
        assertTrue(pn.converged(), "shifted power iteration converged: " + Arrays.toString(pn.residuals()));
        assertEquals(40 * (1 + 1e-6), pn.values()[0], 1e-4, "largest algebraic despite λ = −80");
        EigenResult pm = PowerIteration.topK(opNeg, 1, new PowerIteration.Options(20000, 1e-8, 0, EigenOrder.LARGEST_MAGNITUDE, 1), null);
        assertEquals(-80, pm.values()[0], 1e-6);
        // Warm-started on the top eigenvector with a little of the −80 one (the review's case: the
        // |λ|-dominant negative end grows, and without a shift it was returned as "largest algebraic")
        DenseMatrix qn = DenseMatrix.randomOrthogonal(n, new SplittableRandom(14));
        DenseOperator opNeg2 = new DenseOperator(CPU, DType.F64, DenseMatrix.fromEigen(qn, neg));
        double[] start = new double[n];
        for (int i = 0; i < n; i++) start[i] = qn.get(i, 2) + 1e-3 * qn.get(i, 0);   // v(40(1+1e-6)) + 1e-3·v(−80)
        EigenResult pw = PowerIteration.topK(opNeg2, 1, new PowerIteration.Options(20000, 1e-7, 0, EigenOrder.LARGEST_ALGEBRAIC, 1),
                CPU.fromDoubles(DType.F64, start));
        assertEquals(40 * (1 + 1e-6), pw.values()[0], 1e-4, "warm start near the top: still the largest algebraic, not −80");
        // Lanczos with no restarts and a tiny basis cannot converge: the fallback runs and says so.
        EigenResult f = Lanczos.topK(op, 1, Lanczos.Options.defaults().withTol(1e-8).withMaxBasis(3).withMaxRestarts(0));
        assertTrue(f.usedFallback());
        assertEquals("lanczos→power", f.method());
        assertTrue(f.converged());
        assertEquals(50, f.values()[0], 1e-7);
    }

    @Test
    void rejectsBadInput() {
        DenseOperator op = new DenseOperator(CPU, DType.F64, DenseMatrix.identity(5));
        assertThrows(IllegalArgumentException.class, () -> Lanczos.topK(op, 0, Lanczos.Options.defaults()));
        assertThrows(IllegalArgumentException.class, () -> Lanczos.Options.defaults().withTol(0));
        Tensor bad = CPU.zeros(DType.F64, 7);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Lanczos.topK(op, 1, Lanczos.Options.defaults(), bad));
        assertTrue(e.getMessage().contains("warm start"));
    }
}
