package eoslab.sd;

import eoslab.backend.Backend;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.io.Plots;
import eoslab.optim.DivergedException;
import eoslab.train.RunReport;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import eoslab.util.UserError;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The generalization study of Tuci et al. (2026) (SPEC §3, §6): one run per point of an (η, b)
 * grid — or (η, b, λ) with a weight-decay axis, as in the paper's AdamW grid on GPT-2 — then, at
 * each final checkpoint, the {@link CheckpointAnalysis} (gaps, SD by each estimator, λ_max, tr H,
 * √(d/n), bound terms), then the rank correlation of every measure with every gap — Kendall τ_b over
 * all runs and the granulated ψ_LR, ψ_BS (and ψ_WD), Ψ of Jiang et al. (2019).
 *
 * <p>How a grid point is trained and analysed is a {@link RunFunction}: {@link #run(TrainConfig,
 * double[], int[], CheckpointAnalysis.Options, Path, Backend, PrintStream)} is the SGD sweep of the
 * MLP/CNN models ({@link Trainer}); {@code eoslab.gpt.GptSweep} trains GPT-2 runs; the report,
 * correlations and plots below are shared.
 *
 * <p>Files: OUT/lr_η_bs_b/ (each run, as {@code eoslab train} writes it), OUT/report.csv (one row
 * per run), OUT/report.md (the runs table and the correlations table), OUT/report.json
 * (everything), OUT/sd_METHOD_vs_gap.png, OUT/lambda_max_vs_gap.png. A run that diverges is kept
 * in the runs table (status "diverged") and left out of the correlations.
 */
public final class Sweep {
    public static final String CSV = "report.csv", MD = "report.md", JSON = "report.json";

    private Sweep() {
    }

    /** One point of the grid: η, batch size, weight decay. */
    public record Point(double lr, int batchSize, double weightDecay) {
    }

    /** Trains grid point p into {@code dir} and analyses its final state; throws {@link DivergedException} if it diverges. */
    @FunctionalInterface
    public interface RunFunction {
        CheckpointAnalysis.Report trainAndAnalyze(Point p, Path dir) throws IOException;
    }

    /** One grid point's outcome. */
    public record Run(double lr, int batchSize, double weightDecay, Path dir, String status, CheckpointAnalysis.Report report) {
        public boolean ok() {
            return report != null;
        }
    }

    /**
     * The rank correlation of one measure with one gap. With a weight-decay axis, k's ψ_LR and ψ_BS
     * hold the other two hyperparameters fixed, {@code psiWd} is the mean τ across weight decays at
     * fixed (η, b), and k's Ψ is the mean of the three; otherwise psiWd is NaN.
     */
    public record Correlation(String measure, String gap, Kendall.Granulated k, double psiWd, int groupsWd) {
    }

    public record Result(List<Run> runs, List<Correlation> correlations) {
    }

    /** The base configuration with η, b and optimizer sgd. */
    public static TrainConfig variant(TrainConfig base, double lr, int batchSize) {
        Map<String, Object> m = new LinkedHashMap<>(base.toMap());
        m.put("lr", lr);
        m.put("batch_size", batchSize);
        m.put("optimizer", "sgd");
        return TrainConfig.fromMap(m);
    }

    /** lr_0.1_bs_16: η with 6 significant digits, trailing zeros dropped. */
    public static String dirName(double lr, int batchSize) {
        return "lr_" + num(lr) + "_bs_" + batchSize;
    }

    /** lr_0.1_bs_16_wd_0.01: the point's directory name; the weight decay only when the grid varies it. */
    public static String dirName(Point p, boolean weightDecayAxis) {
        return dirName(p.lr(), p.batchSize()) + (weightDecayAxis ? "_wd_" + num(p.weightDecay()) : "");
    }

    /** The SGD sweep of a {@link Trainer} model over lrs × batchSizes. */
    public static Result run(TrainConfig base, double[] lrs, int[] batchSizes, CheckpointAnalysis.Options a, Path out,
                             Backend be, PrintStream log) throws IOException {
        if (lrs.length == 0 || batchSizes.length == 0) throw new UserError("sweep: --lrs and --batch-sizes must each list at least one value");
        List<Point> grid = new ArrayList<>();
        for (double lr : lrs) {
            for (int b : batchSizes) {
                variant(base, lr, b); // validates the whole grid before any training
                grid.add(new Point(lr, b, base.weightDecay()));
            }
        }
        return run(grid, a, out, log, (p, dir) -> {
            Files.deleteIfExists(dir.resolve(Trainer.METRICS)); // the trainer appends; a sweep always starts fresh
            Trainer tr = new Trainer(variant(base, p.lr(), p.batchSize()), be, log);
            RunReport.run(tr, tr.initial(), dir, false, log);
            return CheckpointAnalysis.analyze(tr, tr.loadCheckpoint(dir.resolve(Trainer.CHECKPOINT)), a);
        });
    }

    /**
     * Train and analyse every point of {@code grid} in order (a directory each under {@code out}, with
     * its sd.json), then write the report files. A point that diverges is kept as "diverged".
     */
    public static Result run(List<Point> grid, CheckpointAnalysis.Options a, Path out, PrintStream log, RunFunction f) throws IOException {
        if (grid.isEmpty()) throw new UserError("sweep: the grid is empty");
        boolean wdAxis = weightDecayAxis(grid);
        Files.createDirectories(out);
        List<Run> runs = new ArrayList<>();
        for (Point p : grid) {
            Path dir = out.resolve(dirName(p, wdAxis));
            Files.createDirectories(dir);
            log.printf(Locale.ROOT, "sweep: η = %s, b = %d%s -> %s%n", num(p.lr()), p.batchSize(),
                    wdAxis ? ", weight decay " + num(p.weightDecay()) : "", dir);
            CheckpointAnalysis.Report r;
            try {
                r = f.trainAndAnalyze(p, dir);
            } catch (DivergedException e) {
                log.println("sweep: " + e.getMessage());
                runs.add(new Run(p.lr(), p.batchSize(), p.weightDecay(), dir, "diverged", null));
                continue;
            }
            AtomicFiles.writeString(dir.resolve("sd.json"), Json.pretty(r.map()));
            runs.add(new Run(p.lr(), p.batchSize(), p.weightDecay(), dir, "ok", r));
        }
        Result res = new Result(runs, correlations(runs, a));
        write(res, a, out);
        return res;
    }

    static boolean weightDecayAxis(List<Point> grid) {
        return grid.stream().mapToDouble(Point::weightDecay).distinct().count() > 1;
    }

    private static boolean weightDecayAxis(Result res) {
        return res.runs().stream().mapToDouble(Run::weightDecay).distinct().count() > 1;
    }

    /** Column name → per-run value of every correlated measure, in a fixed order. */
    static Map<String, double[]> measures(List<Run> ok, CheckpointAnalysis.Options a) {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (SdOptions so : a.estimators()) m.put("sd_" + so.method().label(), ok.stream().mapToDouble(r -> r.report().sd().get(so.method()).sd()).toArray());
        m.put("lambda_max", ok.stream().mapToDouble(r -> r.report().lambdaMax()).toArray());
        m.put("trace", ok.stream().mapToDouble(r -> r.report().trace()).toArray());
        double[] bs = ok.stream().mapToDouble(r -> r.report().batchSharpness()).toArray();
        if (java.util.Arrays.stream(bs).anyMatch(Double::isFinite)) m.put("batch_sharpness", bs);
        m.put("sqrt_d_over_n", ok.stream().mapToDouble(r -> r.report().sqrtDOverN()).toArray());
        return m;
    }

    static List<Correlation> correlations(List<Run> runs, CheckpointAnalysis.Options a) {
        boolean wdAxis = runs.stream().mapToDouble(Run::weightDecay).distinct().count() > 1;
        List<Run> ok = runs.stream().filter(Run::ok).toList();
        double[] lr = ok.stream().mapToDouble(Run::lr).toArray(), bs = ok.stream().mapToDouble(Run::batchSize).toArray();
        double[] wd = ok.stream().mapToDouble(Run::weightDecay).toArray();
        Map<String, double[]> gaps = new LinkedHashMap<>();
        gaps.put("error_gap", ok.stream().mapToDouble(r -> r.report().errorGap()).toArray());
        gaps.put("loss_gap", ok.stream().mapToDouble(r -> r.report().lossGap()).toArray());
        List<Correlation> out = new ArrayList<>();
        for (var me : measures(ok, a).entrySet()) {
            for (var g : gaps.entrySet()) {
                double[] m = me.getValue(), y = g.getValue();
                if (!wdAxis) {
                    out.add(new Correlation(me.getKey(), g.getKey(), Kendall.granulated(lr, bs, m, y), Double.NaN, 0));
                    continue;
                }
                // three axes: each ψ varies one hyperparameter with the other two fixed (groups keyed by the pair)
                Kendall.Granulated kLr = Kendall.granulated(lr, pairKey(bs, wd), m, y), kBs = Kendall.granulated(pairKey(lr, wd), bs, m, y),
                        kWd = Kendall.granulated(pairKey(lr, bs), wd, m, y);
                double psi = (kLr.psiLr() + kBs.psiBs() + kWd.psiBs()) / 3;
                out.add(new Correlation(me.getKey(), g.getKey(),
                        new Kendall.Granulated(kLr.tau(), kLr.psiLr(), kBs.psiBs(), psi, kLr.groupsLr(), kBs.groupsBs()), kWd.psiBs(), kWd.groupsBs()));
            }
        }
        return out;
    }

    /** One number per distinct (x, y) pair, so grouping by it fixes both. */
    private static double[] pairKey(double[] x, double[] y) {
        Map<String, Double> ids = new LinkedHashMap<>();
        double[] k = new double[x.length];
        for (int i = 0; i < x.length; i++) k[i] = ids.computeIfAbsent(x[i] + "/" + y[i], s -> (double) ids.size());
        return k;
    }

    // ---- files ---------------------------------------------------------------------------------

    static void write(Result res, CheckpointAnalysis.Options a, Path out) throws IOException {
        boolean wdAxis = weightDecayAxis(res);
        List<String> cols = new ArrayList<>(List.of("lr", "batch_size", "status", "train_loss", "test_loss", "train_acc", "test_acc",
                "loss_gap", "error_gap", "lambda_max", "trace", "batch_sharpness", "sqrt_d_over_n"));
        if (wdAxis) cols.add(2, "weight_decay");
        // no column of NaN when no run has it (every analysis estimates it today; reports of older code may not)
        boolean bsCol = res.runs().stream().anyMatch(r -> r.report() != null && Double.isFinite(r.report().batchSharpness()));
        if (!bsCol) cols.remove("batch_sharpness");
        for (SdOptions so : a.estimators()) {
            String k = so.method().label();
            cols.addAll(List.of("sd_" + k, "j_star_" + k, "sd_term_" + k, "computable_sum_" + k, "hvps_" + k, "seconds_" + k));
        }
        List<List<String>> rows = new ArrayList<>();
        for (Run r : res.runs()) {
            List<String> row = new ArrayList<>(List.of(num(r.lr()), Integer.toString(r.batchSize()), r.status()));
            if (wdAxis) row.add(2, num(r.weightDecay()));
            CheckpointAnalysis.Report p = r.report();
            double[] v = p == null ? nans(10) : new double[]{p.trainLoss(), p.testLoss(), p.trainAcc(), p.testAcc(), p.lossGap(),
                    p.errorGap(), p.lambdaMax(), p.trace(), p.batchSharpness(), p.sqrtDOverN()};
            for (int i = 0; i < v.length; i++) if (bsCol || i != 8) row.add(full(v[i]));   // v[8]: batch sharpness
            for (SdOptions so : a.estimators()) {
                if (p == null) {
                    for (int i = 0; i < 6; i++) row.add(full(Double.NaN));
                    continue;
                }
                SdEstimate e = p.sd().get(so.method());
                GeneralizationBound b = p.bounds().get(so.method());
                row.addAll(List.of(full(e.sd()), full(e.jStar()), full(b.sdTerm()), full(b.computableSum()), Long.toString(e.hvps()), full(e.seconds())));
            }
            rows.add(row);
        }
        StringBuilder csv = new StringBuilder(String.join(",", cols)).append('\n');
        for (List<String> row : rows) csv.append(String.join(",", row)).append('\n');
        AtomicFiles.writeString(out.resolve(CSV), csv.toString());

        StringBuilder md = new StringBuilder("# Generalization study (Tuci et al. 2026, Thm 4.5)\n\n");
        md.append("Gaps: error_gap = test 0-1 error − train 0-1 error; loss_gap = test loss − train loss. ")
                .append("sd_term = 2B√(4·SD·log(1/δ)/n); computable_sum = 2Lδ + sd_term + log(1/ζ)/√n, a partial sum and not a bound ")
                .append("(omits I_∞/√n and C·B²/√n, which are unknown).\n\n## Runs\n\n");
        table(md, cols, rows.stream().map(r -> r.stream().map(Sweep::shortCell).toList()).toList());
        md.append("\n## Rank correlations with the generalization gap\n\n")
                .append("τ = Kendall τ_b over all runs; ψ_LR = mean over batch sizes of τ across learning rates; ")
                .append(wdAxis ? "ψ_BS = likewise across batch sizes; ψ_WD = across weight decays; each with the other two hyperparameters fixed; Ψ = (ψ_LR + ψ_BS + ψ_WD)/3 (Jiang et al. 2019). "
                        : "ψ_BS = mean over learning rates of τ across batch sizes; Ψ = (ψ_LR + ψ_BS)/2 (Jiang et al. 2019). ")
                .append("NaN: undefined (a constant measure or gap, or fewer than two runs per group).\n\n");
        List<List<String>> crow = new ArrayList<>();
        for (Correlation c : res.correlations()) {
            List<String> row = new ArrayList<>(List.of(c.measure(), c.gap(), shortNum(c.k().tau()), shortNum(c.k().psiLr()), shortNum(c.k().psiBs())));
            if (wdAxis) row.add(shortNum(c.psiWd()));
            row.add(shortNum(c.k().psi()));
            row.add(c.k().groupsLr() + "/" + c.k().groupsBs() + (wdAxis ? "/" + c.groupsWd() : ""));
            crow.add(row);
        }
        table(md, wdAxis ? List.of("measure", "gap", "tau", "psi_LR", "psi_BS", "psi_WD", "Psi", "groups LR/BS/WD")
                : List.of("measure", "gap", "tau", "psi_LR", "psi_BS", "Psi", "groups LR/BS"), crow);
        AtomicFiles.writeString(out.resolve(MD), md.toString());

        Map<String, Object> js = new LinkedHashMap<>();
        List<Object> rs = new ArrayList<>();
        for (Run r : res.runs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("lr", r.lr());
            m.put("batch_size", r.batchSize());
            if (wdAxis) m.put("weight_decay", r.weightDecay());
            m.put("status", r.status());
            m.put("dir", r.dir().getFileName().toString());
            if (r.report() != null) m.put("analysis", r.report().map());
            rs.add(m);
        }
        js.put("runs", rs);
        List<Object> cs = new ArrayList<>();
        for (Correlation c : res.correlations()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("measure", c.measure());
            m.put("gap", c.gap());
            m.putAll(c.k().toMap());
            if (wdAxis) {
                m.put("psi_wd", c.psiWd());
                m.put("groups_wd", c.groupsWd());
            }
            cs.add(m);
        }
        js.put("correlations", cs);
        AtomicFiles.writeString(out.resolve(JSON), Json.pretty(js));

        plots(res, a, out);
    }

    /**
     * Scatter plots: one marker per run, its colour the batch size and its shape the learning rate (and
     * weight decay, on a grid with that axis), one legend entry per pair (NaN y values separate the
     * points, so no lines are drawn).
     */
    static void plots(Result res, CheckpointAnalysis.Options a, Path out) throws IOException {
        List<Run> ok = res.runs().stream().filter(Run::ok).toList();
        if (ok.isEmpty()) return;
        Map<String, double[]> ms = measures(ok, a);
        double[] gap = ok.stream().mapToDouble(r -> r.report().errorGap()).toArray();
        int[] batches = ok.stream().mapToInt(Run::batchSize).distinct().sorted().toArray();
        List<List<Double>> shapes = ok.stream().map(r -> List.of(r.lr() + 0.0, r.weightDecay() + 0.0)).distinct()   // + 0.0: -0.0 is 0.0
                .sorted(Comparator.<List<Double>>comparingDouble(p -> p.get(0)).thenComparingDouble(p -> p.get(1))).toList();
        boolean wdAxis = shapes.stream().map(p -> p.get(1)).distinct().count() > 1;
        for (var me : ms.entrySet()) {
            if (me.getKey().equals("sqrt_d_over_n") || me.getKey().equals("trace")) continue;
            List<Plots.Series> series = new ArrayList<>();
            for (int bi = 0; bi < batches.length; bi++) {
                for (int si = 0; si < shapes.size(); si++) {
                    List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
                    for (int i = 0; i < ok.size(); i++) {
                        Run r = ok.get(i);
                        if (r.batchSize() != batches[bi] || r.lr() != shapes.get(si).get(0) || r.weightDecay() != shapes.get(si).get(1)) continue;
                        xs.add(me.getValue()[i]);
                        ys.add(gap[i]);
                        xs.add(me.getValue()[i]); // a NaN y breaks the line after every point
                        ys.add(Double.NaN);
                    }
                    if (xs.isEmpty()) continue;
                    String name = "b = " + batches[bi] + ", η = " + num(shapes.get(si).get(0))
                            + (wdAxis ? ", wd = " + num(shapes.get(si).get(1)) : "");
                    series.add(new Plots.Series(name, xs.stream().mapToDouble(Double::doubleValue).toArray(),
                            ys.stream().mapToDouble(Double::doubleValue).toArray()).withColor(bi).withMarker(si));
                }
            }
            Plots.linePlot(out.resolve(me.getKey() + "_vs_gap.png"), me.getKey() + " against the generalization gap",
                    me.getKey(), "test error − train error", series, Plots.Options.DEFAULT.withLegend(Plots.Legend.RIGHT));
        }
    }

    private static void table(StringBuilder md, List<String> cols, List<List<String>> rows) {
        md.append("| ").append(String.join(" | ", cols)).append(" |\n|");
        for (int i = 0; i < cols.size(); i++) md.append("---|");
        md.append('\n');
        for (List<String> r : rows) md.append("| ").append(String.join(" | ", r)).append(" |\n");
    }

    private static double[] nans(int k) {
        double[] a = new double[k];
        java.util.Arrays.fill(a, Double.NaN);
        return a;
    }

    /** Shortest round-tripping decimal (CSV and JSON keep full precision). */
    static String full(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }

    /** 4 significant digits for the Markdown tables. */
    static String shortNum(double v) {
        if (Double.isNaN(v)) return "NaN";
        String s = String.format(Locale.ROOT, "%.4g", v);
        if (s.contains("e") || !s.contains(".")) return s;
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    private static String shortCell(String c) {
        try {
            double v = Double.parseDouble(c);
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? c : shortNum(v);
        } catch (NumberFormatException e) {
            return c;
        }
    }

    /** η and other settings: 6 significant digits, trailing zeros dropped (0.1, not 0.100000). */
    public static String num(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        String s = String.format(Locale.ROOT, "%.6g", v);
        if (s.contains("e") || !s.contains(".")) return s;
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
