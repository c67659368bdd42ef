package eoslab.util;

/**
 * A counter-based generator: every number is a pure function of (seed, stream, counter), so any
 * step's randomness can be recomputed without replaying the ones before it. This is what makes the
 * noise ω of SGD a fixed sequence whose shift θ^s ω is "start reading at s" (SPEC §1), and what
 * makes resumed and forked runs bit-exact.
 *
 * <p>The mixer is SplitMix64's finaliser (Steele, Lea, Flood 2014) applied to a key built from
 * the three inputs with distinct odd multipliers.
 */
public final class CounterRng {
    private CounterRng() {
    }

    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** 64 random bits for (seed, stream, counter). */
    public static long bits(long seed, long stream, long counter) {
        long k = mix(seed * 0x9e3779b97f4a7c15L + 0x632be59bd9b4e019L);
        k = mix(k ^ (stream * 0xd6e8feb86659fd93L));
        return mix(k ^ (counter * 0xa0761d6478bd642fL + 0x8ebc6af09c88c6e3L));
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public static double uniform(long seed, long stream, long counter) {
        return (bits(seed, stream, counter) >>> 11) * 0x1.0p-53;
    }

    /** Standard normal by Box–Muller on two counter draws. */
    public static double gaussian(long seed, long stream, long counter) {
        double u1 = uniform(seed, stream, 2 * counter);
        double u2 = uniform(seed, stream, 2 * counter + 1);
        return Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Uniform integer in [0, n), unbiased (Lemire's multiply-shift with rejection). */
    public static int below(long seed, long stream, long counter, int n) {
        long c = counter;
        for (int tries = 0; ; tries++) {
            long r = bits(seed, stream, c) >>> 32;
            long m = r * n;
            long low = m & 0xffffffffL;
            if (low >= (0x100000000L % n)) return (int) (m >>> 32);
            c = c ^ (0x5851f42d4c957f2dL * (tries + 1));
        }
    }

    /** Fisher–Yates permutation of [0, n) for (seed, stream). */
    public static int[] permutation(long seed, long stream, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = below(seed, stream, i, i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }
}
