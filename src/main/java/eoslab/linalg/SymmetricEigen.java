package eoslab.linalg;

import eoslab.util.Parallel;

/**
 * Dense symmetric eigen-decomposition in float64: Householder reduction to tridiagonal form
 * followed by implicit QL ({@link SymmetricTridiagonal}). O(n^3): about (4/3)n^3 flops for the
 * eigenvalues alone, plus (4/3)n^3 to form Q and about 3n^3 for the QL rotations when the
 * eigenvectors are wanted (Golub & Van Loan, "Matrix Computations", 4th ed., §8.3).
 *
 * <p>The sharpness-dimension "exact" estimator needs only the eigenvalues of minibatch Hessians
 * with a few thousand parameters: {@link #eigenvalues} skips everything eigenvector-related.
 * Measured for n = 2000 on two shared cores: eigenvalues 6–8 s, eigenvalues and vectors 20 s.
 * Rows are processed in parallel on {@link Parallel}'s pool; each row's arithmetic does not depend
 * on the thread count, so results are bit-identical for any number of threads.
 *
 * <p>The input is read as {@code (A + A^T)/2}: Hessians assembled from float32 HVPs are symmetric
 * only up to rounding.
 */
public final class SymmetricEigen {
    private SymmetricEigen() {
    }

    /**
     * @param values  eigenvalues, descending
     * @param vectors (n, n); column i is the unit eigenvector of values[i], so A = V diag(values) V^T
     */
    public record Result(double[] values, DenseMatrix vectors) {
        /** Eigenvector i (column i of V) as a new array. */
        public double[] vector(int i) {
            return vectors.column(i);
        }
    }

    /** Eigenvalues and eigenvectors of symmetric A. */
    public static Result decompose(DenseMatrix a) {
        int n = checkSquare(a);
        if (n == 0) return new Result(new double[0], new DenseMatrix(0, 0));
        Tridiagonal t = tridiagonalize(a, true);
        double[] e = new double[n];
        System.arraycopy(t.beta, 0, e, 0, n - 1);
        double[] d = t.alpha.clone();
        SymmetricTridiagonal.ql(d, e, t.qt, n);
        SymmetricTridiagonal.Partial p = SymmetricTridiagonal.sortDescending(d, t.qt, n);
        // p.vectors rows are the eigenvectors; V = Z^T.
        return new Result(p.values(), new DenseMatrix(n, n, p.vectors()).transpose());
    }

    /** Eigenvalues of symmetric A, descending. */
    public static double[] eigenvalues(DenseMatrix a) {
        int n = checkSquare(a);
        if (n == 0) return new double[0];
        Tridiagonal t = tridiagonalize(a, false);
        return SymmetricTridiagonal.eigenvalues(t.alpha, t.beta);
    }

    /**
     * A = Q T Q^T with T tridiagonal (alpha on the diagonal, beta off it).
     *
     * @param qt (n, n) row-major Q^T when asked for, else null
     */
    public record Tridiagonal(double[] alpha, double[] beta, double[] qt) {
    }

    /**
     * Householder tridiagonalization (Golub & Van Loan, Alg. 8.3.1) on a full symmetric copy of A.
     *
     * <p>Step k reflects x = A[k+1:, k] onto β e_1 with H_k = I − τ v vᵀ (v_0 = 1, LAPACK dlarfg's
     * convention) and updates the trailing block as A22 ← A22 − v wᵀ − w vᵀ with p = τ A22 v,
     * w = p − (τ/2)(pᵀv) v. Both the product A22 v and the update stream the trailing block from
     * memory, so they are fused: while row i is updated for step k, its product with step k+1's
     * reflector is taken, which halves the memory traffic that dominates for n in the thousands.
     * The reflector v_k is kept in row k of the work array (columns k+1..), which step k no longer
     * needs.
     */
    public static Tridiagonal tridiagonalize(DenseMatrix a, boolean wantQ) {
        int n = checkSquare(a);
        double[] w = a.symmetrized().a; // (n, n) working copy
        double[] alpha = new double[n];
        double[] beta = new double[Math.max(0, n - 1)];
        double[] tau = new double[n];
        double[] p = new double[n];   // p = τ A22 v for the current step, indexed by row
        double[] ww = new double[n];  // w = p − K v
        if (n > 2) {
            reflector(w, n, 0, tau, beta);
            int k0 = 0;
            Parallel.forEach(Parallel.blocks(n - 1, ROWS_PER_TASK), b -> {
                int lo = 1 + b * ROWS_PER_TASK, hi = Math.min(n, lo + ROWS_PER_TASK);
                for (int i = lo; i < hi; i++) p[i] = tau[k0] * rowDot(w, n, i, k0 + 1, w, k0 * n);
            });
        }
        for (int k = 0; k < n - 2; k++) {
            alpha[k] = w[k * n + k];
            final int kk = k;
            final double t = tau[k];
            final int vo = k * n; // v_j = w[vo + j] for j > k+1, v_{k+1} = 1
            if (t != 0.0) {
                double pv = p[k + 1];
                for (int j = k + 2; j < n; j++) pv += p[j] * w[vo + j];
                double kHalf = 0.5 * t * pv;
                ww[k + 1] = p[k + 1] - kHalf;
                for (int j = k + 2; j < n; j++) ww[j] = p[j] - kHalf * w[vo + j];
                // Row k+1 first: step k+1's reflector is built from it.
                updateRow(w, n, k + 1, k, ww);
            }
            boolean next = k + 1 < n - 2;
            if (next) reflector(w, n, k + 1, tau, beta);
            else beta[k + 1] = w[(k + 1) * n + k + 2];
            final int k1 = k + 1;
            final boolean doUpdate = t != 0.0;
            Parallel.forEach(Parallel.blocks(n - k - 2, ROWS_PER_TASK), b -> {
                int lo = kk + 2 + b * ROWS_PER_TASK, hi = Math.min(n, lo + ROWS_PER_TASK);
                for (int i = lo; i < hi; i++) {
                    if (doUpdate) updateRow(w, n, i, kk, ww);
                    if (next) p[i] = tau[k1] * rowDot(w, n, i, k1 + 1, w, k1 * n);
                }
            });
        }
        if (n >= 2) {
            alpha[n - 2] = w[(n - 2) * n + n - 2];
            if (n == 2) beta[0] = w[1];
        }
        alpha[n - 1] = w[(n - 1) * n + n - 1];
        double[] qt = wantQ ? formQt(w, n, tau) : null;
        return new Tridiagonal(alpha, beta, qt);
    }

    private static final int ROWS_PER_TASK = 16;

    /**
     * Build H_k from row k (x = w[k, k+1:]): sets beta[k] and tau[k] and overwrites w[k, k+2:] with
     * v[1:] (v_0 = 1 is implicit). dlarfg: β = −sign(x_0)‖x‖, v = x / (x_0 − β), τ = (β − x_0)/β.
     */
    private static void reflector(double[] w, int n, int k, double[] tau, double[] beta) {
        int o = k * n;
        double x0 = w[o + k + 1];
        double sigma = 0;
        for (int j = k + 2; j < n; j++) sigma += w[o + j] * w[o + j];
        if (sigma == 0.0) {
            tau[k] = 0.0; // already reduced: H = I
            beta[k] = x0;
            return;
        }
        double norm = Math.sqrt(x0 * x0 + sigma);
        double b = x0 >= 0 ? -norm : norm;
        tau[k] = (b - x0) / b;
        double inv = 1.0 / (x0 - b);
        for (int j = k + 2; j < n; j++) w[o + j] *= inv;
        w[o + k + 1] = 1.0;
        beta[k] = b;
    }

    /**
     * Σ_{j ≥ from} w[i, j] v_j with v_from = 1 and v_j = v[vo + j] beyond (row i of the trailing
     * block times the reflector). Four partial sums so the JIT can pipeline the loop.
     */
    private static double rowDot(double[] w, int n, int i, int from, double[] v, int vo) {
        int o = i * n;
        double s0 = w[o + from], s1 = 0, s2 = 0, s3 = 0;
        int j = from + 1;
        for (; j + 3 < n; j += 4) {
            s0 += w[o + j] * v[vo + j];
            s1 += w[o + j + 1] * v[vo + j + 1];
            s2 += w[o + j + 2] * v[vo + j + 2];
            s3 += w[o + j + 3] * v[vo + j + 3];
        }
        for (; j < n; j++) s0 += w[o + j] * v[vo + j];
        return (s0 + s1) + (s2 + s3);
    }

    /** Row i of A22 ← A22 − v wᵀ − w vᵀ for step k (columns k+1..n-1). */
    private static void updateRow(double[] w, int n, int i, int k, double[] ww) {
        int o = i * n, vo = k * n;
        double vi = i == k + 1 ? 1.0 : w[vo + i];
        double wi = ww[i];
        w[o + k + 1] -= vi * ww[k + 1] + wi;
        for (int j = k + 2; j < n; j++) w[o + j] -= vi * ww[j] + wi * w[vo + j];
    }

    /**
     * Q^T = H_{n-3} ⋯ H_0, accumulated as Z ← Z H_k for k = n-3 down to 0 (backward accumulation,
     * G&VL §5.1.6): at step k only rows and columns k+1.. of Z differ from the identity, so the
     * cost is (4/3)n^3 and every operation runs along a row.
     */
    private static double[] formQt(double[] w, int n, double[] tau) {
        double[] z = new double[n * n];
        for (int i = 0; i < n; i++) z[i * n + i] = 1.0;
        for (int k = n - 3; k >= 0; k--) {
            double t = tau[k];
            if (t == 0.0) continue;
            final int kk = k, vo = k * n;
            Parallel.forEach(Parallel.blocks(n - k - 1, ROWS_PER_TASK), b -> {
                int lo = kk + 1 + b * ROWS_PER_TASK, hi = Math.min(n, lo + ROWS_PER_TASK);
                for (int i = lo; i < hi; i++) {
                    int o = i * n;
                    double s = z[o + kk + 1];
                    for (int j = kk + 2; j < n; j++) s += z[o + j] * w[vo + j];
                    s *= t;
                    z[o + kk + 1] -= s;
                    for (int j = kk + 2; j < n; j++) z[o + j] -= s * w[vo + j];
                }
            });
        }
        return z;
    }

    private static int checkSquare(DenseMatrix a) {
        if (a.rows != a.cols) throw new IllegalArgumentException("symmetric eigen: matrix is " + a.rows + "x" + a.cols + ", not square");
        for (double v : a.a) {
            if (!Double.isFinite(v)) throw new IllegalArgumentException("symmetric eigen: matrix has a non-finite entry");
        }
        return a.rows;
    }
}
