package eoslab.linalg;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A small dense float64 matrix on the host, row-major: {@code a[i * cols + j]}. It exists for the
 * projected problems of the curvature solvers (Lanczos' m x m matrix, Gram matrices) and for tests;
 * it is not a general linear-algebra library. Operations return new matrices unless they say
 * otherwise.
 */
public final class DenseMatrix {
    public final int rows;
    public final int cols;
    /** (rows, cols) row-major; shared, not copied. */
    public final double[] a;

    public DenseMatrix(int rows, int cols, double[] a) {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("DenseMatrix: negative shape " + rows + "x" + cols);
        if (a.length != (long) rows * cols) {
            throw new IllegalArgumentException("DenseMatrix: " + rows + "x" + cols + " needs " + (long) rows * cols
                    + " elements, got " + a.length);
        }
        this.rows = rows;
        this.cols = cols;
        this.a = a;
    }

    public DenseMatrix(int rows, int cols) {
        this(rows, cols, new double[Math.multiplyExact(rows, cols)]);
    }

    public static DenseMatrix identity(int n) {
        DenseMatrix m = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++) m.a[i * n + i] = 1.0;
        return m;
    }

    /** A copy of {@code rowsData} (all rows the same length). */
    public static DenseMatrix of(double[][] rowsData) {
        int r = rowsData.length, c = r == 0 ? 0 : rowsData[0].length;
        DenseMatrix m = new DenseMatrix(r, c);
        for (int i = 0; i < r; i++) {
            if (rowsData[i].length != c) throw new IllegalArgumentException("DenseMatrix.of: row " + i + " has "
                    + rowsData[i].length + " entries, row 0 has " + c);
            System.arraycopy(rowsData[i], 0, m.a, i * c, c);
        }
        return m;
    }

    public static DenseMatrix diagonal(double[] d) {
        DenseMatrix m = new DenseMatrix(d.length, d.length);
        for (int i = 0; i < d.length; i++) m.a[i * d.length + i] = d[i];
        return m;
    }

    /** Entries i.i.d. N(0, 1). */
    public static DenseMatrix gaussian(int rows, int cols, SplittableRandom rng) {
        DenseMatrix m = new DenseMatrix(rows, cols);
        for (int i = 0; i < m.a.length; i++) m.a[i] = gaussian(rng);
        return m;
    }

    /**
     * A Haar-random orthogonal n x n matrix: the Q of a Gaussian matrix's QR with R's diagonal made
     * positive (Mezzadri 2007, "How to generate random matrices from the classical compact groups",
     * Notices AMS 54(5)). Gram–Schmidt (each row twice) gives that positive diagonal by construction.
     */
    public static DenseMatrix randomOrthogonal(int n, SplittableRandom rng) {
        DenseMatrix g = gaussian(n, n, rng);
        // Orthonormalize the rows; rows of an orthogonal matrix are orthonormal too.
        double[] q = g.a;
        for (int i = 0; i < n; i++) {
            for (int pass = 0; pass < 2; pass++) {
                for (int j = 0; j < i; j++) {
                    double c = 0;
                    for (int t = 0; t < n; t++) c += q[i * n + t] * q[j * n + t];
                    for (int t = 0; t < n; t++) q[i * n + t] -= c * q[j * n + t];
                }
            }
            double s = 0;
            for (int t = 0; t < n; t++) s += q[i * n + t] * q[i * n + t];
            double inv = 1.0 / Math.sqrt(s);
            for (int t = 0; t < n; t++) q[i * n + t] *= inv;
        }
        return g;
    }

    /** {@code Q diag(values) Q^T}: the symmetric matrix with eigenvectors the columns of Q. */
    public static DenseMatrix fromEigen(DenseMatrix q, double[] values) {
        if (q.rows != q.cols || q.cols != values.length) {
            throw new IllegalArgumentException("fromEigen: Q is " + q.rows + "x" + q.cols + ", values has " + values.length);
        }
        int n = values.length;
        DenseMatrix qd = q.copy();
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) qd.a[i * n + j] *= values[j];
        DenseMatrix out = qd.times(q.transpose());
        return out.symmetrized();
    }

    public static double gaussian(SplittableRandom rng) {
        // Box–Muller; one of the pair is discarded to keep the generator state simple.
        double u1 = rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log1p(-u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    public double get(int i, int j) {
        return a[i * cols + j];
    }

    public void set(int i, int j, double v) {
        a[i * cols + j] = v;
    }

    public DenseMatrix copy() {
        return new DenseMatrix(rows, cols, a.clone());
    }

    /** Row i as a new array. */
    public double[] row(int i) {
        return Arrays.copyOfRange(a, i * cols, (i + 1) * cols);
    }

    /** Column j as a new array. */
    public double[] column(int j) {
        double[] c = new double[rows];
        for (int i = 0; i < rows; i++) c[i] = a[i * cols + j];
        return c;
    }

    public DenseMatrix transpose() {
        DenseMatrix t = new DenseMatrix(cols, rows);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t.a[j * rows + i] = a[i * cols + j];
        return t;
    }

    /** {@code this * b}, i-k-j loop order so the inner loop runs along rows. */
    public DenseMatrix times(DenseMatrix b) {
        if (cols != b.rows) throw new IllegalArgumentException("times: " + rows + "x" + cols + " * " + b.rows + "x" + b.cols);
        DenseMatrix c = new DenseMatrix(rows, b.cols);
        int n = b.cols;
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < cols; k++) {
                double aik = a[i * cols + k];
                if (aik == 0) continue;
                for (int j = 0; j < n; j++) c.a[i * n + j] += aik * b.a[k * n + j];
            }
        }
        return c;
    }

    /** {@code this * x}. */
    public double[] times(double[] x) {
        if (x.length != cols) throw new IllegalArgumentException("times: " + rows + "x" + cols + " * vector of " + x.length);
        double[] y = new double[rows];
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int j = 0; j < cols; j++) s += a[i * cols + j] * x[j];
            y[i] = s;
        }
        return y;
    }

    /** {@code (A + A^T) / 2}. */
    public DenseMatrix symmetrized() {
        if (rows != cols) throw new IllegalArgumentException("symmetrized: matrix is " + rows + "x" + cols);
        DenseMatrix s = new DenseMatrix(rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) s.a[i * cols + j] = 0.5 * (a[i * cols + j] + a[j * cols + i]);
        }
        return s;
    }

    public double trace() {
        if (rows != cols) throw new IllegalArgumentException("trace: matrix is " + rows + "x" + cols);
        double t = 0;
        for (int i = 0; i < rows; i++) t += a[i * cols + i];
        return t;
    }

    /** max_ij |a_ij|. */
    public double maxAbs() {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** max_ij |a_ij − b_ij|. */
    public double maxAbsDiff(DenseMatrix b) {
        if (rows != b.rows || cols != b.cols) throw new IllegalArgumentException("maxAbsDiff: shapes differ");
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b.a[i]));
        return m;
    }

    @Override
    public String toString() {
        return "DenseMatrix(" + rows + "x" + cols + ")";
    }
}
