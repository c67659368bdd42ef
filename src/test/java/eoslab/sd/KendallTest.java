package eoslab.sd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Kendall τ_b and the granulated coefficients of Jiang et al. (2019) on hand-computed cases. */
class KendallTest {
    @Test
    void tauBWithoutAndWithTies() {
        // x = 1..5, y = (3,1,2,5,4): discordant pairs (1,2), (1,3), (4,5); 7 concordant → (7 − 3)/10
        assertEquals(0.4, Kendall.tauB(new double[]{1, 2, 3, 4, 5}, new double[]{3, 1, 2, 5, 4}), 1e-15);
        // x = (1,1,2,3), y = (1,2,2,3): pair (1,2) tied in x, pair (2,3) tied in y, 4 concordant:
        // τ_b = 4/√((6 − 1)(6 − 1)) = 0.8 (scipy.stats.kendalltau gives 0.8)
        assertEquals(0.8, Kendall.tauB(new double[]{1, 1, 2, 3}, new double[]{1, 2, 2, 3}), 1e-15);
        // x = (1,2,3,4), y = (1,1,1,2): ties in y: n_2 = 3, n_c = 3 → 3/√(6·3) = 0.70710678 (scipy: 0.7071067811865475)
        assertEquals(3 / Math.sqrt(18), Kendall.tauB(new double[]{1, 2, 3, 4}, new double[]{1, 1, 1, 2}), 1e-15);
        assertEquals(-1.0, Kendall.tauB(new double[]{1, 2, 3}, new double[]{3, 2, 1}), 1e-15);
        assertTrue(Double.isNaN(Kendall.tauB(new double[]{1, 1, 1}, new double[]{3, 2, 1})), "constant x: undefined");
        assertThrows(IllegalArgumentException.class, () -> Kendall.tauB(new double[]{1, 2}, new double[]{1}));
    }

    @Test
    void granulatedCoefficientsOnA3x2Grid() {
        // runs (lr, bs, measure, gap):
        double[] lr = {0.1, 0.2, 0.4, 0.1, 0.2, 0.4};
        double[] bs = {16, 16, 16, 32, 32, 32};
        double[] measure = {1, 2, 3, 2, 1, 5};
        double[] gap = {1, 2, 3, 1, 2, 3};
        // ψ_LR: bs = 16: measure (1,2,3) vs gap (1,2,3) → τ = 1; bs = 32: (2,1,5) vs (1,2,3): pairs
        // (1,2) disc, (1,3) conc, (2,3) conc → 1/3. ψ_LR = (1 + 1/3)/2 = 2/3.
        // ψ_BS: at each lr the gaps tie across batch sizes (gap 1,1 / 2,2 / 3,3) → τ undefined in
        // every group → ψ_BS = NaN with 0 groups, and Ψ = NaN.
        Kendall.Granulated g = Kendall.granulated(lr, bs, measure, gap);
        assertEquals(2.0 / 3, g.psiLr(), 1e-15);
        assertEquals(2, g.groupsLr());
        assertTrue(Double.isNaN(g.psiBs()));
        assertEquals(0, g.groupsBs());
        // overall τ_b: measure (1,2,3,2,1,5), gap (1,2,3,1,2,3), computed by hand:
        // n_c = 9, n_d = 1 (runs 3,4), ties in measure 2 pairs, ties in gap 3 pairs, n_0 = 15 → 8/√(13·12)
        // (scipy.stats.kendalltau: 0.6405126152203486)
        assertEquals(8 / Math.sqrt(13 * 12), g.tau(), 1e-15);

        // a gap that varies with batch size too: gap = (1,2,3, 2,3,5)
        double[] gap2 = {1, 2, 3, 2, 3, 5};
        Kendall.Granulated h = Kendall.granulated(lr, bs, measure, gap2);
        // ψ_LR: bs 16 → 1; bs 32: (2,1,5) vs (2,3,5) → 1/3; ψ_LR = 2/3
        // ψ_BS: lr 0.1: measure (1,2) gap (1,2) → 1; lr 0.2: (2,1) vs (2,3) → −1; lr 0.4: (3,5) vs (3,5) → 1; ψ_BS = 1/3
        assertEquals(2.0 / 3, h.psiLr(), 1e-15);
        assertEquals(1.0 / 3, h.psiBs(), 1e-15);
        assertEquals(0.5, h.psi(), 1e-15);
        assertEquals(3, h.groupsBs());
    }
}
