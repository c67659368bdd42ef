package eoslab.optim;

import eoslab.backend.AdamWCoefficients;
import eoslab.backend.Backend;
import eoslab.nn.Objective;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * AdamW (Loshchilov &amp; Hutter 2019; PyTorch's {@code torch.optim.AdamW}) as an update map on the
 * state (w, m, v) of size 3d, with bias correction and decoupled weight decay λ. At step t (0-based;
 * PyTorch's step count is s = t + 1), with g = ∇L_{B_t}(w), c₁ = 1 − β₁ˢ, c₂ = 1 − β₂ˢ:
 * <pre>
 *   m' = β₁ m + (1 − β₁) g              v' = β₂ v + (1 − β₂) g ⊙ g
 *   m̂ = m'/c₁   v̂ = v'/c₂   p = √v̂ + ε  (the preconditioner P = diag(p))
 *   w' = (1 − ηλ) w − η m̂ / p
 * </pre>
 * <b>Tangent map.</b> By default the exact Jacobian of the full state map (SPEC §1), with δg = H_B δw:
 * <pre>
 *   δm' = β₁ δm + (1 − β₁) H δw
 *   δv' = β₂ δv + 2(1 − β₂) g ⊙ H δw
 *   δw' = (1 − ηλ) δw − η [ δm'/(c₁ p) − m̂ ⊙ δv'/(2 c₂ √v̂ p²) ]
 * </pre>
 * (the last term is taken as 0 where v̂ = 0, where √ is not differentiable). With
 * {@code freezePreconditioner} the δv' → δw' term is dropped, i.e. P is held fixed inside the step
 * (the approximation of Cohen et al. 2022, whose stability threshold is on λ_max(P⁻¹H); SPEC §1 allows
 * it); the state and its tangent stay 3d so the two are interchangeable in the Lyapunov tracker.
 *
 * <p>The gradient and the k HVPs share one primal pass on the backend; the elementwise update and
 * its tangent map are two fused Backend ops ({@link Backend#adamwUpdate}, {@link Backend#adamwTangents};
 * float64 arithmetic, rounded once on store), so state, gradient and HVPs never leave the device
 * (issue #6: copying the 3d state and every tangent to the host dominated a GPT-2 step on a GPU).
 */
public final class AdamW implements Optimizer {
    private final StepLoss f;
    private final BatchSchedule schedule;
    private final LrSchedule lr;
    private final double beta1, beta2, eps, weightDecay;
    private final boolean freeze;
    private Tensor grad, hv, dirs;

    public AdamW(StepLoss f, double lr, double beta1, double beta2, double eps, double weightDecay,
                 boolean freezePreconditioner, BatchSchedule schedule) {
        this(f, Sgd.checkLr(lr), beta1, beta2, eps, weightDecay, freezePreconditioner, schedule);
    }

    /**
     * AdamW with step t at η_t of {@code lr}: η_t enters only the w update, (1 − η_tλ)w − η_t m̂/p, as in
     * PyTorch when a scheduler sets the group's lr before step t (m and v carry no η).
     */
    public AdamW(StepLoss f, LrSchedule lr, double beta1, double beta2, double eps, double weightDecay,
                 boolean freezePreconditioner, BatchSchedule schedule) {
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("AdamW beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("AdamW beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("AdamW eps must be > 0, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        this.f = f;
        this.lr = java.util.Objects.requireNonNull(lr, "learning-rate schedule");
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.freeze = freezePreconditioner;
        this.schedule = schedule;
    }

    /** AdamW on the rows {@code schedule.batch(t)} of a data set. */
    public AdamW(Objective f, double lr, double beta1, double beta2, double eps, double weightDecay, BatchSchedule schedule) {
        this(StepLoss.of(f, schedule), lr, beta1, beta2, eps, weightDecay, false, schedule);
    }

    @Override public String name() { return "adamw"; }

    @Override public long dim() { return 3 * f.dim(); }

    @Override public long paramDim() { return f.dim(); }

    @Override public Backend backend() { return f.backend(); }

    @Override public DType dtype() { return f.dtype(); }

    @Override public LrSchedule lrSchedule() { return lr; }

    public double beta1() { return beta1; }

    public double beta2() { return beta2; }

    public double eps() { return eps; }

    public double weightDecay() { return weightDecay; }

    public boolean freezesPreconditioner() { return freeze; }

    /**
     * Adam's threshold is on the preconditioned sharpness λ_max(P⁻¹H), not on λ_max(H):
     * (2 + 2β₁)/((1 − β₁)η) (Cohen et al. 2022; SPEC §1).
     */
    @Override public double thresholdAt(double eta) { return (2 + 2 * beta1) / ((1 - beta1) * eta); }

    /** The row schedule when built on a data set; null when the loss forms its own batches (text windows). */
    @Override public BatchSchedule schedule() { return schedule; }

    @Override
    public Optimizer withLr(double newLr) {
        return new AdamW(f, lr.withPeak(Sgd.checkLr(newLr).peak()), beta1, beta2, eps, weightDecay, freeze, schedule);
    }

    @Override
    public Tensor initialState(double[] w0) {
        Tensor s = f.backend().zeros(f.dtype(), 3L * w0.length);
        f.backend().copy(f.backend().fromDoubles(f.dtype(), w0), s.view(0, w0.length));
        return s;
    }

    @Override
    public void step(long t, Tensor state, Tensor tangents, int k) {
        Backend be = f.backend();
        long d = f.dim();
        Tensor w = state.view(0, d), m = state.view(d, d), v = state.view(2 * d, d);   // (d) each
        if (grad == null) grad = be.zeros(f.dtype(), d);
        if (k > 0 && (hv == null || hv.size < k * d)) {
            hv = be.zeros(f.dtype(), k * d);
            dirs = be.zeros(f.dtype(), k * d);
        }
        for (int j = 0; j < k; j++) be.copy(tangents.view(3 * d * j, d), dirs.view(d * j, d)); // the δw parts, (k, d)
        double loss = f.evaluate(t, w, grad, k > 0 ? dirs : null, k, hv);
        if (!Double.isFinite(loss)) throw new DivergedException(t, loss);

        AdamWCoefficients c = AdamWCoefficients.atStep(t, lr.lr(t), beta1, beta2, eps, weightDecay);
        // tangents first: the Jacobian is taken at the state before the step
        if (k > 0) be.adamwTangents(tangents.view(0, 3 * d * k), k, grad, hv.view(0, k * d), m, v, c, freeze);
        be.adamwUpdate(w, m, v, grad, c);
    }
}
