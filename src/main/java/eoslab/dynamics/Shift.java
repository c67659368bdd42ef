package eoslab.dynamics;

import eoslab.backend.Backend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/**
 * The shift θ^s of the noise: the map whose step t is the original map's step s + t. Because
 * every step reads only its own element of ω, this is "start reading at s" (SPEC §1), and the
 * cocycle property φ(t + s, ω, w) = φ(t, θ^s ω, φ(s, ω, w)) holds exactly, bit for bit.
 */
public record Shift(RandomMap map, long s) implements RandomMap {
    @Override public long dim() { return map.dim(); }

    @Override public Backend backend() { return map.backend(); }

    @Override public DType dtype() { return map.dtype(); }

    @Override
    public void step(long t, Tensor x, Tensor tangents, int k) {
        map.step(s + t, x, tangents, k);
    }

    /** φ(steps, ω, x): run steps 0 … steps−1 in place. */
    public static void flow(RandomMap map, long steps, Tensor x) {
        for (long t = 0; t < steps; t++) map.step(t, x, null, 0);
    }
}
