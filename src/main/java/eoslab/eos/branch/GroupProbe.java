package eoslab.eos.branch;

import eoslab.backend.Backend;
import eoslab.eos.Group;
import eoslab.eos.PrototypeSet;
import eoslab.nn.Objective;
import eoslab.tensor.Tensor;

/**
 * The per-group diagnostics of Kwag et al. (2026), §2.4 and App. F.3, at fixed weights w and a unit
 * top eigenvector v_1 of the training-loss Hessian. For each prototype group k with rows P_k:
 * <pre>
 *   ℓ_k        = (1/|P_k|) Σ_{i∈P_k} ℓ_i(w)                  group-mean loss (§2.4)
 *   ∇ℓ_k       = evaluate() on the rows P_k                   (d)
 *   p_k        = ∇ℓ_k · v_1                                   projection on the unstable mode
 *   cos²θ_k    = p_k² / ‖∇ℓ_k‖²                               directional coupling, eq. (1)
 *   influence  = p_k² = ‖∇ℓ_k‖² cos²θ_k                      curvature influence, eq. (2)
 *   Q_k        = ⟨∇ℓ_k, ∇S⟩,  ∇S = ∇³L[v_1, v_1]              EoS selector (App. F.3)
 *   R_k        = ⟨∇ℓ_k, ∇L⟩                                   learning-rate confounder (App. F.3)
 * </pre>
 * and the global drift coefficients of Lemma 1: α = −⟨∇L, ∇S⟩, β = ‖∇S‖², so the EoS branch's extra
 * per-group drift is (α/β) Q_k (Prop. 2). Every quantity is invariant under v_1 → −v_1.
 *
 * <p>∇S: S(w) = v_1ᵀ H(w) v_1 with v_1 held fixed, so ∂_i S = Σ_jk ∂_ijk L v_j v_k = ∇³L[v_1, v_1]_i,
 * which by symmetry of the third derivative is also d/dε H(w + ε v_1) v_1 at ε = 0. It is computed as
 * the central difference of two exact HVPs, always in float64 (a float64 twin of the training
 * objective when the run is float32),
 * <pre>  ∇S ≈ [H(w + h v_1) v_1 − H(w − h v_1) v_1] / (2h),   h = hRel · max(‖w‖, 1),   hRel = 1e-7.</pre>
 * For smooth activations the error is O(h²) truncation plus O(ε_mach ‖Hv‖ / h) rounding. For ReLU
 * networks, the paper's, H(w) is only piecewise smooth and the dominant error is the activations the
 * step flips: each flipped unit adds a jump of H divided by 2h, and their number grows with h. At the
 * old float32 step (hRel = 1e-3) three of four Q_k of a 784-64-64-2 ReLU net had the wrong sign and β
 * was 30× too large; in float64, hRel = 1e-6, 1e-7 and 1e-8 agree to five digits (review of this
 * class). So the difference is taken in float64, where a step small enough to flip (almost) nothing
 * still leaves the rounding error near 1e-9 relative; GroupProbeTest checks a ReLU net's ∇S is
 * converged in h.
 * When λ_1 is simple, ∇S is also ∇λ_1 (first-order perturbation theory), the selector of §2.2.
 */
public final class GroupProbe {
    /** Per-group values at one point; arrays are indexed by {@link Group#ordinal()}. */
    public record Result(double[] loss, double[] gradNorm2, double[] proj, double[] cos2, double[] influence,
                         double[] selectorQ, double[] confounderR, double fullLoss, double fullGradNorm2,
                         double alpha, double beta, double h) {
    }

    private final Objective f, f64;
    private final PrototypeSet set;
    private final Backend be;
    private Tensor gradL, gradS, gradK; // (d) each, allocated on first use

    /**
     * @param train   the training objective (any dtype)
     * @param train64 the same objective in float64 (train itself when it is float64), for ∇S
     */
    public GroupProbe(Objective train, Objective train64, PrototypeSet set) {
        if (set.n() != train.n()) throw new IllegalArgumentException("prototype set has n = " + set.n() + " rows, the objective " + train.n());
        if (train64.dtype() != eoslab.tensor.DType.F64 || train64.n() != train.n() || train64.dim() != train.dim()) {
            throw new IllegalArgumentException("GroupProbe: the ∇S objective must be the training objective in float64");
        }
        this.f = train;
        this.f64 = train64;
        this.set = set;
        this.be = train.backend();
    }

    /** hRel of the float64 difference, whatever the run's dtype (see the class comment). */
    public static final double DEFAULT_RELATIVE_STEP = 1e-7;

    /** The finite-difference step h = hRel · max(‖w‖, 1) used for ∇S at w. */
    public static double step(Backend be, Tensor w, double hRel) {
        return hRel * Math.max(Math.sqrt(be.dot(w, w)), 1.0);
    }

    /**
     * ∇S = ∇³L[v, v] at w into {@code out} (d, any dtype), by the central difference of H(w ± h v) v
     * over the full training set of {@code f64} (float64; w and v are converted); returns h.
     * {@code v} should be unit-norm.
     */
    public static double gradS(Objective f64, Tensor w, Tensor v, double hRel, Tensor out) {
        Backend be = f64.backend();
        long d = f64.dim();
        eoslab.tensor.DType F64 = eoslab.tensor.DType.F64;
        Tensor w64 = be.zeros(F64, d), v64 = be.zeros(F64, d), ws = be.zeros(F64, d), hp = be.zeros(F64, d), hm = be.zeros(F64, d);
        be.copy(w, w64);
        be.copy(v, v64);
        double h = step(be, w64, hRel);
        be.copy(w64, ws);
        be.axpby(h, v64, 1, ws);                                // w + h v
        f64.evaluate(ws, null, null, v64, 1, hp, null);
        be.copy(w64, ws);
        be.axpby(-h, v64, 1, ws);                               // w − h v
        f64.evaluate(ws, null, null, v64, 1, hm, null);
        be.axpby(1 / (2 * h), hp, -1 / (2 * h), hm);            // (H₊v − H₋v) / 2h
        be.copy(hm, out);
        return h;
    }

    /** All per-group metrics at w with unit eigenvector v1 (d). */
    public Result measure(Tensor w, Tensor v1, double hRel) {
        long d = f.dim();
        if (gradL == null) {
            gradL = be.zeros(f.dtype(), d);
            gradS = be.zeros(f.dtype(), d);
            gradK = be.zeros(f.dtype(), d);
        }
        double fullLoss = f.evaluate(w, null, gradL, null, 0, null, null);
        double h = gradS(f64, w, v1, hRel, gradS);
        double alpha = -be.dot(gradL, gradS), beta = be.dot(gradS, gradS);
        int G = Group.values().length;
        double[] loss = new double[G], g2 = new double[G], proj = new double[G], cos2 = new double[G], infl = new double[G],
                q = new double[G], r = new double[G];
        for (Group g : Group.values()) {
            int k = g.ordinal();
            loss[k] = f.evaluate(w, set.indices(g), gradK, null, 0, null, null);
            g2[k] = be.dot(gradK, gradK);
            proj[k] = be.dot(gradK, v1);
            infl[k] = proj[k] * proj[k];
            cos2[k] = g2[k] > 0 ? infl[k] / g2[k] : 0; // a zero gradient has no direction: report no coupling
            q[k] = be.dot(gradK, gradS);
            r[k] = be.dot(gradK, gradL);
        }
        return new Result(loss, g2, proj, cos2, infl, q, r, fullLoss, be.dot(gradL, gradL), alpha, beta, h);
    }
}
