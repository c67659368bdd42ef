package eoslab.curvature;

import eoslab.backend.CpuBackend;
import eoslab.linalg.DenseMatrix;
import eoslab.linalg.SymmetricEigen;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class TraceDensityTest {
    static final CpuBackend CPU = CpuBackend.INSTANCE;

    static double[] spectrum(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] l = new double[n];
        for (int i = 0; i < n; i++) l[i] = rng.nextDouble() * 2 - 0.5; // bulk in [−0.5, 1.5]
        l[0] = 8;
        l[1] = -3;
        return l;
    }

    @Test
    void denseOperatorAppliesTheMatrix() {
        int n = 30, k = 3;
        DenseMatrix a = DenseMatrix.gaussian(n, n, new SplittableRandom(1)).symmetrized();
        double[] v = DenseMatrix.gaussian(k, n, new SplittableRandom(2)).a;
        for (DType dt : new DType[]{DType.F64, DType.F32}) {
            DenseOperator op = new DenseOperator(CPU, dt, a);
            Tensor out = CPU.zeros(dt, (long) k * n);
            op.apply(CPU.fromDoubles(dt, v), out, k);
            double[] got = out.toDoubles();
            double tol = dt == DType.F64 ? 1e-13 : 1e-5; // atol; entries are O(√n)
            for (int j = 0; j < k; j++) {
                double[] ref = a.times(java.util.Arrays.copyOfRange(v, j * n, (j + 1) * n));
                for (int i = 0; i < n; i++) assertEquals(ref[i], got[j * n + i], tol + tol * Math.abs(ref[i]));
            }
            assertEquals(k, op.applications());
        }
    }

    @Test
    void hutchinsonWithinFourStandardErrors() {
        int n = 200;
        double[] l = spectrum(n, 3);
        DenseMatrix a = DenseMatrix.fromEigen(DenseMatrix.randomOrthogonal(n, new SplittableRandom(4)), l);
        double trace = a.trace();
        for (DType dt : new DType[]{DType.F64, DType.F32}) {
            Hutchinson.Estimate e = Hutchinson.trace(new DenseOperator(CPU, dt, a), 300, 16, 5);
            assertEquals(300, e.hvps());
            assertTrue(Math.abs(e.trace() - trace) <= 4 * e.stdError(), dt + ": " + e.trace() + " ± " + e.stdError() + " vs " + trace);
            // The standard error is the right size: Var(zᵀAz) = 2 Σ_{i≠j} A_ij² for Rademacher z.
            double off = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (i != j) off += a.get(i, j) * a.get(i, j);
            double seRef = Math.sqrt(2 * off / 300);
            assertEquals(seRef, e.stdError(), 0.25 * seRef, "standard error within 25% of the exact one");
        }
        // A diagonal matrix has zero Hutchinson variance: the estimate is exact.
        Hutchinson.Estimate diag = Hutchinson.trace(new DenseOperator(CPU, DType.F64, DenseMatrix.diagonal(l)), 5, 2, 6);
        double tr = 0;
        for (double x : l) tr += x;
        assertEquals(tr, diag.trace(), 1e-12);
        assertEquals(0.0, diag.stdError(), 1e-12);
    }

    @Test
    void slqMomentsAreExactPerRun() {
        int n = 120;
        DenseMatrix a = DenseMatrix.fromEigen(DenseMatrix.randomOrthogonal(n, new SplittableRandom(7)), spectrum(n, 8));
        DenseOperator op = new DenseOperator(CPU, DType.F64, a);
        double[] z = DenseMatrix.gaussian(1, n, new SplittableRandom(9)).a;
        double zz = 0;
        for (double x : z) zz += x * x;
        double[] az = a.times(z), aaz = a.times(az);
        double m1 = 0, m2 = 0, m3 = 0;
        for (int i = 0; i < n; i++) { m1 += z[i] * az[i] / zz; m2 += az[i] * az[i] / zz; m3 += az[i] * aaz[i] / zz; }
        int steps = 10;
        Slq.Run r = Slq.run(op, CPU.fromDoubles(DType.F64, z), steps);
        assertEquals(steps, r.nodes().length);
        // Gauss quadrature with m nodes is exact to degree 2m − 1: the moments qᵀA^p q, p ≤ 3.
        assertEquals(1.0, r.moment(0), 1e-13);
        assertEquals(m1, r.moment(1), 1e-12 * (1 + Math.abs(m1)));
        assertEquals(m2, r.moment(2), 1e-11 * m2);
        assertEquals(m3, r.moment(3), 1e-11 * Math.abs(m3) + 1e-11);
        for (double w : r.weights()) assertTrue(w >= 0);
    }

    @Test
    void slqWithFullKrylovSpaceRecoversTheSpectrum() {
        int n = 40;
        double[] l = spectrum(n, 10);
        DenseMatrix a = DenseMatrix.fromEigen(DenseMatrix.randomOrthogonal(n, new SplittableRandom(11)), l);
        SymmetricEigen.Result e = SymmetricEigen.decompose(a);
        double[] z = new double[n];
        SplittableRandom rng = new SplittableRandom(12);
        for (int i = 0; i < n; i++) z[i] = rng.nextBoolean() ? 1 : -1;
        Slq.Run r = Slq.run(new DenseOperator(CPU, DType.F64, a), CPU.fromDoubles(DType.F64, z), 200);
        assertEquals(n, r.nodes().length, "steps are capped at d");
        // With m = d the Ritz values are the eigenvalues and the weights (qᵀu_i)².
        for (int i = 0; i < n; i++) {
            assertEquals(e.values()[i], r.nodes()[i], 1e-9, "node " + i);
            double c = 0;
            double[] u = e.vector(i);
            for (int j = 0; j < n; j++) c += z[j] * u[j];
            assertEquals(c * c / n, r.weights()[i], 1e-9, "weight " + i);
        }
    }

    @Test
    void slqDensityIntegratesToOneAndMatchesTheSpectrum() {
        int n = 300;
        double[] l = spectrum(n, 13);
        DenseMatrix a = DenseMatrix.fromEigen(DenseMatrix.randomOrthogonal(n, new SplittableRandom(14)), l);
        double sigma = 0.15;
        double[] grid = Slq.grid(-5, 10, 1501);
        for (DType dt : new DType[]{DType.F64, DType.F32}) {
            Slq.Density dens = Slq.estimate(new DenseOperator(CPU, dt, a), 40, 30, 8, 15, grid, sigma);
            assertEquals(40, dens.runs().size());
            assertEquals(40 * 30, dens.hvps());
            double h = grid[1] - grid[0];
            double integral = 0;
            for (int i = 0; i < grid.length; i++) integral += dens.density()[i] * (i == 0 || i == grid.length - 1 ? 0.5 : 1) * h;
            assertEquals(1.0, integral, 1e-6, "density integrates to 1 (grid covers the spectrum ± 5σ)");
            // First moment Σ w θ averaged over runs is a Hutchinson estimate of tr(A)/d: within 4 s.e.
            double[] m1 = dens.runs().stream().mapToDouble(r -> r.moment(1)).toArray();
            double mean = 0, var = 0;
            for (double x : m1) mean += x / m1.length;
            for (double x : m1) var += (x - mean) * (x - mean) / (m1.length - 1);
            double se = Math.sqrt(var / m1.length);
            assertTrue(Math.abs(mean - a.trace() / n) <= 4 * se + 1e-12, dt + " mean " + mean + " ± " + se + " vs " + a.trace() / n);
            // Against the exact smoothed density (1/d) Σ_i N(t; λ_i, σ²): L1 distance small.
            double l1 = 0;
            for (int i = 0; i < grid.length; i++) {
                double ref = 0;
                for (double x : l) ref += Math.exp(-0.5 * Math.pow((grid[i] - x) / sigma, 2));
                ref /= n * sigma * Math.sqrt(2 * Math.PI);
                l1 += Math.abs(ref - dens.density()[i]) * h;
            }
            assertTrue(l1 < 0.15, dt + " L1 distance to the true smoothed density " + l1);
            // The outliers 8 and −3 appear as Ritz values in (nearly) every run.
            for (Slq.Run r : dens.runs()) {
                assertEquals(8.0, r.nodes()[0], 1e-3);
                assertEquals(-3.0, r.nodes()[r.nodes().length - 1], 1e-3);
            }
        }
    }

    @Test
    void slqLockstepBatchesMatchSingleProbes() {
        int n = 90;
        DenseMatrix a = DenseMatrix.fromEigen(DenseMatrix.randomOrthogonal(n, new SplittableRandom(17)), spectrum(n, 18));
        DenseOperator op = new DenseOperator(CPU, DType.F64, a);
        List<Slq.Run> one = Slq.runs(op, 5, 12, 1, 19);
        List<Slq.Run> four = Slq.runs(op, 5, 12, 4, 19); // groups of 4 and 1, same probes
        for (int r = 0; r < 5; r++) {
            assertArrayEquals(one.get(r).nodes(), four.get(r).nodes(), 1e-10);
            assertArrayEquals(one.get(r).weights(), four.get(r).weights(), 1e-10);
        }
    }

    @Test
    void slqStopsAtAnInvariantSubspace() {
        // Three distinct eigenvalues: the Krylov space of any probe has dimension 3, so the
        // quadrature is exact with 3 nodes (the eigenvalues) and weights = mass of each eigenspace.
        int n = 30;
        double[] l = new double[n];
        for (int i = 0; i < n; i++) l[i] = i < 5 ? 4.0 : i < 15 ? 1.0 : -2.0;
        double[] z = new double[n];
        for (int i = 0; i < n; i++) z[i] = (i % 3 == 0) ? -1 : 1;
        Slq.Run r = Slq.run(new DenseOperator(CPU, DType.F64, DenseMatrix.diagonal(l)), CPU.fromDoubles(DType.F64, z), 10);
        assertArrayEquals(new double[]{4, 1, -2}, r.nodes(), 1e-12);
        assertArrayEquals(new double[]{5.0 / 30, 10.0 / 30, 15.0 / 30}, r.weights(), 1e-12);
    }

    @Test
    void pooledMeasureHasTotalMassN() {
        List<Slq.Run> runs = List.of(new Slq.Run(new double[]{2, 1}, new double[]{0.25, 0.75}),
                new Slq.Run(new double[]{3}, new double[]{1.0}));
        Slq.Measure nu = Slq.pooled(runs, 10);
        assertArrayEquals(new double[]{2, 1, 3}, nu.nodes(), 0.0);
        assertArrayEquals(new double[]{1.25, 3.75, 5.0}, nu.masses(), 1e-15);
    }

    @Test
    void batchSharpnessOfQuadraticMinibatches() {
        // L_B(w) = ½ (w − c_B)ᵀ A_B (w − c_B): g_B = A_B (w − c_B), H_B g_B = A_B g_B.
        int n = 25, batches = 6;
        SplittableRandom rng = new SplittableRandom(16);
        DenseMatrix[] a = new DenseMatrix[batches];
        double[][] c = new double[batches][];
        for (int b = 0; b < batches; b++) {
            a[b] = DenseMatrix.gaussian(n, n, rng).symmetrized();
            c[b] = DenseMatrix.gaussian(1, n, rng).a;
        }
        double[] w = DenseMatrix.gaussian(1, n, rng).a;
        MinibatchCurvature mc = new MinibatchCurvature() {
            public long dim() { return n; }
            public eoslab.backend.Backend backend() { return CPU; }
            public DType dtype() { return DType.F64; }
            public void gradAndHvp(long batchIndex, Tensor g, Tensor hg) {
                int b = (int) batchIndex;
                double[] r = new double[n];
                for (int i = 0; i < n; i++) r[i] = w[i] - c[b][i];
                double[] gb = a[b].times(r);
                CPU.copy(CPU.fromDoubles(DType.F64, gb), g);
                CPU.copy(CPU.fromDoubles(DType.F64, a[b].times(gb)), hg);
            }
        };
        BatchSharpness.Estimate e = BatchSharpness.estimate(mc, 0, batches);
        double mean = 0;
        for (int b = 0; b < batches; b++) {
            double[] r = new double[n];
            for (int i = 0; i < n; i++) r[i] = w[i] - c[b][i];
            double[] g = a[b].times(r), hg = a[b].times(g);
            double num = 0, den = 0;
            for (int i = 0; i < n; i++) { num += g[i] * hg[i]; den += g[i] * g[i]; }
            assertEquals(num / den, e.perBatch()[b], 1e-12 * Math.abs(num / den));
            mean += num / den / batches;
        }
        assertEquals(mean, e.mean(), 1e-12 * Math.abs(mean));
        assertEquals(0, e.skipped());
        assertTrue(e.stdError() > 0);
    }
}
