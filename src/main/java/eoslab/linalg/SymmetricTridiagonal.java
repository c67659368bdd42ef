package eoslab.linalg;

/**
 * Eigen-decomposition of a symmetric tridiagonal matrix T by the implicit QL algorithm with
 * Wilkinson-type shifts (EISPACK tql2; Bowdler, Martin, Reinsch & Wilkinson 1968, as in JAMA).
 *
 * <p>T has diagonal {@code alpha[0..n)} and off-diagonal {@code beta[0..n-1)}, {@code beta[i]}
 * coupling rows i and i+1 (the Lanczos recurrence's α and β).
 *
 * <p>The rotations are applied to the rows of {@code Z = V^T} (row i = eigenvector i), so each
 * rotation touches two contiguous rows. Tracking only the first column of Z costs O(n^2) in all and
 * yields the first components of the eigenvectors: the Gauss quadrature weights of Golub & Welsch
 * (1969, "Calculation of Gauss quadrature rules", Math. Comp. 23), which SLQ needs.
 */
public final class SymmetricTridiagonal {
    private static final int MAX_SWEEPS_PER_EIGENVALUE = 60;

    private SymmetricTridiagonal() {
    }

    /**
     * Eigenvalues (descending) and the first {@code c} components of each eigenvector.
     *
     * @param values  descending
     * @param vectors (n, c) row-major: row i holds components 0..c-1 of the eigenvector of values[i]
     */
    public record Partial(double[] values, double[] vectors, int components) {
    }

    /** Full eigen-decomposition: T = V diag(values) V^T, values descending, V's columns the eigenvectors. */
    public static SymmetricEigen.Result eigen(double[] alpha, double[] beta) {
        int n = alpha.length;
        Partial p = decompose(alpha, beta, n);
        // Rows of Z are eigenvectors; V = Z^T.
        DenseMatrix v = new DenseMatrix(n, n, p.vectors()).transpose();
        return new SymmetricEigen.Result(p.values(), v);
    }

    /** Eigenvalues only, descending. O(n^2). */
    public static double[] eigenvalues(double[] alpha, double[] beta) {
        return decompose(alpha, beta, 0).values();
    }

    /**
     * Gauss quadrature from a Jacobi matrix (Golub–Welsch): nodes are the eigenvalues of T
     * (descending) and weights the squared first components of its unit eigenvectors. For T from m
     * Lanczos steps on A with unit start vector q, Σ_l w_l f(θ_l) ≈ qᵀ f(A) q (exact for polynomials
     * of degree ≤ 2m−1), and Σ_l w_l = 1.
     */
    public static Quadrature gauss(double[] alpha, double[] beta) {
        Partial p = decompose(alpha, beta, 1);
        double[] w = new double[alpha.length];
        for (int i = 0; i < w.length; i++) w[i] = p.vectors()[i] * p.vectors()[i];
        return new Quadrature(p.values(), w);
    }

    /** Nodes (descending) and nonnegative weights of a discrete measure. */
    public record Quadrature(double[] nodes, double[] weights) {
        public Quadrature {
            if (nodes.length != weights.length) {
                throw new IllegalArgumentException("Quadrature: " + nodes.length + " nodes, " + weights.length + " weights");
            }
        }
    }

    /**
     * The general routine: eigenvalues descending and, for each, components 0..c-1 of its unit
     * eigenvector (c = 0: values only; c = 1: Golub–Welsch first components; c = n: everything).
     */
    public static Partial decompose(double[] alpha, double[] beta, int c) {
        int n = alpha.length;
        if (n == 0) return new Partial(new double[0], new double[0], c);
        if (beta.length != n - 1) {
            throw new IllegalArgumentException("tridiagonal: diagonal has " + n + " entries, off-diagonal needs "
                    + (n - 1) + ", got " + beta.length);
        }
        if (c < 0 || c > n) throw new IllegalArgumentException("tridiagonal: components must be in [0, " + n + "], got " + c);
        double[] z = new double[n * c];
        for (int i = 0; i < Math.min(n, c); i++) z[i * c + i] = 1.0;
        double[] d = alpha.clone();
        double[] e = new double[n];
        System.arraycopy(beta, 0, e, 0, n - 1);
        ql(d, e, z, c);
        return sortDescending(d, z, c);
    }

    /**
     * Implicit QL on (d, e) in place; e[i] couples i and i+1 and e[n-1] = 0 on entry. The rotations
     * are accumulated into the rows of z (n, c): z ← G^T z, starting from whatever z holds, so a
     * caller that starts from Q^T (the Householder reduction's) gets the eigenvectors of the full
     * matrix. On exit d holds the eigenvalues, unsorted.
     */
    static void ql(double[] d, double[] e, double[] z, int c) {
        int n = d.length;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(d[i]) || !Double.isFinite(e[i])) {
                throw new ArithmeticException("tridiagonal eigensolver: non-finite entry at row " + i);
            }
        }
        double f = 0.0, tst1 = 0.0;
        final double eps = Math.ulp(1.0);
        Rotations rot = c >= Rotations.MIN_COLUMNS ? new Rotations(z, c) : null;
        for (int l = 0; l < n; l++) {
            // Find a negligible subdiagonal element: below it the matrix splits.
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n) {
                if (Math.abs(e[m]) <= eps * tst1) break;
                m++;
            }
            if (m == n) m = n - 1; // e[n-1] = 0 always ends the search; guards tst1 = 0
            if (m > l) {
                int iter = 0;
                do {
                    if (++iter > MAX_SWEEPS_PER_EIGENVALUE) {
                        throw new ArithmeticException("tridiagonal eigensolver: no convergence for eigenvalue " + l
                                + " after " + MAX_SWEEPS_PER_EIGENVALUE + " QL sweeps");
                    }
                    // Implicit shift from the leading 2x2 block.
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double r = hypot(p, 1.0);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    // QL sweep from m-1 up to l, chasing the bulge with Givens rotations.
                    p = d[m];
                    double cc = 1.0, c2 = 1.0, c3 = 1.0;
                    double el1 = e[l + 1];
                    double s = 0.0, s2 = 0.0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = cc;
                        s2 = s;
                        g = cc * e[i];
                        h = cc * p;
                        r = hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        cc = p / r;
                        p = cc * d[i] - s * g;
                        d[i + 1] = h + s * (cc * g + s * d[i]);
                        // Rows i and i+1 of Z are eigenvector estimates i and i+1.
                        if (rot != null) {
                            rot.add(i, cc, s);
                            continue;
                        }
                        int ri = i * c, rj = (i + 1) * c;
                        for (int k = 0; k < c; k++) {
                            double zj = z[rj + k], zi = z[ri + k];
                            z[rj + k] = s * zi + cc * zj;
                            z[ri + k] = cc * zi - s * zj;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = cc * p;
                } while (Math.abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0.0;
        }
        if (rot != null) rot.flush();
    }

    /**
     * Deferred application of the QL rotations to Z (n, c). Applied one sweep at a time, every
     * sweep streams all of Z through memory (≈ n³·16 bytes in all: 35 s for n = 2000 on two cores);
     * buffered, a block of 32 columns of Z (n·256 bytes) stays in cache while thousands of rotations
     * are applied to it in their original order, and the column blocks run in parallel. The
     * arithmetic per element is unchanged, so the result is bit-identical to the direct loop.
     */
    private static final class Rotations {
        static final int MIN_COLUMNS = 64;
        static final int CAPACITY = 1 << 15;
        static final int COLUMNS_PER_TASK = 32;
        final double[] z;
        final int c;
        final int[] row = new int[CAPACITY];
        final double[] cos = new double[CAPACITY], sin = new double[CAPACITY];
        int count;

        Rotations(double[] z, int c) {
            this.z = z;
            this.c = c;
        }

        void add(int i, double cc, double s) {
            if (count == CAPACITY) flush();
            row[count] = i;
            cos[count] = cc;
            sin[count] = s;
            count++;
        }

        void flush() {
            final int n = count;
            if (n == 0) return;
            eoslab.util.Parallel.forEach(eoslab.util.Parallel.blocks(c, COLUMNS_PER_TASK), b -> {
                int k0 = b * COLUMNS_PER_TASK, k1 = Math.min(c, k0 + COLUMNS_PER_TASK);
                for (int r = 0; r < n; r++) {
                    int ri = row[r] * c, rj = ri + c;
                    double cc = cos[r], s = sin[r];
                    for (int k = k0; k < k1; k++) {
                        double zj = z[rj + k], zi = z[ri + k];
                        z[rj + k] = s * zi + cc * zj;
                        z[ri + k] = cc * zi - s * zj;
                    }
                }
            });
            count = 0;
        }
    }

    /** Sort eigenvalues descending, permuting the rows of z (n, c) alike. */
    static Partial sortDescending(double[] d, double[] z, int c) {
        int n = d.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(d[y], d[x]));
        double[] vals = new double[n];
        double[] zs = new double[n * c];
        for (int i = 0; i < n; i++) {
            vals[i] = d[order[i]];
            System.arraycopy(z, order[i] * c, zs, i * c, c);
        }
        return new Partial(vals, zs, c);
    }

    /** sqrt(a² + b²) without Math.hypot's cost, falling back to it where squaring could over/underflow. */
    static double hypot(double a, double b) {
        double m = Math.max(Math.abs(a), Math.abs(b));
        if (m > 1e150 || (m < 1e-150 && m > 0)) return Math.hypot(a, b);
        return Math.sqrt(a * a + b * b);
    }
}
