package eoslab.data;

import org.junit.jupiter.api.Test;

import static eoslab.data.IdxTest.userError;
import static org.junit.jupiter.api.Assertions.*;

/** Normalization statistics come from train only and are applied unchanged to test. */
class NormalizationTest {

    static float[] data(int n, int f, long seed) {
        SeededRandom r = new SeededRandom(seed);
        float[] x = new float[n * f];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < f; j++) x[i * f + j] = j == 2 ? 0.25f : (float) (0.1 * j + (j + 1) * 0.3 * r.nextDouble()); // feature 2 constant
        }
        return x;
    }

    @Test
    void centerAndStandardizeAgainstFloat64Formula() {
        int n = 64, m = 16, f = 5;
        for (Normalization norm : Normalization.values()) {
            float[] tr = data(n, f, 1), te = data(m, f, 2), tr0 = tr.clone(), te0 = te.clone();
            norm.apply(tr, n, te, m, f);
            for (int j = 0; j < f; j++) {
                double mu = 0, ss = 0;
                for (int i = 0; i < n; i++) mu += tr0[i * f + j];
                mu /= n;
                for (int i = 0; i < n; i++) ss += (tr0[i * f + j] - mu) * (tr0[i * f + j] - mu);
                double sd = Math.sqrt(ss / n);
                double div = norm == Normalization.STANDARDIZE && sd >= Normalization.MIN_STD ? sd : 1;
                double sub = norm == Normalization.NONE_0_1 ? 0 : mu;
                // float32 result of a float64 formula: atol 1e-6 + rtol 1e-6
                for (int i = 0; i < n; i++) {
                    double ref = (tr0[i * f + j] - sub) / div;
                    assertEquals(ref, tr[i * f + j], 1e-6 + 1e-6 * Math.abs(ref));
                }
                for (int i = 0; i < m; i++) {
                    double ref = (te0[i * f + j] - sub) / div; // train statistics on test
                    assertEquals(ref, te[i * f + j], 1e-6 + 1e-6 * Math.abs(ref));
                }
                if (norm != Normalization.NONE_0_1) {
                    double mean = 0, var = 0;
                    for (int i = 0; i < n; i++) mean += tr[i * f + j];
                    for (int i = 0; i < n; i++) var += tr[i * f + j] * tr[i * f + j];
                    assertEquals(0, mean / n, 1e-6);
                    if (norm == Normalization.STANDARDIZE && j != 2) assertEquals(1, var / n, 1e-5);
                    if (j == 2) assertEquals(0, var, 0, "constant feature: centered to 0, not divided by 0");
                }
            }
        }
    }

    @Test
    void parse() {
        assertEquals(Normalization.CENTER, Normalization.parse("Center"));
        assertEquals(Normalization.NONE_0_1, Normalization.parse("none"));
        assertEquals(Normalization.STANDARDIZE, Normalization.parse("standardize"));
        assertTrue(userError(() -> Normalization.parse("zscore")).contains("--normalization"));
    }
}
