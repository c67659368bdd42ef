package eoslab.nn;

/**
 * One named parameter tensor inside the flat parameter vector: {@code shape} in PyTorch's layout
 * (a Linear weight is (out, in)), starting {@code offset} elements into the vector.
 */
public record ParamSpec(String name, int[] shape, long offset) {
    public long size() {
        long s = 1;
        for (int d : shape) s *= d;
        return s;
    }

    public ParamSpec withPrefix(String prefix, long base) {
        return new ParamSpec(prefix + name, shape, base + offset);
    }
}
