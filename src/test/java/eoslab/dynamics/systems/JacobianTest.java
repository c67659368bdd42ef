package eoslab.dynamics.systems;

import eoslab.backend.CpuBackend;
import eoslab.dynamics.RandomMap;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The tangent map of every validation system against central finite differences of its own
 * step in float64: {@code J v ≈ (φ(x + h v) − φ(x − h v)) / 2h}, error O(h²) — so the tracker
 * is validated on the Jacobian the map really applies, not on a formula.
 */
class JacobianTest {

    static void checkAgainstFiniteDifferences(RandomMap map, double[] x0, double h, double atol, double rtol) {
        int d = (int) map.dim(), k = 3;
        SplittableRandom rng = new SplittableRandom(42);
        double[] v = new double[d * k];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextGaussian();
        CpuBackend be = CpuBackend.INSTANCE;
        Tensor x = be.fromDoubles(DType.F64, x0);
        Tensor t = be.fromDoubles(DType.F64, v);
        map.step(7, x, t, k);
        double[] jv = t.toDoubles();
        double[] next = x.toDoubles();
        Tensor plain = be.fromDoubles(DType.F64, x0);
        map.step(7, plain, null, 0);
        assertArrayEquals(next, plain.toDoubles(), 0.0, "stepping with and without tangents must give the same state");
        for (int j = 0; j < k; j++) {
            double[] xp = x0.clone(), xm = x0.clone();
            for (int i = 0; i < d; i++) {
                xp[i] += h * v[j * d + i];
                xm[i] -= h * v[j * d + i];
            }
            Tensor tp = be.fromDoubles(DType.F64, xp), tm = be.fromDoubles(DType.F64, xm);
            map.step(7, tp, null, 0);
            map.step(7, tm, null, 0);
            double[] fp = tp.toDoubles(), fm = tm.toDoubles();
            for (int i = 0; i < d; i++) {
                double fd = (fp[i] - fm[i]) / (2 * h);
                double ref = jv[j * d + i];
                assertEquals(fd, ref, atol + rtol * Math.abs(fd), map.getClass().getSimpleName() + " tangent " + j + " component " + i);
            }
        }
    }

    @Test
    void henonTangentIsItsJacobian() {
        // Quadratic map: central differences are exact up to rounding; atol 1e-8 + rtol 1e-8.
        checkAgainstFiniteDifferences(new Henon(), new double[]{0.3, -0.2}, 1e-4, 1e-8, 1e-8);
    }

    @Test
    void henonDeterminantIsMinusB() {
        Henon m = new Henon();
        Tensor x = CpuBackend.INSTANCE.fromDoubles(DType.F64, new double[]{0.7, 0.1});
        Tensor e = CpuBackend.INSTANCE.fromDoubles(DType.F64, new double[]{1, 0, 0, 1}); // columns e1, e2
        m.step(0, x, e, 2);
        double[] j = e.toDoubles(); // J e1 = (j0, j1), J e2 = (j2, j3)
        assertEquals(-0.3, j[0] * j[3] - j[2] * j[1], 1e-15);
    }

    @Test
    void lorenzTangentIsTheJacobianOfTheRk4Step() {
        // O(h²) truncation with h = 1e-5 on a state of size ~20: atol 1e-7 + rtol 1e-7.
        checkAgainstFiniteDifferences(new Lorenz(), new double[]{-5.2, 3.1, 24.0}, 1e-5, 1e-7, 1e-7);
    }

    @Test
    void quadraticGdTangentIsIMinusEtaA() {
        Quadratic q = Quadratic.rotated(3, 0.5, 1.0, 2.0, 4.5);
        checkAgainstFiniteDifferences(new QuadraticGd(q, 0.3), new double[]{1, -2, 0.5, 3}, 1e-3, 1e-10, 1e-10);
    }

    @Test
    void quadraticMomentumTangentIsTheBlockJacobian() {
        Quadratic q = Quadratic.rotated(4, 0.5, 1.0, 2.0);
        QuadraticMomentum m = new QuadraticMomentum(q, 0.3, 0.9);
        checkAgainstFiniteDifferences(m, new double[]{1, -2, 0.5, 0.1, 0.2, -0.3}, 1e-3, 1e-10, 1e-10);
        // And against J = [[I − ηA, −ηβ I], [A, β I]] written out.
        int d = 3;
        double[] v = {0.3, -1.1, 0.7, 2.0, 0.4, -0.6};
        Tensor x = CpuBackend.INSTANCE.fromDoubles(DType.F64, new double[2 * d]);
        Tensor t = CpuBackend.INSTANCE.fromDoubles(DType.F64, v);
        m.step(0, x, t, 1);
        double[] got = t.toDoubles();
        for (int r = 0; r < d; r++) {
            double aw = 0;
            for (int c = 0; c < d; c++) aw += q.a()[r * d + c] * v[c];
            assertEquals(v[r] - 0.3 * aw - 0.3 * 0.9 * v[d + r], got[r], 1e-14);
            assertEquals(aw + 0.9 * v[d + r], got[d + r], 1e-14);
        }
    }

    @Test
    void rotatedQuadraticHasTheRequestedSpectrum() {
        double[] alpha = {0.5, 1.0, 2.0, 4.5};
        Quadratic q = Quadratic.rotated(3, alpha);
        int d = 4;
        // tr A^p = Σ α^p for p = 1..4 pins down the spectrum of a symmetric 4×4 matrix.
        double[] p = q.a().clone();
        for (int power = 1; power <= 4; power++) {
            double tr = 0, ref = 0;
            for (int i = 0; i < d; i++) tr += p[i * d + i];
            for (double a : alpha) ref += Math.pow(a, power);
            assertEquals(ref, tr, 1e-12 * ref, "tr A^" + power);
            double[] next = new double[d * d];
            for (int r = 0; r < d; r++)
                for (int c = 0; c < d; c++)
                    for (int l = 0; l < d; l++) next[r * d + c] += p[r * d + l] * q.a()[l * d + c];
            p = next;
        }
        assertNotEquals(0.0, q.a()[1], "rotated A should not be diagonal");
    }

    @Test
    void rejectsAWrongTensor() {
        Tensor f32 = CpuBackend.INSTANCE.zeros(DType.F32, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Henon().step(0, f32, null, 0));
        assertTrue(e.getMessage().contains("F64"));
    }
}
