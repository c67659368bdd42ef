package eoslab.curvature;

import eoslab.backend.Backend;
import eoslab.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Vector kernels shared by the solvers. Vectors stay on the operator's backend; only scalar
 * coefficients (float64, from {@link Backend#dot} and {@link Backend#dotRows}) come back to the host. Random vectors are drawn
 * on the host in chunks so a d = 10^8 probe never needs a d-long host array.
 */
final class Vectors {
    private static final int CHUNK = 1 << 20;

    private Vectors() {
    }

    /** The operator's dimension as an int (the backend's GEMM takes int sizes). */
    static int dim(LinearOperator op) {
        long d = op.dim();
        if (d < 1 || d > Integer.MAX_VALUE) throw new IllegalArgumentException("operator dimension must be in [1, 2^31), got " + d);
        return (int) d;
    }

    /** Fill t with i.i.d. N(0, 1). */
    static void gaussian(Tensor t, SplittableRandom rng) {
        fill(t, rng, false);
    }

    /** Fill t with i.i.d. ±1 (Rademacher). */
    static void rademacher(Tensor t, SplittableRandom rng) {
        fill(t, rng, true);
    }

    private static void fill(Tensor t, SplittableRandom rng, boolean signs) {
        Backend be = t.backend;
        for (long off = 0; off < t.size; off += CHUNK) {
            int len = (int) Math.min(CHUNK, t.size - off);
            double[] h = new double[len];
            for (int i = 0; i < len; i++) h[i] = signs ? (rng.nextBoolean() ? 1.0 : -1.0) : eoslab.linalg.DenseMatrix.gaussian(rng);
            Tensor src = be.fromDoubles(t.dtype, h);
            be.copy(src, t.view(off, len));
        }
    }

    static double norm(Tensor x) {
        return Math.sqrt(x.backend.dot(x, x));
    }

    /** Row i of a (rows, d) tensor. */
    static Tensor row(Tensor t, int i, int d) {
        return t.view((long) i * d, d);
    }

    /**
     * Orthogonalize x against rows [from, to) of {@code basis} (orthonormal, length d each) by
     * classical Gram–Schmidt — all projections c = B x at once ({@link Backend#dotRows}, one device
     * round trip), then x −= Bᵀc — run twice ("twice is enough" holds for classical Gram–Schmidt too:
     * Giraud, Langou &amp; Rozložník 2005) and a third or fourth time only if a pass still removed more
     * than 30% of what was left. Each row's total coefficient is added to {@code coef[i - from]} when
     * coef is not null.
     *
     * @return the norm of x afterwards
     */
    static double orthogonalize(Tensor basis, int from, int to, int d, Tensor x, double[] coef) {
        Backend be = x.backend;
        double prev = norm(x);
        for (int pass = 0; ; pass++) {
            if (to > from) {
                double[] c = be.dotRows(basis.view((long) from * d, (long) (to - from) * d), to - from, d, x);
                for (int i = from; i < to; i++) {
                    be.axpby(-c[i - from], row(basis, i, d), 1.0, x);
                    if (coef != null) coef[i - from] += c[i - from];
                }
            }
            double now = norm(x);
            if (pass >= 1 && (now >= 0.7 * prev || pass == 3)) return now;
            prev = now;
        }
    }

    /**
     * Make row j of {@code basis} a unit vector orthogonal to rows [0, j), replacing it by a random
     * direction when nothing is left of it (an invariant subspace was found). Returns its norm after
     * orthogonalization, before normalizing: the coupling coefficient of the QR step.
     */
    static double orthonormalizeRow(Tensor basis, int j, int d, SplittableRandom rng, double[] coef) {
        Tensor x = row(basis, j, d);
        double before = norm(x);
        double n = orthogonalize(basis, 0, j, d, x, coef);
        if (vanished(before, n)) {
            for (int attempt = 0; ; attempt++) {
                gaussian(x, rng);
                double b2 = norm(x);
                double m = orthogonalize(basis, 0, j, d, x, null);
                if (!vanished(b2, m)) break;
                if (attempt == 10) throw new ArithmeticException("cannot extend an orthonormal basis of " + j
                        + " vectors in dimension " + d);
            }
        }
        x.backend.scale(x, 1.0 / norm(x));
        return n;
    }

    /**
     * Nothing usable is left after orthogonalization. Rounding noise at the 1e-16 (F64) or 1e-7 (F32)
     * level is kept: after the passes above it is orthogonal to the basis, so it is as good a new
     * direction as a random one, and its norm stays an honest (tiny) coupling coefficient.
     */
    static boolean vanished(double before, double after) {
        return !(after > 1e-30 * before) || !(after > Double.MIN_NORMAL * 1e10);
    }
}
