package eoslab.dynamics.qr;

import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

/**
 * The (k, k) Gram matrix {@code G = VᵀV} of k vectors in float64, whatever the tensors' dtype.
 * CholeskyQR squares the condition number, so the Gram must not be formed in float32 (SPEC §4);
 * {@link Backend#gram} accumulates in float64 by contract (the CPU backend in one blocked pass over V;
 * by default k(k+1)/2 dots).
 */
public final class Gram {
    private Gram() {
    }

    /** {@code G_ij = v_i · v_j}, (k, k) row-major, for the k contiguous vectors of length d in v. */
    public static double[] of(Backend backend, Tensor v, long d, int k) {
        return backend.gram(v, d, k);
    }

    /** {@code ‖G − I‖_F}: the loss of orthogonality when G = QᵀQ. NaN propagates. */
    public static double offIdentity(double[] g, int k) {
        double s = 0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                double e = g[i * k + j] - (i == j ? 1 : 0);
                s += e * e;
            }
        return Math.sqrt(s);
    }
}
