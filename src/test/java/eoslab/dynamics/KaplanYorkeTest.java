package eoslab.dynamics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** D_KY on hand-computed cases (tolerance 1e-12 absolute: exact arithmetic on short sums). */
class KaplanYorkeTest {
    static final double TOL = 1e-12;

    @Test
    void oneExpandingDirection() {
        KaplanYorke ky = KaplanYorke.of(new double[]{0.5, -1.0});
        assertEquals(1.5, ky.dimension(), TOL);       // 1 + 0.5/1
        assertEquals(1, ky.j());
        assertFalse(ky.kTooSmall());
    }

    @Test
    void twoExpandingDirections() {
        // S = 1, 1.5, −0.5, −3.5 → j = 2, D = 2 + 1.5/|−2| = 2.75
        KaplanYorke ky = KaplanYorke.of(new double[]{1.0, 0.5, -2.0, -3.0});
        assertEquals(2.75, ky.dimension(), TOL);
        assertEquals(2, ky.j());
    }

    @Test
    void henonAndLorenzReferenceValues() {
        assertEquals(1.2588, KaplanYorke.of(new double[]{0.4204, -1.6244}).dimension(), 1e-4);
        assertEquals(2.062, KaplanYorke.of(new double[]{0.906, 0, -14.572}).dimension(), 1e-3);
    }

    @Test
    void contractingEverywhereIsZero() {
        KaplanYorke ky = KaplanYorke.of(new double[]{-0.1, -1.0});
        assertEquals(0.0, ky.dimension());
        assertEquals(0, ky.j());
        assertFalse(ky.kTooSmall());
    }

    @Test
    void kTooSmallIsFlagged() {
        // Σ_{i≤k} λ_i = 0.1 ≥ 0: the k = 3 tracked exponents never reach a shrinking volume.
        KaplanYorke ky = KaplanYorke.of(new double[]{0.5, 0.1, -0.5});
        assertTrue(ky.kTooSmall());
        assertEquals(3.0, ky.dimension());
        assertEquals(3, ky.j());
        // Exactly zero sum counts as S_k ≥ 0.
        assertTrue(KaplanYorke.of(new double[]{1.0, -1.0}).kTooSmall());
        assertFalse(KaplanYorke.of(new double[]{1.0, -1.0000001}).kTooSmall());
    }

    @Test
    void sortsFiniteTimeEstimatesFirst() {
        assertEquals(1.5, KaplanYorke.of(new double[]{-1.0, 0.5}).dimension(), TOL);
        assertEquals(2.75, KaplanYorke.of(new double[]{-3.0, 0.5, -2.0, 1.0}).dimension(), TOL);
    }

    @Test
    void rejectsNaN() {
        assertThrows(IllegalArgumentException.class, () -> KaplanYorke.of(new double[]{0.1, Double.NaN}));
    }
}
