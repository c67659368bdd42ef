package eoslab.curvature;

/**
 * Which end of the spectrum "top-k" means. Sharpness is the largest algebraic eigenvalue λ_1 of
 * the Hessian (compared against 2/η); Hessians can have large negative eigenvalues, so the
 * largest-magnitude ones are a different set and are offered separately.
 */
public enum EigenOrder {
    /** λ_1 ≥ λ_2 ≥ …: the default, what sharpness needs. */
    LARGEST_ALGEBRAIC,
    /** |λ_1| ≥ |λ_2| ≥ …: e.g. for the spectral norm. */
    LARGEST_MAGNITUDE;

    /** Indices of {@code values} in this order (values may be in any order). */
    int[] order(double[] values) {
        Integer[] idx = new Integer[values.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (a, b) -> this == LARGEST_ALGEBRAIC
                ? Double.compare(values[b], values[a])
                : Double.compare(Math.abs(values[b]), Math.abs(values[a])));
        int[] out = new int[idx.length];
        for (int i = 0; i < out.length; i++) out[i] = idx[i];
        return out;
    }
}
