package eoslab.sd;

import eoslab.backend.Backend;
import eoslab.curvature.LinearOperator;
import eoslab.curvature.Slq;
import eoslab.linalg.DenseMatrix;
import eoslab.linalg.SymmetricEigen;
import eoslab.nn.HessianOperator;
import eoslab.nn.Objective;
import eoslab.optim.BatchSchedule;
import eoslab.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/**
 * The sharpness-dimension estimators of Tuci et al. (2026) (SPEC §3): SD = j* + Σ_{i≤j*} λ_i / |λ_{j*+1}|
 * from the RDS sharpness λ_k = E_ω[ln σ_k(Dφ(1, ω, w))], with the sup over the attractor replaced by
 * the current weights and the expectation by an average over minibatches B_t of a
 * {@link BatchSchedule} (B_t = f(seed, t), t = 0, 1, …).
 * <ul>
 *   <li><b>EXACT</b>: for each of M minibatches the Hessian H_B is assembled densely from d exact
 *       HVPs (k directions per batched call), its eigenvalues α are taken in float64, mapped to the
 *       singular values of the update Jacobian ({@link UpdateJacobian}: |1 − ηα| for SGD), sorted
 *       descending, and λ_k = (1/M) Σ_B ln(σ_k(B) + ε). SD by {@link SharpnessDimension#ofExponents}.
 *       Cost: M·d HVPs and M dense eigenvalue problems of size d (about 7 s at d = 2000).</li>
 *   <li><b>SLQ, KDE, PS</b>: R Lanczos runs, run i on a fresh minibatch Hessian H_{B_i} with one
 *       Rademacher probe and m steps, give Gauss nodes α_il and weights w_il (Σ_l w_il = 1). The
 *       pooled Ritz measure ν = (d/R) Σ_i Σ_l w_il δ(α_il) (total mass d) approximates the
 *       minibatch-averaged eigenvalue counting measure. Each atom maps to z = ln(σ(α) + ε) with the
 *       same mass; the z measure then has total mass N (= d, or 2d for heavy ball) and is turned
 *       into weighted atoms for {@link SharpnessDimension#ofAtoms}:
 *       SLQ — a histogram with {@code bins} equal bins over [min z, max z], each bin an atom at its
 *       mass-weighted mean; KDE — a Gaussian kernel density in z integrated over {@code bins} cells
 *       of [min z, max z], each cell an atom at its mean, rescaled to total N;
 *       PS — M equal-mass quantiles α_r of ν (the inverse CDF at (r − ½)/M), each of mass d/M,
 *       mapped to z_r. SD ∈ [0, N] by construction.</li>
 * </ul>
 * Cost of the measure methods: R·m HVPs (plus the probes' reorthogonalization, O(m²d) per run).
 */
public final class SdEstimators {
    /**
     * Largest d for which EXACT assembles a dense d×d Hessian: H and the eigen-solver's working copy
     * take 16·d² bytes (4.3 GB at this limit). The 3-layer width-16 MNIST MLP of Tuci et al. (SPEC §6,
     * d = 12,960) fits: 2.7 GB, and about (d/2000)³·7 s ≈ 30 min of eigenvalues per minibatch on two cores.
     */
    public static final int EXACT_MAX_DIM = 16384;
    /** Stream id so the probes never share random numbers with the batch schedule. */
    private static final long PROBE_STREAM = 0x5d_5eed_0000_0002L;

    private SdEstimators() {
    }

    /** SD of plain SGD at w with learning rate η: σ = |1 − ηα| (the form of Tuci et al.). */
    public static SdEstimate estimate(Objective f, Tensor w, double lr, SdOptions o) {
        return estimate(f, w, UpdateJacobian.sgd(lr), o);
    }

    /** SD at w for the update map {@code jac} (SGD with weight decay, or heavy ball). */
    public static SdEstimate estimate(Objective f, Tensor w, UpdateJacobian jac, SdOptions o) {
        BatchSchedule schedule = new BatchSchedule(o.seed(), f.n(), o.batchSize() == 0 ? f.n() : o.batchSize());
        return estimate(i -> new HessianOperator(f, w, schedule.batch(i)), jac, o);
    }

    /**
     * SD for the update map {@code jac} from minibatch Hessians given as operators: {@code minibatch.apply(i)}
     * is H_{B_i} at the weights of interest, i = 0 … o.batches() − 1 (B_i a pure function of (o.seed(), i));
     * o.batchSize() is not read here. Lets models whose minibatches are not rows of a data set (text
     * windows, {@code eoslab.gpt}) use the same estimators.
     */
    public static SdEstimate estimate(IntFunction<LinearOperator> minibatch, UpdateJacobian jac, SdOptions o) {
        long t0 = System.nanoTime();
        if (o.method() == SdOptions.Method.EXACT) return exact(minibatch, jac, o, t0);
        SplittableRandom rng = new SplittableRandom(o.seed() ^ PROBE_STREAM);
        List<Slq.Run> runs = new ArrayList<>(o.batches());
        long hvps = 0;
        int d = -1;
        double[] probe = null;
        for (int i = 0; i < o.batches(); i++) {
            LinearOperator h = minibatch.apply(i);
            if (probe == null) {
                d = checkedDim(h.dim());
                probe = new double[d];
            }
            for (int j = 0; j < d; j++) probe[j] = rng.nextBoolean() ? 1.0 : -1.0;
            Counted c = new Counted(h);
            runs.add(Slq.run(c, h.backend().fromDoubles(h.dtype(), probe), o.lanczosSteps()));
            hvps += c.products;
        }
        Slq.Measure nu = Slq.pooled(runs, d);
        SdEstimate e = fromMeasure(nu.nodes(), nu.masses(), d, jac, o);
        return withCost(e, hvps, (System.nanoTime() - t0) * 1e-9);
    }

    /** An operator that counts its Hessian-vector products. */
    private static final class Counted implements LinearOperator {
        final LinearOperator op;
        long products;

        Counted(LinearOperator op) {
            this.op = op;
        }

        @Override public long dim() { return op.dim(); }

        @Override public Backend backend() { return op.backend(); }

        @Override public eoslab.tensor.DType dtype() { return op.dtype(); }

        @Override
        public void apply(Tensor v, Tensor out, int k) {
            op.apply(v, out, k);
            products += k;
        }
    }

    // ---- EXACT ---------------------------------------------------------------------------------

    private static SdEstimate exact(IntFunction<LinearOperator> minibatch, UpdateJacobian jac, SdOptions o, long t0) {
        LinearOperator first = minibatch.apply(0);
        int d = checkedDim(first.dim());
        if (d > EXACT_MAX_DIM) {
            throw new IllegalArgumentException("sd: --method exact assembles dense d×d Hessians (16·d² bytes), d = " + d + " > " + EXACT_MAX_DIM
                    + "; use --method ps, slq or kde");
        }
        // full batch (batch size 0): every "minibatch" Hessian is the same matrix, so one is enough
        int per = jac.perEigenvalue(), n = d * per, batches = o.batchSize() == 0 ? 1 : o.batches();
        double[] lambda = new double[n], alpha = new double[batches * d], alphaMass = new double[batches * d];
        double[] z = new double[n];
        long hvps = 0;
        for (int b = 0; b < batches; b++) {
            DenseMatrix h = dense(b == 0 ? first : minibatch.apply(b), o.hvpBlock());
            hvps += d;
            double[] eig = SymmetricEigen.eigenvalues(h);
            for (int i = 0; i < d; i++) {
                jac.logSigmas(eig[i], o.eps(), z, i * per);
                alpha[b * d + i] = eig[i];
                alphaMass[b * d + i] = 1.0 / batches;
            }
            // λ_k averages the k-th largest log singular value of each minibatch's Jacobian
            Arrays.sort(z);
            for (int k = 0; k < n; k++) lambda[k] += z[n - 1 - k] / batches;
        }
        SharpnessDimension.Result r = SharpnessDimension.ofExponents(lambda);
        double[] ones = new double[n];
        Arrays.fill(ones, 1.0);
        return new SdEstimate(o, jac, d, n, lambda, lambda.clone(), ones, alpha, alphaMass, r.jStar(), r.prefixSum(), r.sd(),
                Double.NaN, hvps, (System.nanoTime() - t0) * 1e-9);
    }

    /**
     * The minibatch Hessian H_B (d, d) at w, assembled from d exact HVPs against the unit vectors,
     * {@code block} per batched call (one primal pass each). Row i is H e_i; H is symmetric up to the
     * rounding of the products, and {@link SymmetricEigen} reads (H + Hᵀ)/2.
     *
     * @param rows the minibatch, or null for all rows
     */
    public static DenseMatrix minibatchHessian(Objective f, Tensor w, int[] rows, int block) {
        return dense(new HessianOperator(f, w, rows), block);
    }

    /** A symmetric operator as a dense (d, d) matrix from d products against the unit vectors, {@code block} per call. */
    public static DenseMatrix dense(LinearOperator op, int block) {
        int d = checkedDim(op.dim());
        if (block < 1) throw new IllegalArgumentException("sd: hvp block must be >= 1, got " + block);
        Backend be = op.backend();
        int k = Math.min(block, d);
        Tensor out = be.zeros(op.dtype(), (long) k * d); // (k, d)
        double[] e = new double[k * d];                  // (k, d) unit vectors
        DenseMatrix h = new DenseMatrix(d, d);
        for (int lo = 0; lo < d; lo += k) {
            int cnt = Math.min(k, d - lo);
            Arrays.fill(e, 0.0);
            for (int j = 0; j < cnt; j++) e[j * d + lo + j] = 1.0;
            Tensor v = be.fromDoubles(op.dtype(), Arrays.copyOf(e, cnt * d));
            Tensor hv = out.view(0, (long) cnt * d);
            op.apply(v, hv, cnt);
            System.arraycopy(be.toDoubles(hv), 0, h.a, lo * d, cnt * d);
        }
        return h;
    }

    // ---- the measure methods -------------------------------------------------------------------

    /**
     * SD-SLQ, SD-KDE or SD-PS (by {@code o.method()}) from a curvature measure ν = Σ m_a δ(α_a) of
     * total mass d (e.g. the pooled Ritz measure, or the exact eigenvalues with mass 1/M each).
     * hvps and seconds of the result are 0: the caller adds its own cost.
     */
    public static SdEstimate fromMeasure(double[] alpha, double[] alphaMass, long d, UpdateJacobian jac, SdOptions o) {
        if (alpha.length != alphaMass.length || alpha.length == 0) {
            throw new IllegalArgumentException("sd: measure needs as many masses as nodes (and at least one), got " + alpha.length + " and " + alphaMass.length);
        }
        Atoms a = switch (o.method()) {
            case EXACT -> throw new IllegalArgumentException("sd: exact works from dense Hessians, not from a measure");
            case PS -> quantileAtoms(alpha, alphaMass, o.quantiles(), jac, o.eps());
            case SLQ -> histogramAtoms(zAtoms(alpha, alphaMass, jac, o.eps()), o.bins());
            case KDE -> kdeAtoms(zAtoms(alpha, alphaMass, jac, o.eps()), o.bins(), o.bandwidth());
        };
        long n = jac.stateDim(d);
        SharpnessDimension.Result r = SharpnessDimension.ofAtoms(a.z(), a.mass());
        double sd = Math.max(0, Math.min(n, r.sd())); // SD-PS is clipped to [0, N] (SPEC §3)
        return new SdEstimate(o, jac, d, n, null, r.z(), r.mass(), alpha.clone(), alphaMass.clone(), r.jStar(), r.prefixSum(), sd,
                a.bandwidth(), 0, 0);
    }

    /** Weighted atoms in z, with the KDE bandwidth used (NaN otherwise). */
    public record Atoms(double[] z, double[] mass, double bandwidth) {
    }

    /** Each α atom → its {@link UpdateJacobian#perEigenvalue()} log singular values, each with α's mass. */
    public static Atoms zAtoms(double[] alpha, double[] mass, UpdateJacobian jac, double eps) {
        int per = jac.perEigenvalue();
        double[] z = new double[alpha.length * per], m = new double[alpha.length * per];
        for (int a = 0; a < alpha.length; a++) {
            jac.logSigmas(alpha[a], eps, z, a * per);
            for (int p = 0; p < per; p++) m[a * per + p] = mass[a];
        }
        return new Atoms(z, m, Double.NaN);
    }

    /**
     * SD-SLQ: {@code bins} equal-width bins over [min z, max z]; each bin becomes one atom with the
     * bin's mass, placed at the bin's mass-weighted mean z. Placing it at the bin centre instead
     * would move a whole bin by up to half a bin width; for a minibatch Hessian of rank ≤ b·C ≪ d
     * nearly all the mass is one bulk at α ≈ 0 (z ≈ 0), and a centre a hundredth below zero turns
     * it from neutral into contracting (on a 25k-parameter MLP: SD 160 instead of ≈ d). The mean
     * keeps Σ m z, the sum of the exponents, exact.
     */
    public static Atoms histogramAtoms(Atoms in, int bins) {
        double lo = min(in.z()), hi = max(in.z());
        if (!(hi > lo)) return new Atoms(new double[]{lo}, new double[]{sum(in.mass())}, Double.NaN);
        double width = (hi - lo) / bins;
        double[] zm = new double[bins], m = new double[bins];
        for (int a = 0; a < in.z().length; a++) {
            int b = (int) Math.min(bins - 1, Math.floor((in.z()[a] - lo) / width));
            m[b] += in.mass()[a];
            zm[b] += in.mass()[a] * in.z()[a];
        }
        return cellAtoms(m, zm, lo, width);
    }

    /** Non-empty cells as atoms at their mean z (first moment / mass), clamped into the cell against rounding. */
    private static Atoms cellAtoms(double[] mass, double[] first, double lo, double width) {
        int k = 0;
        for (double x : mass) if (x > 0) k++;
        double[] z = new double[k], m = new double[k];
        k = 0;
        for (int b = 0; b < mass.length; b++) {
            if (!(mass[b] > 0)) continue;
            double left = lo + b * width, right = b == mass.length - 1 ? lo + mass.length * width : left + width;
            z[k] = Math.max(left, Math.min(right, first[b] / mass[b]));
            m[k++] = mass[b];
        }
        return new Atoms(z, m, Double.NaN);
    }

    /**
     * SD-KDE: the Gaussian kernel density p(t) = Σ_a m_a φ((t − z_a)/h)/h, discretized on
     * {@code cells} equal cells over the observed range [min z, max z]: each cell is one atom with
     * mass ∫_cell p and position the cell's mean ∫_cell t p / ∫_cell p, both in closed form
     * (for one kernel over [u, v] in standard units: mass Φ(v) − Φ(u), first moment
     * z(Φ(v) − Φ(u)) + h(φ(u) − φ(v))). The kernel tails beyond the range stay with their side: the
     * mass below min z joins the first cell at min z and the mass above max z the last cell at max z,
     * so the total is Σ m_a and no mass moves across the bulk (rescaling every cell instead moved
     * about half the extreme atoms' mass into the bulk near z ≈ 0: SD 923.9 instead of 912.1 on an
     * example whose exact SD is 909.2, a review found). Cell means rather than grid values keep a
     * narrow bulk where it is (see {@link #histogramAtoms}); stopping at the extreme exponents means
     * smoothing never creates an expanding direction when every z &lt; 0 (SD = 0) or a contracting
     * one when every z &gt; 0 (SD = N), as the definition requires.
     * h = {@code bandwidth}, or Silverman's rule 1.06·s·n_eff^(−1/5) with s the weighted standard
     * deviation of z and n_eff = (Σm)²/Σm² (Kish's effective sample size) when bandwidth is 0.
     */
    public static Atoms kdeAtoms(Atoms in, int cells, double bandwidth) {
        double[] zs = in.z(), ms = in.mass();
        double total = sum(ms);
        double h = bandwidth;
        if (h == 0) {
            double mean = 0, sq = 0;
            for (int a = 0; a < zs.length; a++) mean += ms[a] * zs[a];
            mean /= total;
            for (int a = 0; a < zs.length; a++) {
                double u = zs[a] - mean;
                sq += ms[a] * u * u;
            }
            double s = Math.sqrt(sq / total), sq2 = 0;
            for (double m : ms) sq2 += m * m;
            double nEff = total * total / sq2;
            h = 1.06 * s * Math.pow(nEff, -0.2);
            if (!(h > 0)) h = 1e-3 * Math.max(1, Math.abs(mean)); // all atoms at one point
        }
        double lo = min(zs), hi = max(zs);
        if (!(hi > lo)) return new Atoms(new double[]{lo}, new double[]{total}, h);
        double width = (hi - lo) / cells;
        double[] m = new double[cells], first = new double[cells];
        for (int a = 0; a < zs.length; a++) {
            if (ms[a] == 0) continue;
            // only cells within 10 kernel widths carry mass above 1e-23 of the atom's
            int c0 = (int) Math.max(0, Math.floor((zs[a] - 10 * h - lo) / width));
            int c1 = (int) Math.min(cells - 1, Math.floor((zs[a] + 10 * h - lo) / width));
            for (int c = c0; c <= c1; c++) {
                double u = (lo + c * width - zs[a]) / h, v = (lo + (c + 1) * width - zs[a]) / h;
                double p = normalMass(u, v);
                m[c] += ms[a] * p;
                first[c] += ms[a] * (zs[a] * p + h * (phi(u) - phi(v)));
            }
        }
        for (int a = 0; a < zs.length; a++) {
            double below = ms[a] * upperTail((zs[a] - lo) / h), above = ms[a] * upperTail((hi - zs[a]) / h);
            m[0] += below;
            first[0] += below * lo;
            m[cells - 1] += above;
            first[cells - 1] += above * hi;
        }
        // the closed forms use erfc to ~1e-7 relative: make the total exactly Σ m_a (moves nothing)
        double scale = total / sum(m);
        for (int c = 0; c < cells; c++) {
            m[c] *= scale;
            first[c] *= scale;
        }
        Atoms out = cellAtoms(m, first, lo, width);
        return new Atoms(out.z(), out.mass(), h);
    }

    /** Φ(v) − Φ(u) for u ≤ v, computed from whichever tail avoids cancellation. */
    static double normalMass(double u, double v) {
        if (u >= 0) return upperTail(u) - upperTail(v);
        if (v <= 0) return upperTail(-v) - upperTail(-u);
        return 1 - upperTail(-u) - upperTail(v);
    }

    /** Q(x) = 1 − Φ(x) = erfc(x/√2)/2. */
    static double upperTail(double x) {
        return 0.5 * erfc(x / Math.sqrt(2));
    }

    static double phi(double x) {
        return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    }

    /** erfc with fractional error below 1.2e-7 everywhere (Numerical Recipes, 2nd ed., §6.2, erfcc). */
    static double erfc(double x) {
        double z = Math.abs(x), t = 1 / (1 + 0.5 * z);
        double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? ans : 2 - ans;
    }

    /**
     * SD-PS: the M equal-mass quantiles α_r = F⁻¹((r − ½)/M), r = 1..M, of the measure (F its
     * cumulative mass over total mass, F⁻¹(p) = the smallest α with F(α) ≥ p), each of mass
     * (total)/M, mapped to z_r = ln(σ(α_r) + ε).
     */
    public static Atoms quantileAtoms(double[] alpha, double[] mass, int quantiles, UpdateJacobian jac, double eps) {
        Integer[] order = new Integer[alpha.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (p, q) -> Double.compare(alpha[p], alpha[q]));
        double total = sum(mass);
        double[] q = new double[quantiles], qm = new double[quantiles];
        int at = 0;
        double cum = mass[order[0]];
        for (int r = 0; r < quantiles; r++) {
            double target = (r + 0.5) / quantiles * total;
            while (cum < target && at < order.length - 1) cum += mass[order[++at]];
            q[r] = alpha[order[at]];
            qm[r] = total / quantiles;
        }
        return zAtoms(q, qm, jac, eps);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static SdEstimate withCost(SdEstimate e, long hvps, double seconds) {
        return new SdEstimate(e.options(), e.jacobian(), e.dim(), e.stateDim(), e.lambda(), e.z(), e.mass(), e.alpha(),
                e.alphaMass(), e.jStar(), e.prefixSum(), e.sd(), e.bandwidth(), hvps, seconds);
    }

    private static int checkedDim(long d) {
        if (d > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("sd: d = " + d + " parameters is too many for host-side probes");
        return (int) d;
    }

    private static double min(double[] a) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : a) m = Math.min(m, x);
        return m;
    }

    private static double max(double[] a) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : a) m = Math.max(m, x);
        return m;
    }

    private static double sum(double[] a) {
        double s = 0;
        for (double x : a) s += x;
        return s;
    }
}
