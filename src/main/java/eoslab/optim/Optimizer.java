package eoslab.optim;

import eoslab.dynamics.RandomMap;
import eoslab.tensor.Tensor;

/**
 * An optimizer as an update map w_{t+1} = φ(1, θ^t ω, w_t) with its Jacobian-vector products
 * (SPEC §1). The state may be larger than the parameters (momentum carries (w, m)); the
 * parameters are always its first {@link #paramDim()} elements.
 */
public interface Optimizer extends RandomMap {
    String name();

    /** Number of model parameters d (the state has {@link #dim()} ≥ d elements). */
    long paramDim();

    /** Learning rate η: the schedule's peak ({@link LrSchedule#peak}); η_t of every step when it is constant. */
    default double lr() {
        return lrSchedule().peak();
    }

    /** η_t, the learning rate step t uses. */
    default double lr(long t) {
        return lrSchedule().lr(t);
    }

    /** The learning-rate schedule η_t (constant unless built with one). */
    LrSchedule lrSchedule();

    /**
     * The stability threshold at learning rate η: for λ_max of the loss Hessian 2/η for GD and SGD,
     * (2 + 2β)/η for heavy-ball momentum; for AdamW on λ_max(P⁻¹H) (SPEC §1).
     */
    double thresholdAt(double eta);

    /** The threshold of step t, at η_t: it moves with η_t under a schedule. */
    default double threshold(long t) {
        return thresholdAt(lr(t));
    }

    /** The threshold at the peak η (the threshold of every step for a constant schedule). */
    default double threshold() {
        return thresholdAt(lr());
    }

    /** The noise ω this map reads. */
    BatchSchedule schedule();

    /** The parameters inside a state tensor. */
    default Tensor params(Tensor state) {
        return state.view(0, paramDim());
    }

    /** A fresh state (parameters w0, any extra state zero) on the optimizer's backend. */
    Tensor initialState(double[] w0);

    /**
     * A copy of this optimizer with another learning rate and the same noise (for branching): the
     * schedule's peak becomes {@code lr} ({@link LrSchedule#withPeak}).
     */
    Optimizer withLr(double lr);
}
