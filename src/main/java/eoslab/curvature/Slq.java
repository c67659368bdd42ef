package eoslab.curvature;

import eoslab.backend.Backend;
import eoslab.linalg.SymmetricTridiagonal;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Stochastic Lanczos quadrature (SLQ) for the spectral density of a symmetric operator
 * (Lin, Saad &amp; Yang 2016, "Approximating spectral densities of large matrices", SIAM Rev. 58;
 * Ghorbani, Krishnan &amp; Xiao 2019 for Hessians).
 *
 * <p>The spectral measure μ = (1/d) Σ_i δ(λ_i) satisfies ∫f dμ = (1/d) tr f(A) = E_q[qᵀ f(A) q]
 * for q = z/‖z‖, z Rademacher. For each probe, m Lanczos steps from q give a tridiagonal T whose
 * Gauss quadrature (Golub–Welsch: nodes θ_l = eig(T), weights w_l = squared first components of
 * its eigenvectors, Σ_l w_l = 1) satisfies qᵀ f(A) q ≈ Σ_l w_l f(θ_l), exactly for polynomials of
 * degree ≤ 2m − 1. Averaging R probes: μ ≈ (1/R) Σ_r Σ_l w_rl δ(θ_rl), smoothed on a grid with a
 * Gaussian kernel of width σ. Full reorthogonalization against the probe's own basis keeps the
 * Ritz values free of ghost copies.
 *
 * <p>The per-run nodes and weights are returned, because the SD-SLQ estimator of Tuci et al.
 * pools them across runs on different minibatch Hessians into ν = (N/R) Σ_r Σ_l w_rl δ(α_rl)
 * ({@link #pooled}).
 *
 * <p>Memory: {@code batch} probes run in lockstep (one operator call per step serves them all), each
 * storing its m basis vectors: (m + 1)·batch·d elements on the backend.
 */
public final class Slq {
    private Slq() {
    }

    /** One probe's Gauss quadrature: nodes descending, weights ≥ 0 summing to 1. */
    public record Run(double[] nodes, double[] weights) {
        public Run {
            if (nodes.length != weights.length) throw new IllegalArgumentException("Slq.Run: " + nodes.length + " nodes, " + weights.length + " weights");
        }

        /** Σ_l w_l θ_l^p: approximates qᵀ A^p q, exactly for p ≤ 2m − 1. */
        public double moment(int p) {
            double s = 0;
            for (int l = 0; l < nodes.length; l++) s += weights[l] * Math.pow(nodes[l], p);
            return s;
        }
    }

    /**
     * @param grid    where the density is evaluated
     * @param density smoothed spectral density on the grid (integrates to 1 over the real line)
     * @param runs    each probe's quadrature
     * @param hvps    operator-vector products used
     */
    public record Density(double[] grid, double[] density, List<Run> runs, long dim, long hvps) {
    }

    /** A discrete measure: nodes and their masses. */
    public record Measure(double[] nodes, double[] masses) {
    }

    /** {@code points} equally spaced values from lo to hi inclusive. */
    public static double[] grid(double lo, double hi, int points) {
        if (points < 2 || !(hi > lo)) throw new IllegalArgumentException("slq grid: need points >= 2 and hi > lo, got " + points + ", [" + lo + ", " + hi + "]");
        double[] g = new double[points];
        for (int i = 0; i < points; i++) g[i] = lo + (hi - lo) * i / (points - 1);
        return g;
    }

    /** R Rademacher probes, m steps each, smoothed with a Gaussian of width sigma on the grid. */
    public static Density estimate(LinearOperator op, int probes, int steps, int batch, long seed, double[] grid, double sigma) {
        List<Run> runs = runs(op, probes, steps, batch, seed);
        long hvps = 0;
        for (Run r : runs) hvps += r.nodes().length;
        return new Density(grid.clone(), density(runs, grid, sigma), runs, op.dim(), hvps);
    }

    /** R runs from normalized Rademacher probes, {@code batch} of them per operator call. */
    public static List<Run> runs(LinearOperator op, int probes, int steps, int batch, long seed) {
        int d = Vectors.dim(op);
        if (probes < 1) throw new IllegalArgumentException("slq: probes must be >= 1, got " + probes);
        if (batch < 1) throw new IllegalArgumentException("slq: batch must be >= 1, got " + batch);
        SplittableRandom rng = new SplittableRandom(seed);
        int g = Math.min(batch, probes);
        Tensor start = op.backend().zeros(op.dtype(), (long) g * d);
        List<Run> out = new ArrayList<>();
        for (int lo = 0; lo < probes; lo += g) {
            int cnt = Math.min(g, probes - lo);
            Tensor s = start.view(0, (long) cnt * d);
            Vectors.rademacher(s, rng);
            out.addAll(lockstep(op, s, cnt, steps));
        }
        return out;
    }

    /** One run from a given start vector (normalized here), e.g. one probe on one minibatch Hessian for SD-SLQ. */
    public static Run run(LinearOperator op, Tensor probe, int steps) {
        Vectors.dim(op);
        if (probe.size != op.dim()) throw new IllegalArgumentException("slq: probe has " + probe.size + " elements, operator dim is " + op.dim());
        return lockstep(op, probe, 1, steps).get(0);
    }

    /**
     * Lanczos on g probes at once: step j applies A to the g current vectors in one call. Basis
     * layout (m, g, d): step j's g vectors are contiguous, so they are one operator argument.
     * A probe stops early when β_j vanishes (its Krylov space is invariant, the quadrature is
     * exact); the operator still sees its slot, which holds zeros.
     */
    static List<Run> lockstep(LinearOperator op, Tensor starts, int g, int steps) {
        int d = Vectors.dim(op);
        if (steps < 1) throw new IllegalArgumentException("slq: steps must be >= 1, got " + steps);
        int m = Math.min(steps, d);
        Backend be = op.backend();
        DType dt = op.dtype();
        // Relative size of β below which the remainder is rounding noise, not a new direction.
        double breakdown = dt == DType.F32 ? 1e-5 : 1e-12;
        Tensor basis = be.zeros(dt, (long) m * g * d); // (m, g, d)
        Tensor w = be.zeros(dt, (long) g * d);         // (g, d)
        double[][] alpha = new double[g][m], beta = new double[g][m];
        int[] len = new int[g];
        boolean[] active = new boolean[g];
        for (int p = 0; p < g; p++) {
            Tensor q0 = basis.view((long) p * d, d);
            be.copy(starts.view((long) p * d, d), q0);
            double n = Vectors.norm(q0);
            if (!(n > 0)) throw new IllegalArgumentException("slq: probe " + p + " is zero or not finite");
            be.scale(q0, 1.0 / n);
            active[p] = true;
        }
        for (int j = 0; j < m; j++) {
            op.apply(basis.view((long) j * g * d, (long) g * d), w, g);
            for (int p = 0; p < g; p++) {
                if (!active[p]) continue;
                Tensor wp = Vectors.row(w, p, d);
                double before = Vectors.norm(wp);
                // Full reorthogonalization against this probe's q_0..q_j, twice. The coefficient on
                // q_j is α_j; the others vanish in exact arithmetic (the one on q_{j−1} is β_{j−1},
                // already known).
                double a = 0;
                for (int pass = 0; pass < 2; pass++) {
                    for (int i = 0; i <= j; i++) {
                        Tensor qi = basis.view(((long) i * g + p) * d, d);
                        double c = be.dot(qi, wp);
                        be.axpby(-c, qi, 1.0, wp);
                        if (i == j) a += c;
                    }
                }
                alpha[p][j] = a;
                len[p] = j + 1;
                double b = Vectors.norm(wp);
                if (j + 1 == m) continue;
                Tensor next = basis.view(((long) (j + 1) * g + p) * d, d);
                if (!(b > breakdown * before)) {
                    active[p] = false; // invariant subspace: exact quadrature with j + 1 nodes
                    be.fill(next, 0.0);
                    continue;
                }
                beta[p][j] = b;
                be.axpby(1.0 / b, wp, 0.0, next);
            }
        }
        List<Run> runs = new ArrayList<>(g);
        for (int p = 0; p < g; p++) {
            int n = len[p];
            SymmetricTridiagonal.Quadrature q = SymmetricTridiagonal.gauss(java.util.Arrays.copyOf(alpha[p], n),
                    java.util.Arrays.copyOf(beta[p], n - 1));
            runs.add(new Run(q.nodes(), q.weights()));
        }
        return runs;
    }

    /** (1/R) Σ_r Σ_l w_rl N(t; θ_rl, σ²) at each grid point t. */
    public static double[] density(List<Run> runs, double[] grid, double sigma) {
        if (!(sigma > 0)) throw new IllegalArgumentException("slq: kernel width sigma must be > 0, got " + sigma);
        if (runs.isEmpty()) throw new IllegalArgumentException("slq: no runs to smooth");
        double[] out = new double[grid.length];
        double norm = 1.0 / (runs.size() * sigma * Math.sqrt(2 * Math.PI));
        for (Run r : runs) {
            for (int l = 0; l < r.nodes().length; l++) {
                double th = r.nodes()[l], wt = r.weights()[l];
                for (int i = 0; i < grid.length; i++) {
                    double u = (grid[i] - th) / sigma;
                    out[i] += wt * Math.exp(-0.5 * u * u);
                }
            }
        }
        for (int i = 0; i < out.length; i++) out[i] *= norm;
        return out;
    }

    /**
     * The pooled Ritz measure ν = (N/R) Σ_r Σ_l w_rl δ(α_rl) of Tuci et al. (SD-SLQ): all runs'
     * nodes with masses scaled so the total is N (the dimension: ν approximates the eigenvalue
     * counting measure Σ_i δ(λ_i)).
     */
    public static Measure pooled(List<Run> runs, double totalMass) {
        if (runs.isEmpty()) throw new IllegalArgumentException("slq: no runs to pool");
        int n = 0;
        for (Run r : runs) n += r.nodes().length;
        double[] nodes = new double[n], masses = new double[n];
        int at = 0;
        double scale = totalMass / runs.size();
        for (Run r : runs) {
            for (int l = 0; l < r.nodes().length; l++) {
                nodes[at] = r.nodes()[l];
                masses[at++] = scale * r.weights()[l];
            }
        }
        return new Measure(nodes, masses);
    }
}
