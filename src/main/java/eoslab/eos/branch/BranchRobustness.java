package eoslab.eos.branch;

import eoslab.backend.Backend;
import eoslab.data.Dataset;
import eoslab.eos.Centroids;
import eoslab.eos.Pgd;
import eoslab.eos.Prototypes;
import eoslab.eos.Robustness;
import eoslab.nn.Loss;
import eoslab.nn.Model;
import eoslab.tensor.Tensor;
import eoslab.util.UserError;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The test-time consequences of EoS (Kwag et al. 2026, §5.2) for one branch at one set of weights,
 * as {@code --robustness} records them in {@code seed_S/robustness.json}:
 * <ul>
 *   <li>Fig. 9: accuracy under PGD (L∞, ε = 0.03, 10 steps of ε/4, no random start, no pixel
 *       clipping) on the boundary test points — per class the 25 test points whose 50 nearest
 *       <em>unmodified</em> training points are most evenly split ({@link Prototypes#boundaryTestPoints});</li>
 *   <li>Fig. 10: mean loss on the test input-outliers x ± α_test·v_diff over α_test ∈ {0, 1, 2, 3, 5, 7, 10},
 *       seeded by the 25 test points per class nearest the training centroids ({@link Prototypes#testInliers}).</li>
 * </ul>
 * On a small test set the 25 per class shrink to the smaller class count, and k to n − 1; the
 * numbers used are recorded.
 */
final class BranchRobustness {
    static final double[] ALPHA_TEST = {0, 1, 2, 3, 5, 7, 10};
    static final int PER_CLASS = 25, K = 50;
    static final String FILE = "robustness.json";

    private final Model model;
    private final Backend be;
    private final Loss loss;
    private final Dataset test;
    private final Centroids centroids;
    private final int perClass, k;
    private final int[] boundary, inliers;
    private final Pgd.Options pgd = Pgd.Options.paper();

    /**
     * @param unmodifiedTrain the training set before the prototype modification (its k-NN neighbourhoods
     *                        and centroids define the boundary test points and v_diff)
     */
    BranchRobustness(Model model, Backend be, Loss loss, Dataset unmodifiedTrain, Dataset test) {
        if (test == null) throw new UserError("--robustness needs a test set (--n-test > 0)");
        this.model = model;
        this.be = be;
        this.loss = loss;
        this.test = test;
        this.centroids = Centroids.of(unmodifiedTrain);
        int[] count = new int[2];
        for (int y : test.y()) count[y]++;
        this.perClass = Math.min(PER_CLASS, Math.min(count[0], count[1]));
        if (perClass < 1) throw new UserError("--robustness: the test set has no example of class " + (count[0] == 0 ? 0 : 1));
        this.k = Math.min(K, unmodifiedTrain.n() - 1);
        this.boundary = Prototypes.boundaryTestPoints(unmodifiedTrain, test, perClass, k);
        this.inliers = Prototypes.testInliers(centroids, test, perClass);
    }

    /** What the evaluations share: the attack, the rows and the α_test grid. */
    Map<String, Object> header() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("epsilon", pgd.eps());
        p.put("steps", pgd.steps());
        p.put("step_size", pgd.stepSize());
        p.put("per_class", perClass);
        p.put("k", k);
        p.put("test_rows", Arrays.stream(boundary).boxed().toList());
        m.put("pgd", p);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("alpha_test", Arrays.stream(ALPHA_TEST).boxed().toList());
        o.put("per_class", perClass);
        o.put("test_rows", Arrays.stream(inliers).boxed().toList());
        m.put("ood", o);
        return m;
    }

    /** One evaluation point: {@code branch} (baseline/exit) at {@code at} (t** or end), step t, weights w. */
    Map<String, Object> evaluate(String branch, String at, long t, double etaT, Tensor w) {
        Robustness.PgdResult r = Robustness.pgdAccuracy(model, w, be, loss, test, boundary, pgd, null, null);
        Robustness.OodCurve c = Robustness.oodLoss(model, w, be, loss, centroids, test, inliers, ALPHA_TEST);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("branch", branch);
        m.put("at", at);
        m.put("step", t);
        m.put("eta_t", etaT);
        m.put("clean_accuracy", r.clean().accuracy());
        m.put("pgd_accuracy", r.accuracy());
        m.put("clean_loss", r.clean().loss());
        m.put("pgd_loss", r.adversarial().loss());
        m.put("ood_loss", Arrays.stream(c.loss()).boxed().toList());
        m.put("ood_accuracy", Arrays.stream(c.accuracy()).boxed().toList());
        return m;
    }

    // ---- report: summary block and Figs. 9-10 over the seeds' robustness.json ----------------------

    static final String PGD_FIG = "fig9_pgd.png", OOD_FIG = "fig10_ood.png";
    static final String[] BRANCHES = {"baseline", "exit"}, POINTS = {"t**", "end"};

    /** The evaluations of {@code branch} at {@code at} over the seeds' files (one per seed that has it). */
    static java.util.List<com.fasterxml.jackson.databind.JsonNode> select(java.util.List<com.fasterxml.jackson.databind.JsonNode> files, String branch, String at) {
        java.util.List<com.fasterxml.jackson.databind.JsonNode> r = new java.util.ArrayList<>();
        for (var f : files) {
            for (var e : f.get("evaluations")) if (e.get("branch").asText().equals(branch) && e.get("at").asText().equals(at)) r.add(e);
        }
        return r;
    }

    private static BranchSummary.Quartiles q(java.util.List<com.fasterxml.jackson.databind.JsonNode> es, java.util.function.ToDoubleFunction<com.fasterxml.jackson.databind.JsonNode> f) {
        return BranchSummary.Quartiles.of(es.stream().mapToDouble(f).toArray());
    }

    private static double num(com.fasterxml.jackson.databind.JsonNode n) {
        return n.isNumber() ? n.doubleValue() : Double.NaN;
    }

    /** The summary.md block: medians [IQR] over seeds per branch and evaluation point. */
    static String markdown(java.util.List<com.fasterxml.jackson.databind.JsonNode> files) {
        var h = files.getFirst();
        double[] alpha = java.util.stream.StreamSupport.stream(h.get("ood").get("alpha_test").spliterator(), false).mapToDouble(com.fasterxml.jackson.databind.JsonNode::asDouble).toArray();
        StringBuilder sb = new StringBuilder("\n## Robustness (§5.2, Figs. 9–10)\n\n");
        sb.append(String.format(java.util.Locale.ROOT, "PGD (L∞, ε = %s, %d steps of %s) on %d boundary test points; OOD loss on %d test inliers moved by ±α_test·v_diff. "
                        + "Median [IQR] over %d seed(s); \"t**\" is the end for seeds whose exit branch never reached 2/(cη).%n%n",
                h.get("pgd").get("epsilon").asText(), h.get("pgd").get("steps").asInt(), h.get("pgd").get("step_size").asText(),
                h.get("pgd").get("test_rows").size(), h.get("ood").get("test_rows").size(), files.size()));
        sb.append("| branch | at | step | clean acc | PGD acc |");
        for (double a : alpha) sb.append(String.format(java.util.Locale.ROOT, " OOD loss α=%s |", alphaLabel(a)));
        sb.append("\n|---|---|---:|---:|---:|").append("---:|".repeat(alpha.length)).append('\n');
        for (String b : BRANCHES) {
            for (String at : POINTS) {
                var es = select(files, b, at);
                if (es.isEmpty()) continue;
                sb.append("| ").append(b).append(" | ").append(at).append(" | ").append(step(q(es, e -> e.get("step").asDouble()).median()))
                        .append(" | ").append(iqr(q(es, e -> num(e.get("clean_accuracy"))))).append(" | ").append(iqr(q(es, e -> num(e.get("pgd_accuracy"))))).append(" |");
                for (int i = 0; i < alpha.length; i++) {
                    int k = i;
                    sb.append(' ').append(iqr(q(es, e -> num(e.get("ood_loss").get(k))))).append(" |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /** Fig. 9 (PGD accuracy per branch at t** and the end) and Fig. 10 (OOD loss vs α_test per branch). */
    static java.util.List<java.nio.file.Path> figures(java.util.List<com.fasterxml.jackson.databind.JsonNode> files, java.nio.file.Path dir) throws java.io.IOException {
        String seeds = files.size() == 1 ? "1 seed" : "median, IQR over " + files.size() + " seeds";
        eoslab.io.Plots.Options opt = eoslab.io.Plots.Options.DEFAULT.withScale(2);
        java.util.List<eoslab.io.Plots.Series> pgdS = new java.util.ArrayList<>(), oodS = new java.util.ArrayList<>();
        double[] alpha = java.util.stream.StreamSupport.stream(files.getFirst().get("ood").get("alpha_test").spliterator(), false)
                .mapToDouble(com.fasterxml.jackson.databind.JsonNode::asDouble).toArray();
        for (int bi = 0; bi < BRANCHES.length; bi++) {
            String b = BRANCHES[bi];
            int color = bi == 0 ? 0 : 3;
            java.util.List<Double> x = new java.util.ArrayList<>(), med = new java.util.ArrayList<>(), lo = new java.util.ArrayList<>(), hi = new java.util.ArrayList<>();
            for (String at : POINTS) {
                var es = select(files, b, at);
                if (es.isEmpty()) continue;
                x.add(q(es, e -> e.get("eta_t").asDouble()).median());
                var a = q(es, e -> num(e.get("pgd_accuracy")));
                med.add(a.median());
                lo.add(a.q25());
                hi.add(a.q75());
                double[] m = new double[alpha.length], l = new double[alpha.length], u = new double[alpha.length];
                for (int i = 0; i < alpha.length; i++) {
                    int k = i;
                    var o = q(es, e -> num(e.get("ood_loss").get(k)));
                    m[i] = o.median();
                    l[i] = o.q25();
                    u[i] = o.q75();
                }
                eoslab.io.Plots.Series s = new eoslab.io.Plots.Series(b + " at " + at, alpha, m).withColor(color).withBand(l, u);
                oodS.add(at.equals("end") ? s : s.asDashed());
            }
            if (!x.isEmpty()) {
                pgdS.add(new eoslab.io.Plots.Series(b + " (t** then end)", unbox(x), unbox(med)).withColor(color).withBand(unbox(lo), unbox(hi)));
            }
        }
        java.nio.file.Path p9 = dir.resolve(PGD_FIG), p10 = dir.resolve(OOD_FIG);
        eoslab.io.Plots.linePlot(p9, "PGD accuracy, boundary test points, t** and end (" + seeds + ")", "η·t (baseline η) of the evaluation",
                "accuracy under PGD", pgdS, opt.withYRange(0.0, 1.0));
        eoslab.io.Plots.linePlot(p10, "OOD loss, test input-outliers: end solid, t** dashed (" + seeds + ")", "α_test", "mean test loss", oodS, opt);
        return java.util.List.of(p9, p10);
    }

    private static double[] unbox(java.util.List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String iqr(BranchSummary.Quartiles q) {
        if (q.count() == 0) return "n/a";
        return q.count() == 1 ? fmt(q.median()) : fmt(q.median()) + " [" + fmt(q.q25()) + ", " + fmt(q.q75()) + "]";
    }

    /** α_test as written in the grid: 0, 1, 2.5 (no trailing zeros). */
    private static String alphaLabel(double a) {
        return java.math.BigDecimal.valueOf(a).stripTrailingZeros().toPlainString();
    }

    /** A step (or the median of an even number of steps) without a spurious ".000". */
    private static String step(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : fmt(v);
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4g", v);
    }
}
