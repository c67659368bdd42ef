package eoslab.sd;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The computable terms of the generalization bound of Tuci et al. (2026), Thm 4.5 (SPEC §3): with
 * probability ≥ 1 − ζ − γ, for a loss in [0, B] that is L-Lipschitz,
 * <pre>
 *   G ≤ 2Lδ + 2B √(4·SD·log(1/δ)/n) + (I_∞ + log(1/ζ))/√n + C·B²/√n.
 * </pre>
 * I_∞ (a total mutual information between the data and the attractor) and the constant C are not
 * known in closed form, so the terms with them are omitted and {@link #computableSum()} is a
 * partial sum, not a bound. The classical comparison is √(d/n) (the parameter-counting rate), and
 * {@link #sdTermWithD()} is the same SD term with d in place of SD, so the two read on one scale.
 *
 * @param n     training examples
 * @param d     parameters (or the state dimension the SD was computed in)
 * @param sd    the sharpness dimension
 * @param lipschitz L
 * @param lossBound B (for cross-entropy, which is unbounded, B is an assumption: e.g. the largest
 *                  per-example loss seen, or 1 for the 0-1 loss)
 * @param delta δ ∈ (0, 1), the covering scale
 * @param zeta  ζ ∈ (0, 1), the confidence parameter
 */
public record GeneralizationBound(int n, long d, double sd, double lipschitz, double lossBound, double delta, double zeta) {
    public GeneralizationBound {
        if (n < 1) throw new IllegalArgumentException("bound: n must be >= 1, got " + n);
        if (d < 1) throw new IllegalArgumentException("bound: d must be >= 1, got " + d);
        if (!(sd >= 0) || Double.isInfinite(sd)) throw new IllegalArgumentException("bound: SD must be a finite number >= 0, got " + sd);
        if (!(lipschitz >= 0) || Double.isInfinite(lipschitz)) throw new IllegalArgumentException("bound: --lipschitz must be a finite number >= 0, got " + lipschitz);
        if (!(lossBound > 0) || Double.isInfinite(lossBound)) throw new IllegalArgumentException("bound: --loss-bound must be a positive number, got " + lossBound);
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("bound: --delta must be in (0, 1), got " + delta);
        if (!(zeta > 0 && zeta < 1)) throw new IllegalArgumentException("bound: --zeta must be in (0, 1), got " + zeta);
    }

    /** 2Lδ: the covering (discretization) term. */
    public double lipschitzTerm() {
        return 2 * lipschitz * delta;
    }

    /** 2B √(4·SD·log(1/δ)/n): the term where SD replaces the ambient dimension. */
    public double sdTerm() {
        return 2 * lossBound * Math.sqrt(4 * sd * Math.log(1 / delta) / n);
    }

    /** The SD term with d in place of SD. */
    public double sdTermWithD() {
        return 2 * lossBound * Math.sqrt(4 * (double) d * Math.log(1 / delta) / n);
    }

    /** log(1/ζ)/√n: the known part of (I_∞ + log(1/ζ))/√n. */
    public double confidenceTerm() {
        return Math.log(1 / zeta) / Math.sqrt(n);
    }

    /** √(d/n): the classical parameter-counting rate. */
    public double classical() {
        return Math.sqrt((double) d / n);
    }

    /** 2Lδ + SD term + log(1/ζ)/√n; omits I_∞/√n and C·B²/√n. */
    public double computableSum() {
        return lipschitzTerm() + sdTerm() + confidenceTerm();
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", n);
        m.put("d", d);
        m.put("sd", sd);
        m.put("L", lipschitz);
        m.put("B", lossBound);
        m.put("delta", delta);
        m.put("zeta", zeta);
        m.put("lipschitz_term", lipschitzTerm());
        m.put("sd_term", sdTerm());
        m.put("sd_term_with_d", sdTermWithD());
        m.put("confidence_term", confidenceTerm());
        m.put("computable_sum", computableSum());
        m.put("sqrt_d_over_n", classical());
        m.put("omitted", "I_inf/sqrt(n) (mutual information, unknown) and C*B^2/sqrt(n) (constant C unknown)");
        return m;
    }
}
