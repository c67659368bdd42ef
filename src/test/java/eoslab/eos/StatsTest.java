package eoslab.eos;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Ranks and Spearman ρ against values computed by hand (shown next to each case). */
class StatsTest {
    static final double TOL = 1e-15; // atol; every reference is O(1)

    @Test
    void averageRanksForTies() {
        assertArrayEquals(new double[]{1, 2.5, 2.5, 4}, Stats.ranks(new double[]{10, 20, 20, 30}));
        // three-way tie spanning ranks 2,3,4 -> 3; input order scrambled
        assertArrayEquals(new double[]{3, 5, 3, 1, 3}, Stats.ranks(new double[]{7, 9, 7, -1, 7}));
    }

    @Test
    void spearmanWithoutTies() {
        // d = rank differences (-1, 1, -1, 1, 0), Σd² = 4, ρ = 1 − 6·4/(5·24) = 0.8
        assertEquals(0.8, Stats.spearman(new double[]{1, 2, 3, 4, 5}, new double[]{2, 1, 4, 3, 5}), TOL);
    }

    @Test
    void spearmanWithTies() {
        // ranks a = (1, 2.5, 2.5, 4), b = (1, 2, 3, 4): Σda·db = 4.5, Σda² = 4.5, Σdb² = 5 -> ρ = √0.9
        assertEquals(Math.sqrt(0.9), Stats.spearman(new double[]{1, 2, 2, 3}, new double[]{1, 2, 3, 4}), TOL);
        // ranks a = (1.5, 1.5, 3.5, 3.5), b = (1.5, 3.5, 1.5, 3.5): centred products cancel -> 0
        assertEquals(0.0, Stats.spearman(new double[]{1, 1, 2, 2}, new double[]{1, 2, 1, 2}), TOL);
    }

    @Test
    void spearmanIsRankInvariant() {
        double[] a = {0.3, -2, 5, 1.1, 0.9, 7};
        double[] ea = new double[a.length], neg = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            ea[i] = Math.exp(a[i]);
            neg[i] = -a[i] * a[i] * a[i];
        }
        assertEquals(1.0, Stats.spearman(a, ea), TOL);
        assertEquals(-1.0, Stats.spearman(a, neg), TOL);
    }

    @Test
    void undefinedAndInvalidInput() {
        assertTrue(Double.isNaN(Stats.spearman(new double[]{1, 1, 1}, new double[]{1, 2, 3})), "constant variable: ρ undefined");
        assertThrows(IllegalArgumentException.class, () -> Stats.spearman(new double[]{1, 2}, new double[]{1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> Stats.ranks(new double[]{1, Double.NaN}));
    }

    /** numpy.quantile(..., method="linear") values, computed by hand: h = (n−1)q. */
    @Test
    void quantilesInterpolateLinearly() {
        double[] a = {4, 1, 3, 2};
        assertEquals(2.5, Stats.median(a), TOL);               // h = 1.5 -> 2 + 0.5·1
        assertEquals(1.75, Stats.quantile(a, 0.25), TOL);      // h = 0.75 -> 1 + 0.75·1
        assertEquals(3.25, Stats.quantile(a, 0.75), TOL);      // h = 2.25 -> 3 + 0.25·1
        assertEquals(1.0, Stats.quantile(a, 0), TOL);
        assertEquals(4.0, Stats.quantile(a, 1), TOL);
        assertEquals(7.0, Stats.median(new double[]{7, 9, 5}), TOL);
        assertArrayEquals(new double[]{4, 1, 3, 2}, a, "input not reordered");
        assertThrows(IllegalArgumentException.class, () -> Stats.quantile(a, 1.5));
    }
}
