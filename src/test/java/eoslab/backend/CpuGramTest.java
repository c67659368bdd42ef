package eoslab.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's CholeskyQR passes ({@link CpuGram}: {@link CpuBackend#gram} and
 * {@link CpuBackend#applyUpperAndGram}) against float64 references computed here: the Gram against
 * a compensated (Neumaier) sum; V ← V·U (in place) against the float64 product rounded once; the Gram
 * returned with it against the Gram of the STORED V. Sizes cross the row blocks (d = 1, 7, BLOCK + 3, 5000) and the vector width; the
 * bits do not depend on the thread count.
 *
 * <p>Tolerances: Gram |G − ref| ≤ 1e-300 + 1e-13·Σ_r|v_ir v_jr| (chains of ≤ BLOCK/L + blocks + L
 * float64 additions, ≪ 1e3·u). Product, F64: |dst − ref| ≤ 1e-14·Σ_l|U_li src_l| (≤ k fused
 * steps); F32: |dst − ref| ≤ 2^-24·|ref| + 1e-14·Σ|terms| (one rounding to float after a float64 sum).
 */
class CpuGramTest {
    static double[] data(int n, long seed, DType dt) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double x = r.nextGaussian() + 0.3;
            v[i] = dt == DType.F32 ? (float) x : x;
        }
        return v;
    }

    static double[] referenceGram(double[] v, int d, int k, double[] abs) {
        double[] g = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                double s = 0, c = 0, a = 0;
                for (int r = 0; r < d; r++) {
                    double p = v[i * d + r] * v[j * d + r], t = s + p;
                    c += Math.abs(s) >= Math.abs(p) ? (s - t) + p : (p - t) + s;
                    s = t;
                    a += Math.abs(p);
                }
                g[i * k + j] = s + c;
                abs[i * k + j] = a;
            }
        return g;
    }

    static void assertGram(String what, double[] g, double[] ref, double[] abs) {
        for (int q = 0; q < g.length; q++) {
            double tol = 1e-300 + 1e-13 * abs[q];
            assertTrue(Math.abs(g[q] - ref[q]) <= tol, what + " [" + q + "] " + g[q] + " vs " + ref[q]);
        }
    }

    @Test
    void gramMatchesAFloat64ReferenceAndTheBackend() {
        for (DType dt : new DType[] {DType.F32, DType.F64})
            for (int d : new int[] {1, 7, CpuGram.BLOCK + 3, 5000})
                for (int k : new int[] {1, 3, 8, 13}) {
                    double[] v = data(d * k, 7L * d + k, dt), abs = new double[k * k];
                    Tensor t = CpuBackend.INSTANCE.fromDoubles(dt, v);
                    double[] ref = referenceGram(v, d, k, abs);
                    String what = "gram " + dt + " d=" + d + " k=" + k;
                    assertGram(what, CpuBackend.INSTANCE.gram(t, d, k), ref, abs);
                }
    }

    @Test
    void applyUpperAndGramIsTheTriangularProductInPlaceAndTheGramOfWhatItStored() {
        for (DType dt : new DType[] {DType.F32, DType.F64})
            for (int d : new int[] {7, CpuGram.BLOCK + 3}) {
                int k = 8;
                double[] src = data(d * k, d, dt);
                double[] u = new double[k * k];   // upper triangular, like R⁻¹
                SplittableRandom r = new SplittableRandom(3);
                for (int l = 0; l < k; l++) for (int i = l; i < k; i++) u[l * k + i] = r.nextGaussian() + (l == i ? 2 : 0);
                Tensor t = CpuBackend.INSTANCE.fromDoubles(dt, src);
                double[] g = CpuBackend.INSTANCE.applyUpperAndGram(t, u, d, k);
                double[] dst = t.toDoubles();
                for (int i = 0; i < k; i++)
                    for (int x = 0; x < d; x++) {
                        double s = 0, a = 0;
                        for (int l = 0; l <= i; l++) { s += u[l * k + i] * src[l * d + x]; a += Math.abs(u[l * k + i] * src[l * d + x]); }
                        double tol = (dt == DType.F32 ? 0x1p-24 * Math.abs(s) : 0) + 1e-14 * a;
                        assertTrue(Math.abs(dst[i * d + x] - s) <= tol, dt + " d=" + d + " dst[" + i + "][" + x + "] " + dst[i * d + x] + " vs " + s);
                    }
                double[] abs = new double[k * k];
                assertGram(dt + " d=" + d + " Gram of the stored dst", g, referenceGram(dst, d, k, abs), abs);
            }
    }

    @Test
    void bitsDoNotDependOnTheThreadCount() {
        int d = 3 * CpuGram.BLOCK + 11, k = 8, before = Parallel.threads();
        double[] v = data(d * k, 5, DType.F32);
        double[] u = new double[k * k];
        for (int l = 0; l < k; l++) for (int i = l; i < k; i++) u[l * k + i] = 1.0 / (1 + i + l);
        CpuBackend be = CpuBackend.INSTANCE;
        Tensor a = be.fromDoubles(DType.F32, v), b = be.fromDoubles(DType.F32, v);
        try {
            Parallel.setThreads(1);
            double[] g1 = be.gram(a, d, k), s1 = be.applyUpperAndGram(a, u, d, k);
            Parallel.setThreads(Math.max(2, before));
            double[] g2 = be.gram(b, d, k), s2 = be.applyUpperAndGram(b, u, d, k);
            assertArrayEquals(g1, g2);
            assertArrayEquals(s1, s2);
            assertArrayEquals(a.toDoubles(), b.toDoubles());
        } finally {
            Parallel.setThreads(before);
        }
    }
}
