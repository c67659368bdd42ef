package eoslab.optim;

import eoslab.backend.Backend;
import eoslab.nn.Objective;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The minibatch loss L_{B_t}(w) an optimizer reads at step t, with its gradient and exact
 * Hessian-vector products sharing one primal pass. It hides how B_t is formed (rows of a data set
 * through a {@link BatchSchedule}, windows of a token stream, …); B_t must be a pure function of
 * (seed, t) (SPEC §1).
 */
public interface StepLoss {
    /** Number of parameters d. */
    long dim();

    Backend backend();

    DType dtype();

    /** L_{B_t}(w); grad = ∇L_{B_t}(w) when not null, hv_j = ∇²L_{B_t}(w) v_j for j &lt; k (both overwritten). */
    double evaluate(long t, Tensor w, Tensor grad, Tensor v, int k, Tensor hv);

    /** The rows {@code schedule.batch(t)} of {@code f}'s data set. */
    static StepLoss of(Objective f, BatchSchedule schedule) {
        return new StepLoss() {
            @Override public long dim() { return f.dim(); }

            @Override public Backend backend() { return f.backend(); }

            @Override public DType dtype() { return f.dtype(); }

            @Override
            public double evaluate(long t, Tensor w, Tensor grad, Tensor v, int k, Tensor hv) {
                return f.evaluate(w, schedule.batch(t), grad, v, k, hv, null);
            }
        };
    }
}
