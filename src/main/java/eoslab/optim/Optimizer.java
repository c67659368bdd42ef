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

    /** Learning rate η. */
    double lr();

    /**
     * The stability threshold for λ_max of the loss Hessian: 2/η for GD and SGD,
     * (2 + 2β)/η for heavy-ball momentum (SPEC §1).
     */
    double threshold();

    /** The noise ω this map reads. */
    BatchSchedule schedule();

    /** The parameters inside a state tensor. */
    default Tensor params(Tensor state) {
        return state.view(0, paramDim());
    }

    /** A fresh state (parameters w0, any extra state zero) on the optimizer's backend. */
    Tensor initialState(double[] w0);

    /** A copy of this optimizer with another learning rate and the same noise (for branching). */
    Optimizer withLr(double lr);
}
