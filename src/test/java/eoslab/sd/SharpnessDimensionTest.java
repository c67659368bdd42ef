package eoslab.sd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** SD edge cases and hand-computed values (SPEC §3). */
class SharpnessDimensionTest {
    @Test
    void definitionOnAHandComputedSpectrum() {
        // λ = (0.5, 0.2, -0.4, -1.0): prefix sums 0.5, 0.7, 0.3, -0.7 → j* = 3, SD = 3 + 0.3/1.0
        assertEquals(3.3, SharpnessDimension.ofExponents(new double[]{-0.4, 0.5, -1.0, 0.2}).sd(), 1e-12);
        // j* = 1: 0.4 then 0.4 − 0.8 < 0 → SD = 1 + 0.4/0.8
        assertEquals(1.5, SharpnessDimension.ofExponents(new double[]{0.4, -0.8, -2}).sd(), 1e-12);
    }

    @Test
    void edgeCasesFollowTheSpec() {
        // λ_1 < 0 → SD = 0
        assertEquals(0, SharpnessDimension.ofExponents(new double[]{-0.1, -0.3}).sd());
        // j* = d (all partial sums ≥ 0) → SD = d
        assertEquals(3, SharpnessDimension.ofExponents(new double[]{0.3, 0.1, -0.2}).sd());
        assertEquals(2, SharpnessDimension.ofExponents(new double[]{0.0, 0.0}).sd());
        // Hénon-like pair: 0.4204, −1.6244 → Kaplan–Yorke 1 + 0.4204/1.6244
        assertEquals(1 + 0.4204 / 1.6244, SharpnessDimension.ofExponents(new double[]{0.4204, -1.6244}).sd(), 1e-12);
    }

    @Test
    void weightedAtomsReduceToTheDefinitionAndScale() {
        double[] lam = {0.9, 0.3, -0.2, -0.5, -1.5};
        double sd = SharpnessDimension.ofExponents(lam).sd();
        // every exponent split into 4 atoms of mass 1/4 with the same value changes nothing
        double[] z = new double[20], m = new double[20];
        for (int i = 0; i < 20; i++) {
            z[i] = lam[i / 4];
            m[i] = 0.25;
        }
        assertEquals(sd, SharpnessDimension.ofAtoms(z, m).sd(), 1e-12);
        // SD-PS form: M quantiles of mass N/M; doubling N doubles SD
        double[] m2 = m.clone();
        for (int i = 0; i < 20; i++) m2[i] = 0.5;
        assertEquals(2 * sd, SharpnessDimension.ofAtoms(z, m2).sd(), 1e-12);
        // zero-mass atoms are ignored, even a large positive one
        assertEquals(sd, SharpnessDimension.ofAtoms(new double[]{0.9, 0.3, -0.2, -0.5, -1.5, 50}, new double[]{1, 1, 1, 1, 1, 0}).sd(), 1e-12);
    }

    @Test
    void logSigmaOfSgd() {
        assertEquals(Math.log(1.5), SharpnessDimension.logSigma(25, 0.1, 0), 1e-15); // |1 − 2.5|
        assertEquals(Math.log(0.5), SharpnessDimension.logSigma(5, 0.1, 0), 1e-15);
    }
}
