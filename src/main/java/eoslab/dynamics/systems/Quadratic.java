package eoslab.dynamics.systems;

import eoslab.dynamics.qr.HouseholderQr;

import java.util.SplittableRandom;

/**
 * The loss f(w) = ½ wᵀ A w with a symmetric (d, d) A of known spectrum: ∇f = A w, ∇²f = A. Built
 * diagonal, or rotated by a Haar-random orthogonal U (A = U diag(α) Uᵀ) so that the eigenvectors
 * are not the coordinate axes and the tracker's QR has real work to do.
 *
 * @param d        dimension
 * @param a        (d, d) row-major, symmetric
 * @param spectrum the eigenvalues α_i, (d)
 */
public record Quadratic(int d, double[] a, double[] spectrum) {
    public Quadratic {
        if (d < 1 || a.length != (long) d * d || spectrum.length != d) {
            throw new IllegalArgumentException("Quadratic: need A (d, d) and d eigenvalues, got d=" + d + ", |A|=" + a.length + ", |α|=" + spectrum.length);
        }
    }

    public static Quadratic diagonal(double... alpha) {
        int d = alpha.length;
        double[] a = new double[d * d];
        for (int i = 0; i < d; i++) a[i * d + i] = alpha[i];
        return new Quadratic(d, a, alpha.clone());
    }

    public static Quadratic rotated(long seed, double... alpha) {
        int d = alpha.length;
        SplittableRandom rng = new SplittableRandom(seed);
        double[] u = new double[d * d]; // column-major (d, d): column j = u_j
        for (int i = 0; i < u.length; i++) u[i] = rng.nextGaussian();
        HouseholderQr.factorHost(u, d, d);
        double[] a = new double[d * d];
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += u[j * d + r] * alpha[j] * u[j * d + c];
                a[r * d + c] = s;
            }
        for (int r = 0; r < d; r++) // exact symmetry
            for (int c = 0; c < r; c++) {
                double m = 0.5 * (a[r * d + c] + a[c * d + r]);
                a[r * d + c] = m;
                a[c * d + r] = m;
            }
        return new Quadratic(d, a, alpha.clone());
    }

    /** {@code out[oo..oo+d) = A x[xo..xo+d)}. */
    void apply(double[] x, int xo, double[] out, int oo) {
        for (int r = 0; r < d; r++) {
            double s = 0;
            for (int c = 0; c < d; c++) s += a[r * d + c] * x[xo + c];
            out[oo + r] = s;
        }
    }
}
