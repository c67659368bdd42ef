package eoslab.optim;

import eoslab.backend.Backend;
import eoslab.nn.Objective;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * Gradient descent on minibatches B_t (full batch when B = n), with optional L2 weight decay λ:
 * <pre>
 *   w' = w − η (∇L_B(w) + λ w)          J = I − η (H_B(w) + λ I)
 * </pre>
 * The gradient and the k Hessian-vector products of the tangents share one primal pass.
 */
public final class Sgd implements Optimizer {
    private final StepLoss f;
    private final LrSchedule lr;
    private final double weightDecay;
    private final BatchSchedule schedule;
    private Tensor grad, hv;

    /** SGD on the rows {@code schedule.batch(t)} of a data set. */
    public Sgd(Objective f, double lr, double weightDecay, BatchSchedule schedule) {
        this(StepLoss.of(f, schedule), lr, weightDecay, schedule);
    }

    /** SGD on any per-step loss (e.g. text windows); {@code schedule} is the row schedule or null. */
    public Sgd(StepLoss f, double lr, double weightDecay, BatchSchedule schedule) {
        this(f, checkLr(lr), weightDecay, schedule);
    }

    /** SGD with step t at η_t of {@code lr}. */
    public Sgd(StepLoss f, LrSchedule lr, double weightDecay, BatchSchedule schedule) {
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        this.f = f;
        this.lr = java.util.Objects.requireNonNull(lr, "learning-rate schedule");
        this.weightDecay = weightDecay;
        this.schedule = schedule;
    }

    @Override public String name() { return schedule != null && schedule.fullBatch() ? "gd" : "sgd"; }

    @Override public long dim() { return f.dim(); }

    @Override public long paramDim() { return f.dim(); }

    @Override public Backend backend() { return f.backend(); }

    @Override public DType dtype() { return f.dtype(); }

    @Override public LrSchedule lrSchedule() { return lr; }

    @Override public double thresholdAt(double eta) { return 2 / eta; }

    @Override public BatchSchedule schedule() { return schedule; }

    @Override
    public Optimizer withLr(double newLr) {
        return new Sgd(f, lr.withPeak(checkLr(newLr).peak()), weightDecay, schedule);
    }

    @Override
    public Tensor initialState(double[] w0) {
        return f.backend().fromDoubles(f.dtype(), w0);
    }

    @Override
    public void step(long t, Tensor w, Tensor tangents, int k) {
        Backend be = f.backend();
        double eta = lr.lr(t);
        if (grad == null) grad = be.zeros(f.dtype(), f.dim());
        if (k > 0 && (hv == null || hv.size < (long) k * f.dim())) hv = be.zeros(f.dtype(), (long) k * f.dim());
        double loss = f.evaluate(t, w, grad, tangents, k, hv);
        if (!Double.isFinite(loss)) throw new DivergedException(t, loss);
        if (k > 0) {
            Tensor hk = hv.view(0, (long) k * f.dim());
            if (weightDecay != 0) be.axpby(weightDecay, tangents, 1, hk);
            be.axpby(-eta, hk, 1, tangents);                // δw ← (I − η_t(H + λI)) δw
        }
        if (weightDecay != 0) be.axpby(weightDecay, w, 1, grad);
        be.axpby(-eta, grad, 1, w);                           // w ← w − η_t(∇L_B + λw)
    }

    /** A constant schedule; the optimizers' own message for a bad η. */
    static LrSchedule checkLr(double lr) {
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learning rate must be a positive number, got " + lr);
        return LrSchedule.constant(lr);
    }
}
