package eoslab.dynamics;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * A random dynamical system in discrete time with its tangent map (SPEC §1): step t applies
 * φ(1, θ^t ω, ·), where the noise ω is fixed when the map is built and the t-th step reads only
 * its t-th element. The state and the k tangent vectors advance in one call so that an optimizer
 * can share one primal pass between the update and its Jacobian-vector products.
 *
 * <p>The Lyapunov tracker, the pullback-attractor ensemble and the SD estimators take one of
 * these and know nothing about networks: Hénon, Lorenz, a quadratic and SGD on an MLP all fit.
 */
public interface RandomMap {
    /** Dimension of the state (2d for momentum, whose state is (w, m)). */
    long dim();

    Backend backend();

    DType dtype();

    /**
     * One step at time t: {@code tangents_j ← Dφ(x) tangents_j} (Jacobian at the state before the
     * step) for j &lt; k, then {@code x ← φ(x)}. With k = 0 (tangents may be null) it only steps.
     */
    void step(long t, Tensor x, Tensor tangents, int k);
}
