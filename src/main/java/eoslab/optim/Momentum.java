package eoslab.optim;

import eoslab.backend.Backend;
import eoslab.nn.Objective;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * Heavy-ball (Polyak) momentum with optional L2 weight decay λ, state (w, m) of size 2d:
 * <pre>
 *   m' = β m + ∇L_B(w) + λ w,   w' = w − η m'
 *   J  = [[I − η(H_B + λI), −ηβ I], [H_B + λI, β I]]      (acting on (δw, δm))
 * </pre>
 * Stability threshold (2 + 2β)/η for λ_max (SPEC §1). Matches PyTorch's SGD(momentum=β,
 * dampening=0, nesterov=False, weight_decay=λ).
 */
public final class Momentum implements Optimizer {
    private final StepLoss f;
    private final LrSchedule lr;
    private final double beta, weightDecay;
    private final BatchSchedule schedule;
    private Tensor grad, hv, dirs;

    /** Heavy ball on the rows {@code schedule.batch(t)} of a data set. */
    public Momentum(Objective f, double lr, double beta, double weightDecay, BatchSchedule schedule) {
        this(StepLoss.of(f, schedule), lr, beta, weightDecay, schedule);
    }

    /** Heavy ball on any per-step loss (e.g. text windows); {@code schedule} is the row schedule or null. */
    public Momentum(StepLoss f, double lr, double beta, double weightDecay, BatchSchedule schedule) {
        this(f, Sgd.checkLr(lr), beta, weightDecay, schedule);
    }

    /** Heavy ball with step t at η_t of {@code lr} (m carries no η, so a varying η_t needs nothing else). */
    public Momentum(StepLoss f, LrSchedule lr, double beta, double weightDecay, BatchSchedule schedule) {
        if (!(beta >= 0 && beta < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + beta);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        this.f = f;
        this.lr = java.util.Objects.requireNonNull(lr, "learning-rate schedule");
        this.beta = beta;
        this.weightDecay = weightDecay;
        this.schedule = schedule;
    }

    @Override public String name() { return "momentum"; }

    @Override public long dim() { return 2 * f.dim(); }

    @Override public long paramDim() { return f.dim(); }

    @Override public Backend backend() { return f.backend(); }

    @Override public DType dtype() { return f.dtype(); }

    @Override public LrSchedule lrSchedule() { return lr; }

    public double beta() { return beta; }

    @Override public double thresholdAt(double eta) { return (2 + 2 * beta) / eta; }

    @Override public BatchSchedule schedule() { return schedule; }

    @Override
    public Optimizer withLr(double newLr) {
        return new Momentum(f, lr.withPeak(Sgd.checkLr(newLr).peak()), beta, weightDecay, schedule);
    }

    @Override
    public Tensor initialState(double[] w0) {
        Tensor s = f.backend().zeros(f.dtype(), 2L * w0.length);
        f.backend().copy(f.backend().fromDoubles(f.dtype(), w0), s.view(0, w0.length));
        return s;
    }

    @Override
    public void step(long t, Tensor state, Tensor tangents, int k) {
        Backend be = f.backend();
        long d = f.dim();
        double eta = lr.lr(t);
        Tensor w = state.view(0, d), m = state.view(d, d);
        if (grad == null) grad = be.zeros(f.dtype(), d);
        if (k > 0 && (hv == null || hv.size < k * d)) {
            hv = be.zeros(f.dtype(), k * d);
            dirs = be.zeros(f.dtype(), k * d);
        }
        // the δw halves of the tangents, packed (k, d) for the batched HVP
        for (int j = 0; j < k; j++) be.copy(tangents.view(2 * d * j, d), dirs.view(d * j, d));
        double loss = f.evaluate(t, w, grad, k > 0 ? dirs : null, k, hv);
        if (!Double.isFinite(loss)) throw new DivergedException(t, loss);
        for (int j = 0; j < k; j++) {
            Tensor dw = tangents.view(2 * d * j, d), dm = tangents.view(2 * d * j + d, d), h = hv.view(d * j, d);
            if (weightDecay != 0) be.axpby(weightDecay, dw, 1, h);
            be.axpby(1, h, beta, dm);      // δm' = β δm + (H + λI) δw
            be.axpby(-eta, dm, 1, dw);     // δw' = δw − η_t δm'
        }
        if (weightDecay != 0) be.axpby(weightDecay, w, 1, grad);
        be.axpby(1, grad, beta, m);        // m' = β m + ∇L_B + λw
        be.axpby(-eta, m, 1, w);           // w' = w − η_t m'
    }
}
