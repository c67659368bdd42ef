package eoslab.nn;

import eoslab.util.CounterRng;

/**
 * Parameter initialisation as a pure function of (seed, parameter offset, index), so a model's
 * initial weights do not depend on construction order or thread count. {@code scale} multiplies
 * PyTorch's defaults (Kwag et al. use 0.2, App. A).
 */
public record Init(long seed, double scale) {
    /** Uniform in [-bound, bound], element {@code i} of the tensor at {@code offset}. */
    public double uniform(long offset, long i, double bound) {
        return scale * bound * (2 * CounterRng.uniform(seed, offset, i) - 1);
    }

    /** Normal(0, std²), element {@code i} of the tensor at {@code offset}. */
    public double normal(long offset, long i, double std) {
        return scale * std * CounterRng.gaussian(seed, offset, i);
    }
}
