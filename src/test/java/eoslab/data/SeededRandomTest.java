package eoslab.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class SeededRandomTest {

    /** Reference SplitMix64 outputs for seed 0 (Vigna's splitmix64.c: state += γ, then mix). */
    @Test
    void matchesReferenceSplitMix64() {
        SeededRandom r = new SeededRandom(0);
        assertEquals(0xE220A8397B1DCDAFL, r.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, r.nextLong());
        assertEquals(0x06C45D188009454FL, r.nextLong());
    }

    @Test
    void pureFunctionOfSeedAndStream() {
        SeededRandom a = new SeededRandom(42, 3), b = new SeededRandom(42, 3), c = new SeededRandom(42, 4);
        boolean differ = false;
        for (int i = 0; i < 100; i++) {
            long x = a.nextLong();
            assertEquals(x, b.nextLong());
            differ |= x != c.nextLong();
        }
        assertTrue(differ);
    }

    /**
     * Moments of N = 200,000 draws. Uniform: mean 1/2 (sd of the estimate sqrt(1/12/N) = 6.5e-4),
     * Gaussian: mean 0 (sd 1/sqrt(N) = 2.2e-3), variance 1 (sd sqrt(2/N) = 3.2e-3), fourth moment 3
     * (sd sqrt(96/N) = 0.022). Bounds are 6 sd (false-failure odds ~1e-9 each; the stream is fixed anyway).
     */
    @Test
    void moments() {
        int n = 200_000;
        SeededRandom r = new SeededRandom(7);
        double su = 0, sg = 0, sg2 = 0, sg4 = 0;
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble();
            assertTrue(u >= 0 && u < 1);
            su += u;
            double g = r.nextGaussian();
            sg += g;
            sg2 += g * g;
            sg4 += g * g * g * g;
        }
        assertEquals(0.5, su / n, 6 * Math.sqrt(1.0 / 12 / n));
        assertEquals(0.0, sg / n, 6 / Math.sqrt(n));
        assertEquals(1.0, sg2 / n, 6 * Math.sqrt(2.0 / n));
        assertEquals(3.0, sg4 / n, 6 * Math.sqrt(96.0 / n));
    }

    /** nextInt(7): chi-square with 6 dof over 70,000 draws; 99.9999% quantile of chi2(6) is ~ 37.3. */
    @Test
    void nextIntIsUniform() {
        int k = 7, n = 70_000;
        long[] count = new long[k];
        SeededRandom r = new SeededRandom(1);
        for (int i = 0; i < n; i++) count[r.nextInt(k)]++;
        double chi2 = 0, e = (double) n / k;
        for (long c : count) chi2 += (c - e) * (c - e) / e;
        assertTrue(chi2 < 37.3, "chi2 = " + chi2);
    }

    @Test
    void shuffleIsAPermutation() {
        int[] a = new int[1000];
        for (int i = 0; i < a.length; i++) a[i] = i;
        new SeededRandom(5).shuffle(a);
        boolean moved = false;
        boolean[] seen = new boolean[a.length];
        for (int i = 0; i < a.length; i++) {
            assertFalse(seen[a[i]]);
            seen[a[i]] = true;
            moved |= a[i] != i;
        }
        assertTrue(moved);
    }
}
