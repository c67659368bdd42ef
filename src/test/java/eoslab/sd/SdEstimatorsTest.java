package eoslab.sd;

import eoslab.backend.Act;
import eoslab.backend.CpuBackend;
import eoslab.data.DataOptions;
import eoslab.data.Dataset;
import eoslab.data.Datasets;
import eoslab.data.Split;
import eoslab.linalg.DenseMatrix;
import eoslab.linalg.SymmetricEigen;
import eoslab.nn.Loss;
import eoslab.nn.Mlp;
import eoslab.nn.Objective;
import eoslab.nn.ParamSpec;
import eoslab.nn.Sequential;
import eoslab.optim.BatchSchedule;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The SD estimators against dense decompositions and known spectra (SPEC §3). */
class SdEstimatorsTest {
    static final CpuBackend BE = CpuBackend.INSTANCE;

    /** Small tanh MLP 6-8-3 (d = 83) on 3 Gaussian clusters, CE, float64. */
    static Objective mlp() {
        Split s = Datasets.load("gaussian:k=3,dim=6,sep=3", DataOptions.defaults().withSizes(96, 16).withSeed(3));
        Sequential m = Mlp.of(new int[]{6, 8, 3}, Act.TANH, true);
        return new Objective(BE, DType.F64, m, Loss.MSE, s.train(), 64);
    }

    static Tensor init(Objective f, long seed, double scale) {
        return BE.fromDoubles(DType.F64, f.model().init(seed, scale));
    }

    /** Largest eigenvalue over the first {@code batches} minibatch Hessians, densely. */
    static double maxEig(Objective f, Tensor w, long seed, int batchSize, int batches) {
        BatchSchedule s = new BatchSchedule(seed, f.n(), batchSize);
        double m = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < batches; t++) m = Math.max(m, SymmetricEigen.eigenvalues(SdEstimators.minibatchHessian(f, w, s.batch(t), 8))[0]);
        return m;
    }

    /**
     * At lr = c/λ_max with weight decay η·wd = 0.5, the bulk of the spectrum contracts (z ≈ ln 0.5)
     * and the top eigenvalues expand, so SD sits well inside (0, d): ≈ 20 (c = 2) and ≈ 45 (c = 3.5).
     * Tolerance atol 0.5 + rtol 0.05·SD_exact: PS with M quantiles of the pooled measure is the same
     * cumulative sum as EXACT with each eigenvalue replaced by its quantile, so it moves the crossing
     * of Σ λ_i = 0 by at most about one quantile's mass (d/M = 1) plus the difference between pooling
     * the minibatches and averaging their order statistics; SD-PS through SLQ adds the quadrature
     * noise of R = 16 one-probe runs (observed |Δ| ≤ 1.5 here; the exact-measure PS is within 0.1).
     */
    @Test
    void exactAndPartialSumsAgreeOnASmallMlp() {
        Objective f = mlp();
        Tensor w = init(f, 1, 2.0);
        double lmax = maxEig(f, w, 7, 64, 4);
        for (double c : new double[]{2, 3.5}) {
            double lr = c / lmax;
            UpdateJacobian jac = new UpdateJacobian(lr, 0, 0.5 / lr);
            SdOptions o = new SdOptions(SdOptions.Method.EXACT, 4, 64, 40, 1e-8, 83, 100, 0, 7, 16);
            SdEstimate ex = SdEstimators.estimate(f, w, jac, o);
            assertEquals(83 * 4, ex.hvps());
            assertTrue(ex.sd() > 10 && ex.sd() < 70, "SD inside (0, d): " + ex.sd());
            double tol = 0.5 + 0.05 * ex.sd();
            SdEstimate psExact = SdEstimators.fromMeasure(ex.alpha(), ex.alphaMass(), ex.dim(), jac, o.withMethod(SdOptions.Method.PS));
            assertEquals(ex.sd(), psExact.sd(), tol, "PS of the exact pooled measure, c = " + c);
            SdEstimate ps = SdEstimators.estimate(f, w, jac, o.withMethod(SdOptions.Method.PS).withBatches(16));
            assertEquals(ex.sd(), ps.sd(), tol, "SD-PS through SLQ, c = " + c);
            assertEquals(16 * 40, ps.hvps(), "R·m Hessian-vector products");
            SdEstimate slq = SdEstimators.estimate(f, w, jac, o.withMethod(SdOptions.Method.SLQ).withBatches(16));
            assertEquals(ex.sd(), slq.sd(), tol, "SD-SLQ (histogram), c = " + c);
            // KDE with a narrow kernel (h = 0.02 in ln σ, 400 grid points) is the histogram's limit; the default
            // Silverman width smooths mass across z = 0 and moves SD by several units at this d (not asserted)
            SdOptions narrow = new SdOptions(SdOptions.Method.KDE, 16, 64, 40, 1e-8, 83, 400, 0.02, 7, 16);
            assertEquals(ex.sd(), SdEstimators.estimate(f, w, jac, narrow).sd(), tol, "SD-KDE, c = " + c);
        }
    }

    /** Linear model + MSE: H_B = (1/|B|) Σ_{i∈B} x̃_i x̃_iᵀ with x̃ = (x, 1) in the parameter layout. */
    static DenseMatrix linearHessian(Objective f, int[] rows) {
        Dataset data = f.data();
        int d = (int) f.dim(), p = data.features();
        ParamSpec weight = f.model().params().get(0), bias = f.model().params().get(1);
        assertEquals(p, weight.size());
        DenseMatrix h = new DenseMatrix(d, d);
        double[] xt = new double[d];
        for (int r : rows) {
            for (int j = 0; j < p; j++) xt[(int) weight.offset() + j] = data.x()[r * p + j];
            xt[(int) bias.offset()] = 1;
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) h.a[i * d + j] += xt[i] * xt[j] / rows.length;
        }
        return h;
    }

    static Objective linearRegression() {
        Split s = Datasets.load("teacher:dim=5,out=1,hidden=0,noise=0.1", DataOptions.defaults().withSizes(80, 10).withSeed(2));
        Sequential m = Mlp.of(new int[]{5, 1}, Act.TANH, true); // no hidden layer: the activation is unused
        return new Objective(BE, DType.F64, m, Loss.MSE, s.train(), 32);
    }

    /** EXACT's λ_k on a quadratic loss equals the average of the sorted ln|1 − ηα| of the known minibatch Hessians. */
    @Test
    void exactExponentsOfLinearRegressionMatchTheKnownHessians() {
        Objective f = linearRegression();
        Tensor w = init(f, 4, 1.0);
        int d = (int) f.dim(), batches = 5, bs = 16;
        long seed = 11;
        BatchSchedule sched = new BatchSchedule(seed, f.n(), bs);
        double lmax = 0;
        for (int t = 0; t < batches; t++) lmax = Math.max(lmax, SymmetricEigen.eigenvalues(linearHessian(f, sched.batch(t)))[0]);
        double lr = 3.0 / lmax;
        double[] ref = new double[d];
        for (int t = 0; t < batches; t++) {
            double[] a = SymmetricEigen.eigenvalues(linearHessian(f, sched.batch(t)));
            double[] z = new double[d];
            for (int i = 0; i < d; i++) z[i] = Math.log(Math.abs(1 - lr * a[i]));
            Arrays.sort(z);
            for (int k = 0; k < d; k++) ref[k] += z[d - 1 - k] / batches;
        }
        SdEstimate e = SdEstimators.estimate(f, w, lr, new SdOptions(SdOptions.Method.EXACT, batches, bs, 10, 0.0, 10, 10, 0, seed, 4));
        // float64 HVPs of a quadratic are exact up to rounding: atol 1e-9 + rtol 1e-9
        for (int k = 0; k < d; k++) assertEquals(ref[k], e.lambda()[k], 1e-9 + 1e-9 * Math.abs(ref[k]), "λ_" + (k + 1));
        assertEquals(SharpnessDimension.ofExponents(ref).sd(), e.sd(), 1e-9);
        assertTrue(e.sd() > 0 && e.sd() < d, "a mixed spectrum: " + e.sd());
    }

    /** Heavy ball through EXACT: λ_k against the sorted log singular values of the dense 2d × 2d Jacobians. */
    @Test
    void exactHeavyBallExponentsMatchTheDenseStateJacobian() {
        Objective f = linearRegression();
        Tensor w = init(f, 4, 1.0);
        int d = (int) f.dim(), batches = 3, bs = 16;
        long seed = 5;
        double lr = 0.2, beta = 0.9, wd = 1e-3;
        BatchSchedule sched = new BatchSchedule(seed, f.n(), bs);
        double[] ref = new double[2 * d];
        for (int t = 0; t < batches; t++) {
            DenseMatrix h = linearHessian(f, sched.batch(t));
            DenseMatrix j = new DenseMatrix(2 * d, 2 * d);
            for (int r = 0; r < d; r++) {
                for (int c = 0; c < d; c++) {
                    double a = h.get(r, c) + (r == c ? wd : 0);
                    j.set(r, c, (r == c ? 1 : 0) - lr * a);
                    j.set(d + r, c, a);
                }
                j.set(r, d + r, -lr * beta);
                j.set(d + r, d + r, beta);
            }
            double[] ev = SymmetricEigen.eigenvalues(j.transpose().times(j)); // σ², descending
            for (int k = 0; k < 2 * d; k++) ref[k] += 0.5 * Math.log(ev[k]) / batches;
        }
        SdEstimate e = SdEstimators.estimate(f, w, new UpdateJacobian(lr, beta, wd),
                new SdOptions(SdOptions.Method.EXACT, batches, bs, 10, 0.0, 10, 10, 0, seed, 4));
        assertEquals(2 * d, e.lambda().length);
        // σ² from JᵀJ loses relative accuracy ~1e-16·σ_1²/σ_k² for the small σ: atol 1e-8 + rtol 1e-8
        for (int k = 0; k < 2 * d; k++) assertEquals(ref[k], e.lambda()[k], 1e-8 + 1e-8 * Math.abs(ref[k]), "λ_" + (k + 1));
        // Σ_k λ_k = d·ln β per step (|det J| = β^d)
        assertEquals(d * Math.log(beta), Arrays.stream(e.lambda()).sum(), 1e-10);
    }

    @Test
    void edgeCasesThroughTheEstimator() {
        Objective f = linearRegression();
        Tensor w = init(f, 4, 1.0);
        long seed = 11;
        int bs = 16, d = (int) f.dim();
        BatchSchedule sched = new BatchSchedule(seed, f.n(), bs);
        double lmax = 0, lmin = Double.POSITIVE_INFINITY;
        for (int t = 0; t < 3; t++) {
            double[] a = SymmetricEigen.eigenvalues(linearHessian(f, sched.batch(t)));
            lmax = Math.max(lmax, a[0]);
            lmin = Math.min(lmin, a[d - 1]);
        }
        assertTrue(lmin > 0, "16 rows of 6 features: every H_B is positive definite");
        for (SdOptions.Method m : SdOptions.Method.values()) {
            SdOptions o = new SdOptions(m, 3, bs, d, 0.0, 50, 20, 0, seed, 3);
            // η = 0.99/λ_max: every σ = |1 − ηα| in [0.01, 1), λ_1 < 0 → SD = 0 (exactly 1/λ_max would
            // make the top σ exactly 0 whenever the estimator's Hessian matches this one bit for bit)
            assertEquals(0.0, SdEstimators.estimate(f, w, 0.99 / lmax, o).sd(), 0.0, m + ": λ_1 < 0");
            // η = 3/λ_min: every ηα > 2, every σ > 1, j* = d → SD = d
            assertEquals(d, SdEstimators.estimate(f, w, 3.0 / lmin, o).sd(), 1e-9, m + ": j* = d");
        }
        // ε = 0 with a singular value exactly 0 (η = 1/α): a clear error, not −∞
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> UpdateJacobian.sgd(0.5).logSigmas(2.0, 0.0, new double[1], 0));
        assertTrue(ex.getMessage().contains("--eps"));
        assertEquals(Math.log(1e-3), logSigma(0.5, 2.0, 1e-3), 1e-15);
    }

    static double logSigma(double lr, double alpha, double eps) {
        double[] z = new double[1];
        UpdateJacobian.sgd(lr).logSigmas(alpha, eps, z, 0);
        return z[0];
    }

    @Test
    void measuresHaveTotalMassN() {
        Objective f = mlp();
        Tensor w = init(f, 1, 2.0);
        int d = (int) f.dim();
        for (UpdateJacobian jac : new UpdateJacobian[]{UpdateJacobian.sgd(0.5), new UpdateJacobian(0.5, 0.9, 1e-3)}) {
            for (SdOptions.Method m : new SdOptions.Method[]{SdOptions.Method.SLQ, SdOptions.Method.KDE, SdOptions.Method.PS}) {
                SdEstimate e = SdEstimators.estimate(f, w, jac, new SdOptions(m, 3, 32, 12, 1e-8, 40, 30, 0, 5, 4));
                double n = jac.stateDim(d);
                assertEquals(n, e.stateDim());
                // masses are sums of (d/R)·w_il with Σ_l w_il = 1: atol 1e-9·N
                assertEquals(n, e.totalMass(), 1e-9 * n, m + " " + jac);
                double alphaMass = Arrays.stream(e.alphaMass()).sum();
                assertEquals(d, alphaMass, 1e-9 * d, "pooled Ritz measure ν has mass d");
                assertTrue(e.sd() >= 0 && e.sd() <= n, "SD in [0, N]: " + e.sd());
            }
        }
    }

    /** The heavy-ball singular values per eigenvalue are those of the dense 2d × 2d Jacobian. */
    @Test
    void momentumSingularValuesMatchTheDenseJacobian() {
        SplittableRandom rng = new SplittableRandom(9);
        int d = 5;
        double lr = 0.3, beta = 0.9, wd = 0.01;
        DenseMatrix q = DenseMatrix.randomOrthogonal(d, rng);
        double[] alpha = {-1.0, 0.2, 3.0, 7.0, 12.0};
        DenseMatrix h = DenseMatrix.fromEigen(q, alpha);
        DenseMatrix j = new DenseMatrix(2 * d, 2 * d);
        for (int r = 0; r < d; r++) {
            for (int c = 0; c < d; c++) {
                double a = h.get(r, c) + (r == c ? wd : 0);
                j.set(r, c, (r == c ? 1 : 0) - lr * a);   // ∂w'/∂w
                j.set(d + r, c, a);                        // ∂m'/∂w
            }
            j.set(r, d + r, -lr * beta);                   // ∂w'/∂m
            j.set(d + r, d + r, beta);                     // ∂m'/∂m
        }
        double[] ev = SymmetricEigen.eigenvalues(j.transpose().times(j));
        double[] dense = new double[2 * d];
        for (int i = 0; i < 2 * d; i++) dense[i] = Math.sqrt(Math.max(0, ev[i]));
        UpdateJacobian jac = new UpdateJacobian(lr, beta, wd);
        double[] blocks = new double[2 * d];
        for (int i = 0; i < d; i++) jac.singularValues(alpha[i], blocks, 2 * i);
        Arrays.sort(blocks);
        for (int i = 0; i < 2 * d; i++) {
            double ref = dense[i]; // descending
            assertEquals(ref, blocks[2 * d - 1 - i], 1e-10 + 1e-10 * ref, "σ_" + (i + 1));
        }
        // SGD form: σ = |1 − η(α + wd)|
        double[] s = new double[1];
        new UpdateJacobian(lr, 0, wd).singularValues(12.0, s, 0);
        assertEquals(Math.abs(1 - lr * 12.01), s[0], 1e-15);
    }

    @Test
    void quantilesOfADiscreteMeasure() {
        // ν = 1·δ(0) + 3·δ(10) (total 4), M = 4 quantiles at F⁻¹(1/8, 3/8, 5/8, 7/8) = 0, 10, 10, 10,
        // each of mass 1; η = 0.05: z = ln 1 = 0 and ln|1 − 0.5| = ln 0.5
        SdEstimators.Atoms a = SdEstimators.quantileAtoms(new double[]{10, 0}, new double[]{3, 1}, 4, UpdateJacobian.sgd(0.05), 0);
        double l = Math.log(0.5);
        assertArrayEquals(new double[]{0, l, l, l}, a.z(), 1e-15);
        assertArrayEquals(new double[]{1, 1, 1, 1}, a.mass(), 1e-15);
        // histogram of the z measure {0: 1, ln 0.5: 3, 0.9·ln 0.5: 1} with 2 bins: the lower bin holds
        // ln 0.5 (3) and 0.9 ln 0.5 (1), mean 0.975 ln 0.5; the upper bin holds 0 — bin means, not centres
        SdEstimators.Atoms hst = SdEstimators.histogramAtoms(new SdEstimators.Atoms(new double[]{0, l, 0.9 * l},
                new double[]{1, 3, 1}, Double.NaN), 2);
        assertArrayEquals(new double[]{0.975 * l, 0}, hst.z(), 1e-15);
        assertArrayEquals(new double[]{4, 1}, hst.mass(), 1e-15);
    }

    /** KDE cells: mass and mean of a two-kernel mixture on each cell against brute-force quadrature. */
    @Test
    void kdeCellsMatchQuadrature() {
        double h = 0.4;
        double[] z = {-1, 0.3, 1}, m = {2, 1, 1};
        SdEstimators.Atoms k = SdEstimators.kdeAtoms(new SdEstimators.Atoms(z, m, Double.NaN), 4, h);
        assertEquals(h, k.bandwidth());
        // reference: trapezoid rule with 200,000 panels on [−1, 1], plus the tails on [−7, −1] and [1, 7]
        // (beyond 15 kernel widths of every atom: < 1e-40) at the edge of their side's cell
        int steps = 200_000;
        double[] mass = new double[4], first = new double[4];
        double dt = 2.0 / steps;
        for (int i = 0; i <= 3 * steps; i++) {
            double t = -7 + i * 6.0 / (3 * steps), p = 0, dtt = 6.0 / (3 * steps);
            for (int a = 0; a < 3; a++) p += m[a] * Math.exp(-0.5 * Math.pow((t - z[a]) / h, 2)) / (h * Math.sqrt(2 * Math.PI));
            double wgt = (i == 0 || i == 3 * steps) ? 0.5 : 1;
            mass[0] += wgt * p * dtt;
            first[0] += wgt * p * dtt * -1;
            double tr = -t;   // the right tail mirrored: t in [1, 7]
            double pr = 0;
            for (int a = 0; a < 3; a++) pr += m[a] * Math.exp(-0.5 * Math.pow((tr - z[a]) / h, 2)) / (h * Math.sqrt(2 * Math.PI));
            mass[3] += wgt * pr * dtt;
            first[3] += wgt * pr * dtt;
        }
        for (int i = 0; i <= steps; i++) {
            double t = -1 + i * dt, p = 0;
            for (int a = 0; a < 3; a++) p += m[a] * Math.exp(-0.5 * Math.pow((t - z[a]) / h, 2)) / (h * Math.sqrt(2 * Math.PI));
            double wgt = (i == 0 || i == steps) ? 0.5 : 1;
            int c = Math.min(3, (int) ((t + 1) / 0.5));
            // a point on a cell edge belongs half to each side
            boolean edge = i % (steps / 4) == 0 && i > 0 && i < steps;
            if (edge) {
                mass[c - 1] += 0.5 * wgt * p * dt;
                first[c - 1] += 0.5 * wgt * t * p * dt;
                mass[c] += 0.5 * wgt * p * dt;
                first[c] += 0.5 * wgt * t * p * dt;
            } else {
                mass[c] += wgt * p * dt;
                first[c] += wgt * t * p * dt;
            }
        }
        assertEquals(4, k.z().length);
        for (int c = 0; c < 4; c++) {
            // erfc has fractional error < 1.2e-7; the trapezoid rule ~1e-10 here: atol 1e-6 + rtol 1e-6
            double refMass = mass[c], refMean = first[c] / mass[c];
            assertEquals(refMass, k.mass()[c], 1e-6 + 1e-6 * refMass, "cell " + c + " mass");
            assertEquals(refMean, k.z()[c], 1e-6 + 1e-6 * Math.abs(refMean), "cell " + c + " mean");
        }
        assertEquals(0.157299207050285, SdEstimators.erfc(1), 2e-7 * 0.1573);
        assertEquals(1.842700792949715, SdEstimators.erfc(-1), 2e-7 * 1.8427);
    }

    /**
     * The kernel tails beyond the extreme exponents stay on their side: on atoms z = (0.5, −1e-4, −0.05,
     * −0.3) with masses (1, 900, 60, 39) (exact SD 909.2), SD-KDE with h = 0.01 is within 0.5% of it
     * and the total mass is kept. Rescaling all cells for the lost tails (the old code) moved about half
     * of the extreme atoms' mass into the bulk: 923.9.
     */
    @Test
    void kdeKeepsTheTailsOnTheirSide() {
        double[] z = {0.5, -1e-4, -0.05, -0.3}, m = {1, 900, 60, 39};
        double exact = SharpnessDimension.ofAtoms(z, m).sd();
        assertEquals(909.2, exact, 0.05);
        SdEstimators.Atoms k = SdEstimators.kdeAtoms(new SdEstimators.Atoms(z, m, Double.NaN), 200, 0.01);
        assertEquals(1000, java.util.Arrays.stream(k.mass()).sum(), 1e-9);
        double sd = SharpnessDimension.ofAtoms(k.z(), k.mass()).sd();
        assertEquals(exact, sd, 0.005 * exact, "SD-KDE " + sd);
    }
}
