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
 * the central difference of two exact HVPs,
 * <pre>  ∇S ≈ [H(w + h v_1) v_1 − H(w − h v_1) v_1] / (2h),   h = hRel · max(‖w‖, 1),</pre>
 * error O(h²) from truncation plus O(ε_mach ‖Hv‖ / h) from rounding. Balancing the two gives
 * h ≈ ε_mach^{1/3} × (the scale over which H changes, ~‖w‖): hRel = 1e-3 in float32
 * (ε^{1/3} ≈ 5e-3) and 1e-5 in float64 (ε^{1/3} ≈ 6e-6) are the defaults
 * ({@link #defaultRelativeStep}). With ReLU networks H(w) is only piecewise smooth; a small h crosses
 * few activation boundaries, and the ones it crosses bias ∇S in proportion to how many it crosses.
 * When λ_1 is simple, ∇S is also ∇λ_1 (first-order perturbation theory), the selector of §2.2.
 */
public final class GroupProbe {
    /** Per-group values at one point; arrays are indexed by {@link Group#ordinal()}. */
    public record Result(double[] loss, double[] gradNorm2, double[] proj, double[] cos2, double[] influence,
                         double[] selectorQ, double[] confounderR, double fullLoss, double fullGradNorm2,
                         double alpha, double beta, double h) {
    }

    private final Objective f;
    private final PrototypeSet set;
    private final Backend be;
    private Tensor gradL, gradS, gradK; // (d) each, allocated on first use

    public GroupProbe(Objective train, PrototypeSet set) {
        if (set.n() != train.n()) throw new IllegalArgumentException("prototype set has n = " + set.n() + " rows, the objective " + train.n());
        this.f = train;
        this.set = set;
        this.be = train.backend();
    }

    /** hRel: 1e-3 for float32, 1e-5 for float64 (see the class comment). */
    public static double defaultRelativeStep(eoslab.tensor.DType dt) {
        return dt == eoslab.tensor.DType.F64 ? 1e-5 : 1e-3;
    }

    /** The finite-difference step h = hRel · max(‖w‖, 1) used for ∇S at w. */
    public static double step(Backend be, Tensor w, double hRel) {
        return hRel * Math.max(Math.sqrt(be.dot(w, w)), 1.0);
    }

    /**
     * ∇S = ∇³L[v, v] at w into {@code out} (d), by the central difference of H(w ± h v) v over the
     * full training set of {@code f}; returns h. {@code v} should be unit-norm.
     */
    public static double gradS(Objective f, Tensor w, Tensor v, double hRel, Tensor out) {
        Backend be = f.backend();
        long d = f.dim();
        double h = step(be, w, hRel);
        Tensor ws = be.zeros(f.dtype(), d), hp = be.zeros(f.dtype(), d);
        be.copy(w, ws);
        be.axpby(h, v, 1, ws);                                  // w + h v
        f.evaluate(ws, null, null, v, 1, hp, null);
        be.copy(w, ws);
        be.axpby(-h, v, 1, ws);                                 // w − h v
        f.evaluate(ws, null, null, v, 1, out, null);
        be.axpby(1 / (2 * h), hp, -1 / (2 * h), out);           // (H₊v − H₋v) / 2h
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
        double h = gradS(f, w, v1, hRel, gradS);
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
