package eoslab.dynamics.systems;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.RandomMap;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * Gradient descent on a quadratic (SPEC §1, §4): {@code w' = w − η A w}, {@code J = I − η A}
 * constant, so the Lyapunov exponents are exactly {@code ln|1 − η α_i|} over the eigenvalues α_i
 * of A. Deterministic (t is ignored). CPU F64.
 */
public final class QuadraticGd implements RandomMap {
    private final Quadratic q;
    private final double eta;
    private final double[] buf;

    public QuadraticGd(Quadratic q, double eta) {
        this.q = q;
        this.eta = eta;
        this.buf = new double[q.d()];
    }

    public Quadratic quadratic() {
        return q;
    }

    public double eta() {
        return eta;
    }

    @Override
    public long dim() {
        return q.d();
    }

    @Override
    public Backend backend() {
        return CpuBackend.INSTANCE;
    }

    @Override
    public DType dtype() {
        return DType.F64;
    }

    @Override
    public void step(long t, Tensor x, Tensor tangents, int k) {
        int d = q.d();
        double[] s = CpuF64.array(x, d, "quadratic GD state");
        if (k > 0) {
            double[] v = CpuF64.array(tangents, (long) d * k, "quadratic GD tangents");
            for (int j = 0; j < k; j++) descend(v, CpuF64.off(tangents) + j * d);
        }
        descend(s, CpuF64.off(x));
    }

    /** {@code y ← y − η A y} for the d-vector at y[o..]. */
    private void descend(double[] y, int o) {
        q.apply(y, o, buf, 0);
        for (int i = 0; i < q.d(); i++) y[o + i] -= eta * buf[i];
    }
}
