package eoslab.dynamics.qr;

import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

/**
 * Householder QR in float64 on the host (Golub &amp; Van Loan, Matrix Computations, Alg. 5.2.1):
 * the reference and the fallback. It is backward stable whatever the conditioning of V, and Q is
 * orthogonal to float64 rounding even when V is rank-deficient (a zero column gets R_jj = 0 and
 * Q still completes an orthonormal set). Costs one copy of V to the host and back.
 */
public final class HouseholderQr implements TallQr {
    private final Backend backend;
    private final long d;
    private final int k;

    public HouseholderQr(Backend backend, long d, int k) {
        if (k < 1 || d < k) throw new IllegalArgumentException("QR needs 1 <= k <= d, got k=" + k + ", d=" + d);
        if (d * k > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("host Householder QR holds at most 2^31 elements, asked for d*k=" + d * k);
        this.backend = backend;
        this.d = d;
        this.k = k;
    }

    @Override
    public long d() {
        return d;
    }

    @Override
    public int k() {
        return k;
    }

    @Override
    public QrResult factor(Tensor v) {
        TallQr.checkShape(v, d, k);
        double[] a = backend.toDoubles(v); // (d, k) column-major
        double[] r = factorHost(a, (int) d, k);
        backend.copy(backend.fromDoubles(v.dtype, a), v);
        return new QrResult(r, k, QrPath.HOUSEHOLDER, Double.NaN, null);
    }

    /**
     * Thin QR of the column-major (d, k) matrix {@code a} in place: on return {@code a} holds Q
     * (d, k) and the result is R (k, k) row-major, upper triangular with R_jj &gt;= 0.
     */
    public static double[] factorHost(double[] a, int d, int k) {
        if (a.length != (long) d * k) throw new IllegalArgumentException("factorHost: expected d*k=" + (long) d * k + " elements, got " + a.length);
        double[][] vs = new double[k][]; // Householder vectors, vs[j] acts on rows j..d-1
        double[] vv = new double[k];     // vᵀv of each (0 = no reflection)
        double[] r = new double[k * k];
        for (int j = 0; j < k; j++) {
            int cj = j * d;
            double norm = norm(a, cj + j, d - j);
            double x0 = a[cj + j];
            double[] v = new double[d - j];
            double alpha;
            if (norm == 0) {
                alpha = 0; // zero column below the diagonal: H_j = I
            } else {
                // α = −sign(x0)‖x‖ avoids cancellation in v0 = x0 − α (G&V §5.1.3).
                alpha = x0 >= 0 ? -norm : norm;
                System.arraycopy(a, cj + j, v, 0, d - j);
                v[0] = x0 - alpha;
                vv[j] = norm * (norm + Math.abs(x0)) * 2; // vᵀv = 2‖x‖(‖x‖ + |x0|)
            }
            vs[j] = v;
            r[j * k + j] = alpha;
            // Apply H_j = I − 2 v vᵀ / (vᵀv) to the remaining columns.
            for (int l = j + 1; l < k; l++) {
                int cl = l * d;
                if (vv[j] != 0) reflect(v, vv[j], a, cl + j);
                r[j * k + l] = a[cl + j];
            }
        }
        // Q = H_0 H_1 ⋯ H_{k−1} [I_k; 0], applied right to left; H_j touches rows ≥ j, so column l < j
        // of the partial product is still e_l and only columns ≥ j need H_j.
        java.util.Arrays.fill(a, 0);
        for (int j = 0; j < k; j++) a[j * d + j] = 1;
        for (int j = k - 1; j >= 0; j--) {
            if (vv[j] == 0) continue;
            for (int l = j; l < k; l++) reflect(vs[j], vv[j], a, l * d + j);
        }
        // Normalize to R_jj >= 0 (flip row j of R and column j of Q), so Q does not depend on the
        // path that computed it; with a Gaussian V this also makes Q Haar-distributed (Mezzadri 2007).
        for (int j = 0; j < k; j++) {
            if (r[j * k + j] < 0) {
                for (int l = j; l < k; l++) r[j * k + l] = -r[j * k + l];
                for (int i = 0; i < d; i++) a[j * d + i] = -a[j * d + i];
            }
        }
        return r;
    }

    /** {@code y ← (I − 2 v vᵀ / vv) y} for the segment y = a[at .. at + v.length). */
    private static void reflect(double[] v, double vv, double[] a, int at) {
        double s = 0;
        for (int i = 0; i < v.length; i++) s += v[i] * a[at + i];
        double f = 2 * s / vv;
        for (int i = 0; i < v.length; i++) a[at + i] -= f * v[i];
    }

    /** Euclidean norm, scaled so squares of large or tiny entries neither overflow nor underflow. */
    static double norm(double[] a, int at, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) m = Math.max(m, Math.abs(a[at + i]));
        if (m == 0 || !Double.isFinite(m)) return m;
        double s = 0;
        for (int i = 0; i < n; i++) {
            double x = a[at + i] / m;
            s += x * x;
        }
        return m * Math.sqrt(s);
    }
}
