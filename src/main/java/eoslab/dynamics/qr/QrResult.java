package eoslab.dynamics.qr;

/**
 * The R factor of a thin QR {@code V = Q R} of a tall (d, k) matrix, whose Q has overwritten V.
 * R is normalized to a non-negative diagonal (columns of Q flipped to match), so the two paths
 * agree on Q and the Lyapunov tracker can use ln R_ii directly; R_ii = 0 only for a rank-deficient
 * V (its exponent is then −∞, e.g. GD on a quadratic with ηα = 1 exactly).
 *
 * @param r              (k, k) row-major, upper triangular
 * @param k              number of columns
 * @param path           the algorithm that produced Q and R
 * @param orthoError     {@code ‖QᵀQ − I‖_F} measured in float64 on the stored Q for the CholeskyQR2
 *                       path; NaN where it was not measured (Householder is orthogonal to rounding)
 * @param fallbackReason why CholeskyQR2 was rejected, or null
 */
public record QrResult(double[] r, int k, QrPath path, double orthoError, String fallbackReason) {
    public QrResult {
        if (r.length != (long) k * k) throw new IllegalArgumentException("R must be (k, k) = " + k * k + " elements, got " + r.length);
    }

    public double rDiag(int i) {
        return r[i * k + i];
    }

    /** {@code ln|R_ii|} for i &lt; k: the per-QR stretching of the i-th Gram–Schmidt direction. */
    public double[] logAbsDiag() {
        double[] out = new double[k];
        for (int i = 0; i < k; i++) out[i] = Math.log(Math.abs(rDiag(i)));
        return out;
    }
}
