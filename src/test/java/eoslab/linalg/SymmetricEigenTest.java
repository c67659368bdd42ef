package eoslab.linalg;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class SymmetricEigenTest {

    /** A = Q diag(λ) Q^T with Haar Q and the given spectrum. */
    static DenseMatrix withSpectrum(double[] lambda, long seed) {
        DenseMatrix q = DenseMatrix.randomOrthogonal(lambda.length, new SplittableRandom(seed));
        return DenseMatrix.fromEigen(q, lambda);
    }

    static double[] sortedDesc(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        for (int i = 0; i < s.length / 2; i++) { double t = s[i]; s[i] = s[s.length - 1 - i]; s[s.length - 1 - i] = t; }
        return s;
    }

    @Test
    void reconstructsAndRecoversKnownSpectrum() {
        for (int n : new int[]{1, 2, 3, 7, 60, 150}) {
            SplittableRandom rng = new SplittableRandom(n);
            double[] lambda = new double[n];
            for (int i = 0; i < n; i++) lambda[i] = 10 * rng.nextDouble() - 5;
            if (n > 5) { lambda[1] = lambda[0]; lambda[2] = lambda[0] + 1e-9; lambda[3] = -40; } // clustered, negative
            DenseMatrix a = withSpectrum(lambda, 100 + n);
            SymmetricEigen.Result r = SymmetricEigen.decompose(a);
            double[] ref = sortedDesc(lambda);
            // tolerance: atol 1e-11 * ‖A‖ (backward-stable algorithm, float64)
            double scale = Math.max(1.0, a.maxAbs() * n);
            for (int i = 0; i < n; i++) assertEquals(ref[i], r.values()[i], 1e-12 * scale, "n=" + n + " eigenvalue " + i);
            for (int i = 1; i < n; i++) assertTrue(r.values()[i - 1] >= r.values()[i], "descending");
            // A = V diag V^T to 1e-10 (absolute, ‖A‖ ≈ 40), and V^T V = I.
            DenseMatrix rec = DenseMatrix.fromEigen(r.vectors(), r.values());
            assertTrue(rec.maxAbsDiff(a) < 1e-10, "n=" + n + " reconstruction error " + rec.maxAbsDiff(a));
            DenseMatrix vtv = r.vectors().transpose().times(r.vectors());
            assertTrue(vtv.maxAbsDiff(DenseMatrix.identity(n)) < 1e-12 * Math.max(1, n), "orthonormal eigenvectors");
            // values-only path agrees with the full path
            double[] vals = SymmetricEigen.eigenvalues(a);
            for (int i = 0; i < n; i++) assertEquals(r.values()[i], vals[i], 1e-12 * scale);
        }
    }

    @Test
    void residualOfEachPairIsSmall() {
        int n = 80;
        DenseMatrix a = DenseMatrix.gaussian(n, n, new SplittableRandom(7)).symmetrized();
        SymmetricEigen.Result r = SymmetricEigen.decompose(a);
        for (int i = 0; i < n; i++) {
            double[] v = r.vector(i);
            double[] av = a.times(v);
            double res = 0;
            for (int j = 0; j < n; j++) res = Math.max(res, Math.abs(av[j] - r.values()[i] * v[j]));
            assertTrue(res < 1e-12 * n, "pair " + i + " residual " + res); // atol 1e-12·n, ‖A‖ ~ √n
        }
        // trace is preserved: Σλ = tr A (atol 1e-11)
        assertEquals(a.trace(), Arrays.stream(r.values()).sum(), 1e-11);
    }

    @Test
    void alreadyDiagonalAndZeroMatrices() {
        double[] d = {3, -1, 2, 0};
        SymmetricEigen.Result r = SymmetricEigen.decompose(DenseMatrix.diagonal(d));
        assertArrayEquals(new double[]{3, 2, 0, -1}, r.values(), 0.0);
        assertArrayEquals(new double[]{0, 0, 0, 0}, SymmetricEigen.eigenvalues(new DenseMatrix(4, 4)), 0.0);
    }

    @Test
    void rejectsNonSquare() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.decompose(new DenseMatrix(2, 3)));
        assertTrue(e.getMessage().contains("2x3"));
    }

    @Test
    void tridiagonalMatchesDense() {
        int n = 40;
        SplittableRandom rng = new SplittableRandom(3);
        double[] alpha = new double[n], beta = new double[n - 1];
        for (int i = 0; i < n; i++) alpha[i] = rng.nextDouble() * 4 - 2;
        for (int i = 0; i < n - 1; i++) beta[i] = rng.nextDouble() * 2 - 1;
        beta[10] = 0; // splits into two blocks
        DenseMatrix t = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++) t.set(i, i, alpha[i]);
        for (int i = 0; i < n - 1; i++) { t.set(i, i + 1, beta[i]); t.set(i + 1, i, beta[i]); }
        SymmetricEigen.Result dense = SymmetricEigen.decompose(t);
        SymmetricEigen.Result tri = SymmetricTridiagonal.eigen(alpha, beta);
        assertArrayEquals(dense.values(), tri.values(), 1e-12); // atol 1e-12, ‖T‖ ≤ 4
        assertArrayEquals(dense.values(), SymmetricTridiagonal.eigenvalues(alpha, beta), 1e-12);
        assertTrue(DenseMatrix.fromEigen(tri.vectors(), tri.values()).maxAbsDiff(t) < 1e-12);
        // Golub–Welsch weights are the squared first components; they sum to 1.
        SymmetricTridiagonal.Quadrature q = SymmetricTridiagonal.gauss(alpha, beta);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double v0 = tri.vectors().get(0, i);
            assertEquals(v0 * v0, q.weights()[i], 1e-13);
            assertEquals(tri.values()[i], q.nodes()[i], 1e-12);
            sum += q.weights()[i];
        }
        assertEquals(1.0, sum, 1e-13);
    }

    @Test
    void gaussQuadratureIsExactForLowDegreePolynomials() {
        // Legendre Jacobi matrix: α = 0, β_k = k / sqrt(4k² − 1); m nodes integrate degree 2m−1
        // exactly against the normalized measure dx/2 on [−1, 1].
        int m = 6;
        double[] alpha = new double[m], beta = new double[m - 1];
        for (int k = 1; k < m; k++) beta[k - 1] = k / Math.sqrt(4.0 * k * k - 1);
        SymmetricTridiagonal.Quadrature q = SymmetricTridiagonal.gauss(alpha, beta);
        for (int deg = 0; deg <= 2 * m - 1; deg++) {
            double s = 0;
            for (int i = 0; i < m; i++) s += q.weights()[i] * Math.pow(q.nodes()[i], deg);
            double exact = deg % 2 == 1 ? 0.0 : 1.0 / (deg + 1);
            assertEquals(exact, s, 1e-14, "degree " + deg);
        }
    }
}
