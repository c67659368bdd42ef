package eoslab.data;

/**
 * SplitMix64 (Steele, Lea, Flood 2014): the k-th draw is {@code mix(seed + k·γ)} with
 * γ = 0x9E3779B97F4A7C15, so a stream is a pure function of its seed and position, and two
 * streams with different seeds are statistically independent for our purposes. Not thread-safe:
 * give each task its own stream via {@link #SeededRandom(long, long)}.
 *
 * <p>Used for the data layer only (subset order, synthetic data); training noise has its own
 * counter-based generator. Every method consumes a fixed number of 64-bit draws (documented), so
 * results do not depend on the JDK's {@code java.util.Random} implementation.
 */
public final class SeededRandom {
    private static final long GAMMA = 0x9E3779B97F4A7C15L;
    private long state;

    public SeededRandom(long seed) {
        this.state = seed;
    }

    /** Stream {@code stream} of {@code seed}: the seed of the stream is a hash of both, so streams 0, 1, 2 … do not overlap in practice. */
    public SeededRandom(long seed, long stream) {
        this(mix64(mix64(seed) ^ mix64(stream + GAMMA)));
    }

    /** The SplitMix64 finalizer (variant 13 of Stafford's mixers). */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** One draw. */
    public long nextLong() {
        state += GAMMA;
        return mix64(state);
    }

    /** Uniform in [0, 1) with 53 random bits; one draw. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), unbiased by rejection; one draw on average (at most 2 expected). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        long b = bound;
        while (true) {
            long bits = nextLong() >>> 1;
            long val = bits % b;
            if (bits - val + (b - 1) >= 0) return (int) val;
        }
    }

    /** Standard normal by Box–Muller, cosine branch only; exactly two draws. */
    public double nextGaussian() {
        double u1 = ((nextLong() >>> 11) + 1) * 0x1.0p-53; // (0, 1]: log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Fisher–Yates shuffle in place; a.length − 1 calls of {@link #nextInt}. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
