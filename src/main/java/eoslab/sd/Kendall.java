package eoslab.sd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rank correlations between a complexity measure and the generalization gap across a grid of
 * training runs (SPEC §3; Jiang, Neyshabur, Mobahi, Krishnan &amp; Bengio 2019, "Fantastic
 * generalization measures and where to find them", §4 "granulated Kendall's coefficient").
 */
public final class Kendall {
    private Kendall() {
    }

    /**
     * Kendall's τ_b with ties (Kendall 1945): over all pairs i &lt; j, n_c concordant, n_d discordant,
     * n_0 = n(n−1)/2, n_1 = pairs tied in x, n_2 = pairs tied in y;
     * τ_b = (n_c − n_d) / √((n_0 − n_1)(n_0 − n_2)). NaN when fewer than 2 points or when x or y is
     * constant (the coefficient is undefined). NaN inputs are an error.
     */
    public static double tauB(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("kendall: x has " + x.length + " values, y has " + y.length);
        int n = x.length;
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(x[i]) || Double.isNaN(y[i])) throw new IllegalArgumentException("kendall: value " + i + " is NaN");
        }
        long nc = 0, nd = 0, tx = 0, ty = 0, n0 = (long) n * (n - 1) / 2;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                int sx = cmp(x[i], x[j]), sy = cmp(y[i], y[j]);
                if (sx == 0) tx++;
                if (sy == 0) ty++;
                if (sx != 0 && sy != 0) {
                    if (sx == sy) nc++;
                    else nd++;
                }
            }
        }
        double den = Math.sqrt((double) (n0 - tx) * (n0 - ty));
        return den > 0 ? (nc - nd) / den : Double.NaN;
    }

    /** −1, 0, 1 for a &lt; b, a == b (0.0 == −0.0), a &gt; b. */
    private static int cmp(double a, double b) {
        return a < b ? -1 : a > b ? 1 : 0;
    }

    /**
     * Granulated Kendall coefficients for a two-hyperparameter grid (η, b).
     *
     * @param psiLr  ψ_LR: mean over batch sizes b of τ_b across the learning rates at fixed b
     * @param psiBs  ψ_BS: mean over learning rates η of τ_b across the batch sizes at fixed η
     * @param psi    Ψ = (ψ_LR + ψ_BS)/2
     * @param tau    τ_b over all runs
     * @param groupsLr groups (batch sizes) that entered ψ_LR: a group with &lt; 2 runs or an undefined τ (a
     *               constant measure or gap within it) is left out, as in Jiang et al.'s average over
     *               the groups where the coefficient exists
     * @param groupsBs likewise for ψ_BS
     */
    public record Granulated(double tau, double psiLr, double psiBs, double psi, int groupsLr, int groupsBs) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tau", tau);
            m.put("psi_lr", psiLr);
            m.put("psi_bs", psiBs);
            m.put("psi", psi);
            m.put("groups_lr", groupsLr);
            m.put("groups_bs", groupsBs);
            return m;
        }
    }

    /**
     * @param lr      each run's learning rate
     * @param batch   each run's batch size
     * @param measure each run's complexity measure
     * @param gap     each run's generalization gap
     */
    public static Granulated granulated(double[] lr, double[] batch, double[] measure, double[] gap) {
        int n = lr.length;
        if (batch.length != n || measure.length != n || gap.length != n) {
            throw new IllegalArgumentException("kendall: lr, batch, measure and gap must have the same length");
        }
        double[] lrPart = byGroup(batch, measure, gap), bsPart = byGroup(lr, measure, gap);
        double psi = (lrPart[0] + bsPart[0]) / 2;
        return new Granulated(tauB(measure, gap), lrPart[0], bsPart[0], psi, (int) lrPart[1], (int) bsPart[1]);
    }

    /** Mean over the distinct values of {@code fixed} of τ_b within each group; and how many groups counted. */
    private static double[] byGroup(double[] fixed, double[] measure, double[] gap) {
        Map<Double, List<Integer>> groups = new TreeMap<>();
        for (int i = 0; i < fixed.length; i++) groups.computeIfAbsent(fixed[i], k -> new ArrayList<>()).add(i);
        double s = 0;
        int used = 0;
        for (List<Integer> g : groups.values()) {
            if (g.size() < 2) continue;
            double[] a = new double[g.size()], b = new double[g.size()];
            for (int i = 0; i < g.size(); i++) {
                a[i] = measure[g.get(i)];
                b[i] = gap[g.get(i)];
            }
            double t = tauB(a, b);
            if (Double.isNaN(t)) continue;
            s += t;
            used++;
        }
        return new double[]{used == 0 ? Double.NaN : s / used, used};
    }
}
