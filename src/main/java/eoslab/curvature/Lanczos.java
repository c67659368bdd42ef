package eoslab.curvature;

import eoslab.backend.Backend;
import eoslab.linalg.DenseMatrix;
import eoslab.linalg.SymmetricEigen;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Top-k eigenpairs of a symmetric operator by block Lanczos with full reorthogonalization and
 * thick restarts.
 *
 * <p><b>Algorithm.</b> The basis V = [v_0, v_1, …] is orthonormal; it grows one block of b vectors
 * per operator call (b = 1 is plain Lanczos; b &gt; 1 uses the operator's batched apply, which for
 * a Hessian shares one primal pass over the data). Each new block A V_j is orthogonalized against
 * the whole basis by Gram–Schmidt run twice, and the coefficients, which are the Rayleigh quotients
 * v_iᵀ A v_j accumulated in float64, fill the projected matrix T = Vᵀ A V directly. This is the
 * "Lanczos with full reorthogonalization" of Golub &amp; Van Loan §10.3.1 written in its Arnoldi
 * form, so it stays correct after a thick restart, where T is no longer (block) tridiagonal.
 * The remainder is QR-factored into the next block: A V_applied = V_applied T + V_next R E_lastᵀ,
 * so a Ritz pair (θ, y = V s) has residual ‖A y − θ y‖ = ‖R s_last‖ (s_last: the entries of s on
 * the last block) at no cost. When every wanted pair's estimate meets
 * {@code ‖A y − θ y‖ ≤ tol·|θ| + atol}, the Ritz vectors are formed (one GEMM) and their true
 * residuals are computed with one more batched apply of k vectors; only those decide convergence.
 *
 * <p><b>Thick restart</b> (Wu &amp; Simon 2000, SIAM J. Matrix Anal. Appl. 22(2)): when the basis
 * reaches {@code maxBasis}, the best {@code keep = k + (maxBasis − k − 2b)/2} Ritz vectors become the
 * new basis (their block of T is diag θ) followed by the not-yet-applied block, which is orthogonal
 * to all of them.
 *
 * <p><b>Warm start.</b> With w previous eigenvectors and block size b: if b ≥ w the first block is
 * those vectors (plus random vectors to fill it); if b &lt; w, start vector j is the sum of the
 * previous vectors i ≡ j (mod b), so b = 1 starts from their sum. Each start vector gets a random
 * perturbation of relative size {@code warmNoise} (default 1e-4), so an eigenvector that was not
 * among the previous k (an eigenvalue crossing) still has a component to grow from; a larger
 * perturbation only costs iterations (on the test problem, 1e-2 instead of 1e-4 took 37 instead of
 * 31 steps, against 53 from a cold start).
 *
 * <p><b>Block size.</b> A block of b vectors raises the Krylov polynomial degree by one per call,
 * not by b, so for well-separated eigenvalues b &gt; 1 needs more operator-vector products in total
 * (about 2.5× for b = 3 on the test problem) but fewer calls, and resolves multiple eigenvalues
 * that one start vector cannot see. Choose b &gt; 1 when one batched apply of b vectors costs much
 * less than b single applies (HVPs sharing one primal pass on a GPU).
 *
 * <p><b>Memory</b> on the backend: (maxBasis + b) basis vectors, b for A V_j and max(k, keep) for
 * Ritz vectors: about (2·maxBasis + b)·d elements, d = dim (e.g. maxBasis = 20, d = 10^8, F32:
 * 16 GB — lower maxBasis for very large d). The host holds maxBasis² doubles.
 *
 * <p>If the budget ({@code maxRestarts}) runs out, power (subspace) iteration warm-started from the
 * current Ritz vectors takes over when {@code powerFallback} is set; the result says so
 * ({@link EigenResult#usedFallback()}) and a warning is logged.
 */
public final class Lanczos {
    private static final System.Logger LOG = System.getLogger(Lanczos.class.getName());

    private Lanczos() {
    }

    /**
     * @param blockSize     b, vectors per operator call (≥ 1)
     * @param maxBasis      basis vectors kept before a thick restart; 0 = max(20, 2k + 2b); at least k + 2b
     * @param maxRestarts   thick restarts before giving up (then power iteration if powerFallback)
     * @param tol           relative residual tolerance: ‖A v − θ v‖ ≤ tol·|θ| + atol (F32 operators: ≥ ~1e-5)
     * @param atol          absolute residual floor (0 = purely relative)
     * @param order         which end of the spectrum
     * @param warmNoise     relative size of the random perturbation added to warm-start vectors
     * @param seed          for the random start/perturbation vectors
     * @param powerFallback run {@link PowerIteration} when Lanczos exhausts its budget
     * @param powerMaxIter  iteration budget of that fallback
     */
    public record Options(int blockSize, int maxBasis, int maxRestarts, double tol, double atol, EigenOrder order,
                          double warmNoise, long seed, boolean powerFallback, int powerMaxIter) {
        public Options {
            if (blockSize < 1) throw new IllegalArgumentException("lanczos blockSize must be >= 1, got " + blockSize);
            if (maxBasis < 0) throw new IllegalArgumentException("lanczos maxBasis must be >= 0 (0 = auto), got " + maxBasis);
            if (maxRestarts < 0) throw new IllegalArgumentException("lanczos maxRestarts must be >= 0, got " + maxRestarts);
            if (!(tol > 0) || !(tol < 1)) throw new IllegalArgumentException("lanczos tol must be in (0, 1), got " + tol);
            if (!(atol >= 0)) throw new IllegalArgumentException("lanczos atol must be >= 0, got " + atol);
            if (order == null) throw new IllegalArgumentException("lanczos order must be given");
            if (!(warmNoise >= 0) || warmNoise >= 1) throw new IllegalArgumentException("lanczos warmNoise must be in [0, 1), got " + warmNoise);
            if (powerMaxIter < 1) throw new IllegalArgumentException("lanczos powerMaxIter must be >= 1, got " + powerMaxIter);
        }

        /** b = 1, auto basis, 30 restarts, tol 1e-6, largest algebraic, warm noise 1e-4, power fallback (1000 iterations). */
        public static Options defaults() {
            return new Options(1, 0, 30, 1e-6, 0.0, EigenOrder.LARGEST_ALGEBRAIC, 1e-4, 0L, true, 1000);
        }

        public Options withBlockSize(int b) {
            return new Options(b, maxBasis, maxRestarts, tol, atol, order, warmNoise, seed, powerFallback, powerMaxIter);
        }

        public Options withMaxBasis(int m) {
            return new Options(blockSize, m, maxRestarts, tol, atol, order, warmNoise, seed, powerFallback, powerMaxIter);
        }

        public Options withMaxRestarts(int r) {
            return new Options(blockSize, maxBasis, r, tol, atol, order, warmNoise, seed, powerFallback, powerMaxIter);
        }

        public Options withTol(double t) {
            return new Options(blockSize, maxBasis, maxRestarts, t, atol, order, warmNoise, seed, powerFallback, powerMaxIter);
        }

        public Options withOrder(EigenOrder o) {
            return new Options(blockSize, maxBasis, maxRestarts, tol, atol, o, warmNoise, seed, powerFallback, powerMaxIter);
        }

        public Options withSeed(long s) {
            return new Options(blockSize, maxBasis, maxRestarts, tol, atol, order, warmNoise, s, powerFallback, powerMaxIter);
        }

        public Options withWarmNoise(double w) {
            return new Options(blockSize, maxBasis, maxRestarts, tol, atol, order, w, seed, powerFallback, powerMaxIter);
        }

        public Options withPowerFallback(boolean f) {
            return new Options(blockSize, maxBasis, maxRestarts, tol, atol, order, warmNoise, seed, f, powerMaxIter);
        }
    }

    /** {@link #topK(LinearOperator, int, Options, Tensor)} with a random start. */
    public static EigenResult topK(LinearOperator op, int k, Options o) {
        return topK(op, k, o, null);
    }

    /**
     * The k eigenpairs of {@code op} at the end given by {@code o.order()}.
     *
     * @param warmStart null, or (w, dim) previous eigenvectors back to back on the operator's backend
     *                  (e.g. the previous {@link EigenResult#vectors()})
     */
    public static EigenResult topK(LinearOperator op, int k, Options o, Tensor warmStart) {
        int d = Vectors.dim(op);
        if (k < 1 || k > d) throw new IllegalArgumentException("lanczos: k must be in [1, " + d + "], got " + k);
        Backend be = op.backend();
        DType dt = op.dtype();
        int b = Math.min(o.blockSize(), d);
        int m = o.maxBasis() == 0 ? Math.max(20, 2 * k + 2 * b) : o.maxBasis();
        if (m < k + 2 * b && m < d) {
            throw new IllegalArgumentException("lanczos: maxBasis " + m + " must be at least k + 2*blockSize = " + (k + 2 * b));
        }
        m = Math.min(m, d); // with m = d the basis can span the whole space and no restart is needed
        int keepMax = k + Math.max(0, (m - k - 2 * b) / 2);
        SplittableRandom rng = new SplittableRandom(o.seed());

        Tensor basis = be.zeros(dt, (long) (m + b) * d);        // (m + b, d)
        Tensor av = be.zeros(dt, (long) b * d);                 // (b, d) A applied to the current block
        Tensor ritz = be.zeros(dt, (long) Math.max(k, keepMax) * d); // (keep, d)
        double[][] t = new double[m][m];                         // T = V^T A V over applied vectors

        startBlock(basis, b, d, warmStart, o.warmNoise(), rng, av);
        int applied = 0, nb = b;
        long hvps = 0;
        int iterations = 0, restarts = 0, failedChecks = 0;
        EigenResult best = null;

        while (true) {
            int bs = nb - applied; // the pending block [applied, nb)
            op.apply(basis.view((long) applied * d, (long) bs * d), av.view(0, (long) bs * d), bs);
            hvps += bs;
            iterations += bs;
            // Orthogonalize A V_j against the whole basis; the coefficients are T's new columns.
            double[][] c = new double[bs][];
            for (int j = 0; j < bs; j++) {
                c[j] = new double[nb];
                Vectors.orthogonalize(basis, 0, nb, d, Vectors.row(av, j, d), c[j]);
            }
            for (int j = 0; j < bs; j++) {
                int col = applied + j;
                for (int i = 0; i < applied; i++) t[i][col] = t[col][i] = c[j][i];
                for (int i = 0; i < bs; i++) t[applied + i][col] = 0.5 * (c[j][applied + i] + c[i][applied + j]);
            }
            int lastStart = applied;
            applied = nb;
            // QR of the remainder into the next pending block; R (bsNew, bs) couples it to this block.
            int bsNew = Math.min(b, d - applied);
            double[][] r = new double[bsNew][bs];
            for (int l = 0; l < bsNew; l++) {
                Tensor slot = Vectors.row(basis, applied + l, d);
                if (l < bs) be.copy(Vectors.row(av, l, d), slot);
                else Vectors.gaussian(slot, rng);
                double[] coef = new double[applied + l];
                double norm = Vectors.orthonormalizeRow(basis, applied + l, d, rng, coef);
                if (l < bs) {
                    for (int i = 0; i < l; i++) r[i][l] += coef[applied + i];
                    r[l][l] = norm;
                }
            }
            nb = applied + bsNew;

            // Rayleigh–Ritz on T.
            Ritz rz = Ritz.of(t, applied, o.order());
            int want = Math.min(k, applied);
            double[] est = new double[want];
            boolean allSmall = want == k;
            for (int i = 0; i < want; i++) {
                est[i] = bsNew == 0 ? 0.0 : residualEstimate(r, rz.s, rz.idx[i], lastStart, bs);
                double shrink = Math.pow(0.1, failedChecks);
                if (!(est[i] <= shrink * (o.tol() * Math.abs(rz.values[i]) + o.atol()))) allSmall = false;
            }
            if (allSmall) {
                formRitz(basis, applied, d, rz, k, ritz, be, dt);
                double[] res = trueResiduals(op, ritz, rz.values, k, d, av, b);
                hvps += k;
                boolean ok = true;
                for (int i = 0; i < k; i++) if (!(res[i] <= o.tol() * Math.abs(rz.values[i]) + o.atol())) ok = false;
                best = new EigenResult(java.util.Arrays.copyOf(rz.values, k), copyRows(ritz, k, d, be, dt), d, res,
                        iterations, restarts, hvps, ok, false, "lanczos");
                if (ok) return best;
                failedChecks++;
            }
            if (bsNew == 0) break; // the basis spans R^d: T's Ritz pairs are exact up to rounding
            if (applied + bsNew > m) {
                if (restarts == o.maxRestarts()) break;
                // Thick restart: keep the best Ritz vectors, then the pending block.
                int keep = Math.min(keepMax, applied);
                formRitz(basis, applied, d, rz, keep, ritz, be, dt);
                for (int i = 0; i < keep; i++) be.copy(Vectors.row(ritz, i, d), Vectors.row(basis, i, d));
                for (int l = 0; l < bsNew; l++) {
                    if (keep + l != applied + l) be.copy(Vectors.row(basis, applied + l, d), Vectors.row(basis, keep + l, d));
                }
                for (double[] row : t) java.util.Arrays.fill(row, 0.0);
                for (int i = 0; i < keep; i++) t[i][i] = rz.values[i];
                applied = keep;
                nb = keep + bsNew;
                restarts++;
            }
        }

        // Budget exhausted (or the whole space was spanned without meeting tol: rounding floor).
        if (best == null || best.iterations() != iterations) {
            Ritz rz = Ritz.of(t, applied, o.order());
            formRitz(basis, applied, d, rz, k, ritz, be, dt);
            double[] res = trueResiduals(op, ritz, rz.values, k, d, av, b);
            hvps += k;
            boolean ok = true;
            for (int i = 0; i < k; i++) if (!(res[i] <= o.tol() * Math.abs(rz.values[i]) + o.atol())) ok = false;
            best = new EigenResult(java.util.Arrays.copyOf(rz.values, k), copyRows(ritz, k, d, be, dt), d, res,
                    iterations, restarts, hvps, ok, false, "lanczos");
            if (ok) return best;
        }
        if (!o.powerFallback()) return best;
        LOG.log(System.Logger.Level.WARNING, "Lanczos did not reach tol {0} for k={1} within {2} restarts "
                + "(max relative residual {3}); falling back to power iteration", o.tol(), k, restarts, best.maxRelativeResidual());
        EigenResult p = PowerIteration.topK(op, k, new PowerIteration.Options(o.powerMaxIter(), o.tol(), o.atol(), o.order(), o.seed()),
                best.vectors());
        long total = hvps + p.hvps();
        int allIterations = iterations + p.iterations();
        if (!p.converged() && best.maxRelativeResidual() < p.maxRelativeResidual()) {
            // Neither converged; keep the better pairs, still flagged as a fallback run.
            return new EigenResult(best.values(), best.vectors(), d, best.residuals(), allIterations, restarts,
                    total, false, true, "lanczos→power (lanczos pairs kept)");
        }
        return new EigenResult(p.values(), p.vectors(), d, p.residuals(), allIterations, restarts,
                total, p.converged(), true, "lanczos→power");
    }

    /** Ritz values in the requested order, with their coefficient vectors (columns of s). */
    record Ritz(double[] values, DenseMatrix s, int[] idx) {
        static Ritz of(double[][] t, int n, EigenOrder order) {
            DenseMatrix tm = new DenseMatrix(n, n);
            for (int i = 0; i < n; i++) System.arraycopy(t[i], 0, tm.a, i * n, n);
            SymmetricEigen.Result e = SymmetricEigen.decompose(tm);
            int[] idx = order.order(e.values());
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = e.values()[idx[i]];
            return new Ritz(v, e.vectors(), idx);
        }
    }

    /** ‖R s_last‖ for Ritz vector column {@code col} of s; s_last = rows [lastStart, lastStart + bs). */
    private static double residualEstimate(double[][] r, DenseMatrix s, int col, int lastStart, int bs) {
        double sum = 0;
        for (double[] ri : r) {
            double x = 0;
            for (int j = 0; j < bs; j++) x += ri[j] * s.get(lastStart + j, col);
            sum += x * x;
        }
        return Math.sqrt(sum);
    }

    /** ritz[0..count) = Σ_i s[i, idx_j] v_i: one GEMM, (count, n) × (n, d). */
    private static void formRitz(Tensor basis, int n, int d, Ritz rz, int count, Tensor ritz, Backend be, DType dt) {
        double[] st = new double[count * n]; // (count, n) = S_sel^T
        for (int j = 0; j < count; j++) for (int i = 0; i < n; i++) st[j * n + i] = rz.s.get(i, rz.idx[j]);
        Tensor stT = be.fromDoubles(dt, st);
        be.gemm(false, false, count, d, n, 1.0, stT, n, basis, d, 0.0, ritz, d);
    }

    /** ‖A y_i − θ_i y_i‖ for the first k rows of {@code y}, applying in chunks of the scratch's size. */
    static double[] trueResiduals(LinearOperator op, Tensor y, double[] theta, int k, int d, Tensor scratch, int scratchRows) {
        Backend be = op.backend();
        double[] res = new double[k];
        for (int lo = 0; lo < k; lo += scratchRows) {
            int cnt = Math.min(scratchRows, k - lo);
            op.apply(y.view((long) lo * d, (long) cnt * d), scratch.view(0, (long) cnt * d), cnt);
            for (int j = 0; j < cnt; j++) {
                Tensor ay = Vectors.row(scratch, j, d);
                be.axpby(-theta[lo + j], Vectors.row(y, lo + j, d), 1.0, ay);
                res[lo + j] = Vectors.norm(ay);
            }
        }
        return res;
    }

    private static Tensor copyRows(Tensor src, int k, int d, Backend be, DType dt) {
        Tensor out = be.zeros(dt, (long) k * d);
        be.copy(src.view(0, (long) k * d), out);
        return out;
    }

    /** Rows [0, b) of basis: the start block (see the class comment), orthonormalized. */
    private static void startBlock(Tensor basis, int b, int d, Tensor warm, double warmNoise, SplittableRandom rng, Tensor scratch) {
        Backend be = basis.backend;
        int w = 0;
        if (warm != null) {
            if (warm.size % d != 0 || warm.size == 0) {
                throw new IllegalArgumentException("lanczos warm start: size " + warm.size + " is not a positive multiple of dim " + d);
            }
            if (warm.backend != be) {
                throw new IllegalArgumentException("lanczos warm start lives on backend " + warm.backend.name() + ", operator on " + be.name());
            }
            w = (int) (warm.size / d);
        }
        Tensor noise = Vectors.row(scratch, 0, d);
        for (int j = 0; j < b; j++) {
            Tensor slot = Vectors.row(basis, j, d);
            if (w == 0 || (b >= w && j >= w)) {
                Vectors.gaussian(slot, rng);
                continue;
            }
            be.fill(slot, 0.0);
            for (int i = j; i < w; i += b) {
                be.copy(Vectors.row(warm, i, d), noise); // converts dtype if the warm start differs
                be.axpby(1.0, noise, 1.0, slot);
            }
            double n = Vectors.norm(slot);
            if (warmNoise > 0 || !(n > 0)) {
                Vectors.gaussian(noise, rng);
                double scale = n > 0 ? warmNoise * n / Vectors.norm(noise) : 1.0;
                be.axpby(scale, noise, 1.0, slot);
            }
        }
        for (int j = 0; j < b; j++) Vectors.orthonormalizeRow(basis, j, d, rng, null);
    }
}
