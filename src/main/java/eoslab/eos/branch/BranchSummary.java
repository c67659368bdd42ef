package eoslab.eos.branch;

import eoslab.eos.Group;
import eoslab.eos.Stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Across-seed aggregation of a branching experiment and its summary table (Kwag et al. 2026, §3.2,
 * App. C): per grid step, medians and interquartile ranges over seeds ({@link Stats#quantile}, type 7);
 * per group, the intervention effect Δℓ_k = ℓ_k(exit) − ℓ_k(EoS) at the last step and averaged over
 * the grid steps after t* (positive: remaining at EoS gave the lower loss), the curvature influence
 * (∇ℓ_k·v_1)² at t*, and whether the group with the largest influence at t* is the one that benefits
 * most (the alignment principle: App. C, "the highest curvature influence group … is the primary
 * beneficiary of EoS").
 *
 * <p>Only seeds whose baseline reached the threshold (t* not null) have an exit branch; Δ statistics
 * use those seeds only, and report how many there were.
 */
public final class BranchSummary {
    /** Median and quartiles of one quantity over seeds. */
    public record Quartiles(double q25, double median, double q75, int count) {
        public static Quartiles of(double[] v) {
            double[] f = Arrays.stream(v).filter(Double::isFinite).toArray();
            if (f.length == 0) return new Quartiles(Double.NaN, Double.NaN, Double.NaN, 0);
            return new Quartiles(Stats.quantile(f, 0.25), Stats.median(f), Stats.quantile(f, 0.75), f.length);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("median", median);
            m.put("q25", q25);
            m.put("q75", q75);
            m.put("seeds", count);
            return m;
        }
    }

    /** One row of the table. */
    public record GroupRow(Group group, Quartiles deltaEnd, Quartiles deltaMeanAfterFork, Quartiles influenceAtFork,
                           Quartiles cos2AtFork, Quartiles selectorAtFork, int seedsWithLargestInfluence) {
        /** "+" (EoS helps: Δℓ_k > 0), "−" (EoS hurts) or "0" on the median of the post-fork mean. */
        public String sign() {
            double m = deltaMeanAfterFork.median();
            return !Double.isFinite(m) ? "n/a" : m > 0 ? "+" : m < 0 ? "−" : "0";
        }
    }

    public record SeedRow(long seed, Long tStar, Long tStarStar, Group largestInfluence, Group largestGain) {
    }

    private final List<GroupRow> rows;
    private final List<SeedRow> seeds;
    private final Group mostInfluential, beneficiary;
    private final double lr, exitLr;
    private final long lastStep;

    private BranchSummary(List<GroupRow> rows, List<SeedRow> seeds, Group mostInfluential, Group beneficiary, double lr, double exitLr, long lastStep) {
        this.rows = rows;
        this.seeds = seeds;
        this.mostInfluential = mostInfluential;
        this.beneficiary = beneficiary;
        this.lr = lr;
        this.exitLr = exitLr;
        this.lastStep = lastStep;
    }

    public List<GroupRow> rows() { return rows; }

    public List<SeedRow> seeds() { return seeds; }

    /** The group with the largest median curvature influence at t*, or null without any fork. */
    public Group mostInfluential() { return mostInfluential; }

    /** The group with the largest positive median post-fork mean Δℓ_k, or null if no group gains. */
    public Group beneficiary() { return beneficiary; }

    /** Whether the most influential group at t* is the beneficiary (null when either is undefined). */
    public Boolean alignmentHolds() {
        return mostInfluential == null || beneficiary == null ? null : mostInfluential == beneficiary;
    }

    /** Build the table from each seed's outcome (baseline and exit lines on the same grid). */
    public static BranchSummary of(List<BranchRun.Outcome> outcomes, double lr, double exitLr) {
        int G = Group.values().length;
        List<double[]> dEnd = new ArrayList<>(), dMean = new ArrayList<>(), infl = new ArrayList<>(), cos2 = new ArrayList<>(), sel = new ArrayList<>();
        List<SeedRow> seedRows = new ArrayList<>();
        long last = 0;
        for (BranchRun.Outcome o : outcomes) {
            if (!o.baseline().isEmpty()) last = Math.max(last, o.baseline().getLast().step());
            if (o.tStar() == null) {
                seedRows.add(new SeedRow(o.seed(), null, null, null, null));
                continue;
            }
            GridRecord atFork = at(o.baseline(), o.tStar());
            double[] de = delta(o, o.baseline().getLast().step());
            double[] dm = new double[G];
            int count = 0;
            for (GridRecord b : o.baseline()) {
                if (b.step() <= o.tStar()) continue;
                double[] d = delta(o, b.step());
                for (int k = 0; k < G; k++) dm[k] += d[k];
                count++;
            }
            for (int k = 0; k < G; k++) dm[k] = count == 0 ? Double.NaN : dm[k] / count;
            dEnd.add(de);
            dMean.add(dm);
            infl.add(atFork.influence());
            cos2.add(atFork.cos2());
            sel.add(atFork.selectorQ());
            seedRows.add(new SeedRow(o.seed(), o.tStar(), o.tStarStar(), Group.values()[argmax(atFork.influence())], gainer(dm)));
        }
        List<GroupRow> rows = new ArrayList<>();
        double[] medInfl = new double[G], medGain = new double[G];
        for (Group g : Group.values()) {
            int k = g.ordinal();
            int votes = 0;
            for (SeedRow s : seedRows) if (s.largestInfluence() == g) votes++;
            GroupRow r = new GroupRow(g, Quartiles.of(column(dEnd, k)), Quartiles.of(column(dMean, k)), Quartiles.of(column(infl, k)),
                    Quartiles.of(column(cos2, k)), Quartiles.of(column(sel, k)), votes);
            rows.add(r);
            medInfl[k] = r.influenceAtFork().median();
            medGain[k] = r.deltaMeanAfterFork().median();
        }
        boolean anyFork = !dMean.isEmpty();
        return new BranchSummary(rows, seedRows, anyFork ? Group.values()[argmax(medInfl)] : null, anyFork ? gainer(medGain) : null, lr, exitLr, last);
    }

    /** Δℓ_k = ℓ_k(exit) − ℓ_k(baseline) at {@code step}. */
    static double[] delta(BranchRun.Outcome o, long step) {
        double[] b = at(o.baseline(), step).loss(), e = at(o.exit(), step).loss();
        double[] d = new double[b.length];
        for (int k = 0; k < d.length; k++) d[k] = e[k] - b[k];
        return d;
    }

    static GridRecord at(List<GridRecord> recs, long step) {
        for (GridRecord r : recs) if (r.step() == step) return r;
        throw new IllegalArgumentException("no grid record at step " + step + " (the branches must share one logging grid)");
    }

    private static double[] column(List<double[]> rows, int k) {
        return rows.stream().mapToDouble(r -> r[k]).toArray();
    }

    /** Index of the largest finite value (first on ties); 0 if none is finite. */
    static int argmax(double[] v) {
        int best = -1;
        for (int i = 0; i < v.length; i++) if (Double.isFinite(v[i]) && (best < 0 || v[i] > v[best])) best = i;
        return Math.max(best, 0);
    }

    /** The group with the largest positive value, or null when none is positive. */
    static Group gainer(double[] v) {
        int i = argmax(v);
        return Double.isFinite(v[i]) && v[i] > 0 ? Group.values()[i] : null;
    }

    // ---- output --------------------------------------------------------------------------------------

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lr", lr);
        m.put("exit_lr", exitLr);
        m.put("last_step", lastStep);
        m.put("delta_definition", "Δℓ_k = ℓ_k(exit) − ℓ_k(baseline at EoS); > 0: EoS gave the lower loss");
        List<Map<String, Object>> sr = new ArrayList<>();
        for (SeedRow s : seeds) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("seed", s.seed());
            e.put("t_star", s.tStar());
            e.put("t_star_star", s.tStarStar());
            e.put("largest_influence_at_t_star", s.largestInfluence() == null ? null : s.largestInfluence().key);
            e.put("largest_mean_gain", s.largestGain() == null ? null : s.largestGain().key);
            sr.add(e);
        }
        m.put("seeds", sr);
        Map<String, Object> gm = new LinkedHashMap<>();
        for (GroupRow r : rows) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("sign_of_mean_delta_after_t_star", r.sign());
            e.put("delta_at_end", r.deltaEnd().toMap());
            e.put("delta_mean_after_t_star", r.deltaMeanAfterFork().toMap());
            e.put("influence_at_t_star", r.influenceAtFork().toMap());
            e.put("cos2_at_t_star", r.cos2AtFork().toMap());
            e.put("Q_at_t_star", r.selectorAtFork().toMap());
            e.put("seeds_where_largest_influence", r.seedsWithLargestInfluence());
            gm.put(r.group().key, e);
        }
        m.put("groups", gm);
        m.put("most_influential_at_t_star", mostInfluential == null ? null : mostInfluential.key);
        m.put("beneficiary", beneficiary == null ? null : beneficiary.key);
        m.put("most_influential_is_beneficiary", alignmentHolds());
        return m;
    }

    /** The table as Markdown (summary.md and the terminal). */
    public String markdown() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "Branching: baseline η = %s, exit cη = %s; Δℓ_k = ℓ_k(exit) − ℓ_k(EoS), > 0 means EoS gave the lower loss.%n%n", g(lr), g(exitLr)));
        s.append("| seed | t* | t** | largest influence at t* | largest mean gain |\n|---:|---:|---:|---|---|\n");
        for (SeedRow r : seeds) {
            s.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s |%n", r.seed(), r.tStar() == null ? "never" : r.tStar(),
                    r.tStar() == null ? "—" : r.tStarStar() == null ? "not reached" : r.tStarStar(),
                    r.largestInfluence() == null ? "—" : r.largestInfluence().key, r.largestGain() == null ? "—" : r.largestGain().key));
        }
        s.append(String.format(Locale.ROOT, "%n| group | sign | mean Δℓ_k after t* (median [IQR]) | Δℓ_k at step %d (median [IQR]) | (∇ℓ_k·v_1)² at t* | cos²θ_k at t* | Q_k at t* | seeds largest infl. |%n", lastStep));
        s.append("|---|:---:|---:|---:|---:|---:|---:|---:|\n");
        for (GroupRow r : rows) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %d |%n", r.group().key, r.sign(), q(r.deltaMeanAfterFork()), q(r.deltaEnd()),
                    q(r.influenceAtFork()), q(r.cos2AtFork()), q(r.selectorAtFork()), r.seedsWithLargestInfluence()));
        }
        s.append("\nsign: + where EoS helped the group (median mean Δℓ_k after t* > 0), − where it hurt.\n\n");
        if (mostInfluential == null) {
            s.append("No seed reached the threshold: there is no fork and no intervention effect.\n");
        } else {
            s.append(String.format(Locale.ROOT, "Largest curvature influence at t* (median over seeds): **%s**. Largest benefit from EoS (median mean Δℓ_k > 0): **%s**. ",
                    mostInfluential.key, beneficiary == null ? "none (no group gains)" : beneficiary.key));
            s.append(alignmentHolds() == null ? "Alignment principle: undefined.\n"
                    : alignmentHolds() ? "The most influential group is the beneficiary (the alignment principle holds).\n"
                    : "The most influential group is NOT the beneficiary.\n");
        }
        return s.toString();
    }

    private static String q(Quartiles x) {
        if (x.count() == 0) return "n/a";
        return x.count() == 1 ? g(x.median()) : g(x.median()) + " [" + g(x.q25()) + ", " + g(x.q75()) + "]";
    }

    private static String g(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
