package eoslab.sd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The computable terms of Thm 4.5 (Tuci et al.) on hand-computed values. */
class GeneralizationBoundTest {
    @Test
    void termsOnRoundNumbers() {
        // n = 100, d = 25, SD = 4, L = 2, B = 1, δ = e⁻¹ (log 1/δ = 1), ζ = e⁻² (log 1/ζ = 2)
        GeneralizationBound b = new GeneralizationBound(100, 25, 4, 2, 1, Math.exp(-1), Math.exp(-2));
        assertEquals(4 / Math.E, b.lipschitzTerm(), 1e-15);              // 2Lδ
        assertEquals(0.8, b.sdTerm(), 1e-15);                             // 2·√(4·4·1/100)
        assertEquals(2.0, b.sdTermWithD(), 1e-15);                        // 2·√(4·25·1/100)
        assertEquals(0.2, b.confidenceTerm(), 1e-15);                     // 2/√100
        assertEquals(0.5, b.classical(), 1e-15);                          // √(25/100)
        assertEquals(4 / Math.E + 0.8 + 0.2, b.computableSum(), 1e-15);
        // B scales the SD term linearly; SD = 0 removes it
        assertEquals(2.4, new GeneralizationBound(100, 25, 4, 2, 3, Math.exp(-1), Math.exp(-2)).sdTerm(), 1e-14);
        assertEquals(0.0, new GeneralizationBound(100, 25, 0, 2, 1, Math.exp(-1), Math.exp(-2)).sdTerm());
    }

    @Test
    void rejectsParametersOutsideTheTheorem() {
        assertThrows(IllegalArgumentException.class, () -> new GeneralizationBound(100, 25, 4, 1, 1, 1.0, 0.05));   // δ must be < 1
        assertThrows(IllegalArgumentException.class, () -> new GeneralizationBound(100, 25, 4, 1, 1, 0.01, 0.0));   // ζ must be > 0
        assertThrows(IllegalArgumentException.class, () -> new GeneralizationBound(100, 25, 4, 1, 0, 0.01, 0.05));  // B > 0
        assertThrows(IllegalArgumentException.class, () -> new GeneralizationBound(0, 25, 4, 1, 1, 0.01, 0.05));    // n ≥ 1
        assertThrows(IllegalArgumentException.class, () -> new GeneralizationBound(100, 25, Double.NaN, 1, 1, 0.01, 0.05));
    }
}
