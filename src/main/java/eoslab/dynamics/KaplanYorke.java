package eoslab.dynamics;

import java.util.Arrays;

/**
 * Kaplan–Yorke (Lyapunov) dimension from k tracked exponents (Kaplan &amp; Yorke 1979; the same
 * formula as the sharpness dimension, SPEC §3): with λ sorted descending and S_j = Σ_{i≤j} λ_i,
 * {@code j = max{ i : S_i ≥ 0 }} and
 * <pre>
 *   D = 0                        if λ_1 &lt; 0
 *   D = j + S_j / |λ_{j+1}|      if 1 ≤ j &lt; k
 *   D = k                        if j = k (S_k ≥ 0)
 * </pre>
 * When S_k ≥ 0 the k tracked exponents do not reach a contracting volume: if k is less than the
 * state dimension, D is only a lower bound (the true D_KY ≥ k) and {@code kTooSmall} says so; if k
 * equals the state dimension the map expands volume and D = k is the answer.
 *
 * @param dimension the Kaplan–Yorke dimension (a lower bound when kTooSmall)
 * @param j         the largest j with S_j ≥ 0 (0 when λ_1 &lt; 0)
 * @param kTooSmall S_k = Σ_{i≤k} λ_i ≥ 0
 */
public record KaplanYorke(double dimension, int j, boolean kTooSmall) {

    /** D_KY of the exponents, sorted descending first (finite-time estimates can come out of order). */
    public static KaplanYorke of(double[] exponents) {
        if (exponents.length == 0) throw new IllegalArgumentException("Kaplan–Yorke dimension needs at least one exponent");
        for (double l : exponents) {
            if (Double.isNaN(l)) throw new IllegalArgumentException("Kaplan–Yorke dimension: exponent is NaN in " + Arrays.toString(exponents));
        }
        double[] l = exponents.clone();
        Arrays.sort(l);
        for (int a = 0, b = l.length - 1; a < b; a++, b--) {
            double t = l[a];
            l[a] = l[b];
            l[b] = t;
        }
        int k = l.length;
        // Sorted descending, the partial sums rise then fall, so {i : S_i ≥ 0} is 1..j.
        double s = 0;
        int j = 0;
        double sj = 0;
        for (int i = 0; i < k; i++) {
            s += l[i];
            if (s >= 0) {
                j = i + 1;
                sj = s;
            } else {
                break;
            }
        }
        if (j == 0) return new KaplanYorke(0, 0, false);
        if (j == k) return new KaplanYorke(k, k, true);
        return new KaplanYorke(j + sj / Math.abs(l[j]), j, false);
    }
}
