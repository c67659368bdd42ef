package eoslab.dynamics.systems;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.RandomMap;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * Heavy-ball momentum on a quadratic (SPEC §1): state (w, m) of size 2d, laid out as w then m,
 * <pre>
 *   m' = β m + A w,   w' = w − η m'
 *   J  = [[I − ηA, −ηβ I], [A, β I]]
 * </pre>
 * In the eigenbasis of A, J splits into 2×2 blocks [[1 − ηα, −ηβ], [α, β]] (det = β), so the 2d
 * exponents are ln|μ| over the eigenvalues μ of those blocks. Deterministic (t is ignored). CPU F64.
 */
public final class QuadraticMomentum implements RandomMap {
    private final Quadratic q;
    private final double eta, beta;
    private final double[] buf;

    public QuadraticMomentum(Quadratic q, double eta, double beta) {
        this.q = q;
        this.eta = eta;
        this.beta = beta;
        this.buf = new double[q.d()];
    }

    public Quadratic quadratic() {
        return q;
    }

    @Override
    public long dim() {
        return 2L * q.d();
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
        double[] s = CpuF64.array(x, 2L * d, "momentum state");
        if (k > 0) {
            double[] v = CpuF64.array(tangents, 2L * d * k, "momentum tangents");
            // The map is linear, so its Jacobian applied to (δw, δm) is the same update.
            for (int j = 0; j < k; j++) update(v, CpuF64.off(tangents) + 2 * d * j);
        }
        update(s, CpuF64.off(x));
    }

    /** (w, m) at y[o..o+2d) ← (w − η m', m') with m' = β m + A w. */
    private void update(double[] y, int o) {
        int d = q.d();
        q.apply(y, o, buf, 0);
        for (int i = 0; i < d; i++) {
            double m = beta * y[o + d + i] + buf[i];
            y[o + d + i] = m;
            y[o + i] -= eta * m;
        }
    }
}
