package eoslab.dynamics.systems;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.RandomMap;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The Lorenz flow (Lorenz 1963) as the time-dt map of classical RK4, a deterministic validation
 * system (t is ignored):
 * <pre>
 *   F(x, y, z) = (σ(y − x), x(ρ − z) − y, xy − βz)
 *   DF         = [[−σ, σ, 0], [ρ − z, −1, −x], [y, x, −β]]
 * </pre>
 * The tangents are advanced by the same RK4 stages applied to the variational equation δ' = DF δ,
 * which is exactly the Jacobian of the discrete RK4 map (RK commutes with linearization), so the
 * tracker sees a consistent map. Exponents per unit time (divide by dt: set the tracker's dt) at
 * σ=10, ρ=28, β=8/3: 0.906, 0, −14.572, summing to tr DF = −(σ + 1 + β).
 */
public final class Lorenz implements RandomMap {
    private final double sigma, rho, beta, dt;

    public Lorenz() {
        this(10, 28, 8.0 / 3.0, 0.01);
    }

    public Lorenz(double sigma, double rho, double beta, double dt) {
        if (!(dt > 0)) throw new IllegalArgumentException("Lorenz: dt must be > 0, got " + dt);
        this.sigma = sigma;
        this.rho = rho;
        this.beta = beta;
        this.dt = dt;
    }

    /** Integrator step: the time one {@link #step} advances. */
    public double dt() {
        return dt;
    }

    public static Tensor initialState() {
        return CpuBackend.INSTANCE.fromDoubles(DType.F64, new double[]{1, 1, 20});
    }

    @Override
    public long dim() {
        return 3;
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
        double[] s = CpuF64.array(x, 3, "Lorenz state");
        int o = CpuF64.off(x);
        // Stage states z1..z4 and slopes k1..k4 of RK4 for the state.
        double[][] z = new double[4][];
        double[][] f = new double[4][];
        z[0] = new double[]{s[o], s[o + 1], s[o + 2]};
        f[0] = field(z[0]);
        z[1] = axpy(z[0], dt / 2, f[0]);
        f[1] = field(z[1]);
        z[2] = axpy(z[0], dt / 2, f[1]);
        f[2] = field(z[2]);
        z[3] = axpy(z[0], dt, f[2]);
        f[3] = field(z[3]);
        if (k > 0) {
            double[] v = CpuF64.array(tangents, 3L * k, "Lorenz tangents");
            int vo = CpuF64.off(tangents);
            for (int j = 0; j < k; j++) {
                int p = vo + 3 * j;
                double[] d0 = {v[p], v[p + 1], v[p + 2]};
                double[] g0 = jac(z[0], d0);
                double[] g1 = jac(z[1], axpy(d0, dt / 2, g0));
                double[] g2 = jac(z[2], axpy(d0, dt / 2, g1));
                double[] g3 = jac(z[3], axpy(d0, dt, g2));
                for (int i = 0; i < 3; i++) v[p + i] = d0[i] + dt / 6 * (g0[i] + 2 * g1[i] + 2 * g2[i] + g3[i]);
            }
        }
        for (int i = 0; i < 3; i++) s[o + i] = z[0][i] + dt / 6 * (f[0][i] + 2 * f[1][i] + 2 * f[2][i] + f[3][i]);
    }

    private double[] field(double[] p) {
        return new double[]{sigma * (p[1] - p[0]), p[0] * (rho - p[2]) - p[1], p[0] * p[1] - beta * p[2]};
    }

    /** DF(p) δ. */
    private double[] jac(double[] p, double[] d) {
        return new double[]{
                sigma * (d[1] - d[0]),
                (rho - p[2]) * d[0] - d[1] - p[0] * d[2],
                p[1] * d[0] + p[0] * d[1] - beta * d[2]};
    }

    private static double[] axpy(double[] y, double a, double[] x) {
        return new double[]{y[0] + a * x[0], y[1] + a * x[1], y[2] + a * x[2]};
    }
}
