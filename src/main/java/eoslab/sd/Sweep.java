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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The generalization study of Tuci et al. (2026) (SPEC §3, §6): one SGD run per point of an
 * (η, b) grid, then, at each final checkpoint, the {@link CheckpointAnalysis} (gaps, SD by each
 * estimator, λ_max, tr H, √(d/n), bound terms), then the rank correlation of every measure with
 * every gap — Kendall τ_b over all runs and the granulated ψ_LR, ψ_BS, Ψ of Jiang et al. (2019).
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

    /** One grid point's outcome. */
    public record Run(double lr, int batchSize, Path dir, String status, CheckpointAnalysis.Report report) {
        public boolean ok() {
            return report != null;
        }
    }

    /** The measures correlated with the gaps, by column name. */
    public record Correlation(String measure, String gap, Kendall.Granulated k) {
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

    public static Result run(TrainConfig base, double[] lrs, int[] batchSizes, CheckpointAnalysis.Options a, Path out,
                             Backend be, PrintStream log) throws IOException {
        if (lrs.length == 0 || batchSizes.length == 0) throw new UserError("sweep: --lrs and --batch-sizes must each list at least one value");
        List<TrainConfig> cfgs = new ArrayList<>();
        for (double lr : lrs) for (int b : batchSizes) cfgs.add(variant(base, lr, b)); // validates the whole grid before any training
        Files.createDirectories(out);
        List<Run> runs = new ArrayList<>();
        for (TrainConfig cfg : cfgs) {
            Path dir = out.resolve(dirName(cfg.lr(), cfg.batchSize()));
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(Trainer.METRICS)); // the trainer appends; a sweep always starts fresh
            Trainer tr = new Trainer(cfg, be, log);
            log.printf(Locale.ROOT, "sweep: η = %s, b = %d -> %s%n", num(cfg.lr()), cfg.batchSize(), dir);
            try {
                RunReport.run(tr, tr.initial(), dir, false, log);
            } catch (DivergedException e) {
                log.println("sweep: " + e.getMessage());
                runs.add(new Run(cfg.lr(), cfg.batchSize(), dir, "diverged", null));
                continue;
            }
            Trainer.State s = tr.loadCheckpoint(dir.resolve(Trainer.CHECKPOINT));
            CheckpointAnalysis.Report r = CheckpointAnalysis.analyze(tr, s, a);
            AtomicFiles.writeString(dir.resolve("sd.json"), Json.pretty(r.map()));
            runs.add(new Run(cfg.lr(), cfg.batchSize(), dir, "ok", r));
        }
        Result res = new Result(runs, correlations(runs, a));
        write(res, a, out);
        return res;
    }

    /** Column name → per-run value of every correlated measure, in a fixed order. */
    static Map<String, double[]> measures(List<Run> ok, CheckpointAnalysis.Options a) {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (SdOptions so : a.estimators()) m.put("sd_" + so.method().label(), ok.stream().mapToDouble(r -> r.report().sd().get(so.method()).sd()).toArray());
        m.put("lambda_max", ok.stream().mapToDouble(r -> r.report().lambdaMax()).toArray());
        m.put("trace", ok.stream().mapToDouble(r -> r.report().trace()).toArray());
        m.put("sqrt_d_over_n", ok.stream().mapToDouble(r -> r.report().sqrtDOverN()).toArray());
        return m;
    }

    static List<Correlation> correlations(List<Run> runs, CheckpointAnalysis.Options a) {
        List<Run> ok = runs.stream().filter(Run::ok).toList();
        double[] lr = ok.stream().mapToDouble(Run::lr).toArray(), bs = ok.stream().mapToDouble(Run::batchSize).toArray();
        Map<String, double[]> gaps = new LinkedHashMap<>();
        gaps.put("error_gap", ok.stream().mapToDouble(r -> r.report().errorGap()).toArray());
        gaps.put("loss_gap", ok.stream().mapToDouble(r -> r.report().lossGap()).toArray());
        List<Correlation> out = new ArrayList<>();
        for (var me : measures(ok, a).entrySet()) {
            for (var g : gaps.entrySet()) {
                out.add(new Correlation(me.getKey(), g.getKey(), Kendall.granulated(lr, bs, me.getValue(), g.getValue())));
            }
        }
        return out;
    }

    // ---- files ---------------------------------------------------------------------------------

    static void write(Result res, CheckpointAnalysis.Options a, Path out) throws IOException {
        List<String> cols = new ArrayList<>(List.of("lr", "batch_size", "status", "train_loss", "test_loss", "train_acc", "test_acc",
                "loss_gap", "error_gap", "lambda_max", "trace", "sqrt_d_over_n"));
        for (SdOptions so : a.estimators()) {
            String k = so.method().label();
            cols.addAll(List.of("sd_" + k, "j_star_" + k, "sd_term_" + k, "computable_sum_" + k, "hvps_" + k, "seconds_" + k));
        }
        List<List<String>> rows = new ArrayList<>();
        for (Run r : res.runs()) {
            List<String> row = new ArrayList<>(List.of(num(r.lr()), Integer.toString(r.batchSize()), r.status()));
            CheckpointAnalysis.Report p = r.report();
            double[] v = p == null ? nans(9) : new double[]{p.trainLoss(), p.testLoss(), p.trainAcc(), p.testAcc(), p.lossGap(),
                    p.errorGap(), p.lambdaMax(), p.trace(), p.sqrtDOverN()};
            for (double x : v) row.add(full(x));
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
                .append("ψ_BS = mean over learning rates of τ across batch sizes; Ψ = (ψ_LR + ψ_BS)/2 (Jiang et al. 2019). ")
                .append("NaN: undefined (a constant measure or gap, or fewer than two runs per group).\n\n");
        List<List<String>> crow = new ArrayList<>();
        for (Correlation c : res.correlations()) {
            crow.add(List.of(c.measure(), c.gap(), shortNum(c.k().tau()), shortNum(c.k().psiLr()), shortNum(c.k().psiBs()), shortNum(c.k().psi()),
                    c.k().groupsLr() + "/" + c.k().groupsBs()));
        }
        table(md, List.of("measure", "gap", "tau", "psi_LR", "psi_BS", "Psi", "groups LR/BS"), crow);
        AtomicFiles.writeString(out.resolve(MD), md.toString());

        Map<String, Object> js = new LinkedHashMap<>();
        List<Object> rs = new ArrayList<>();
        for (Run r : res.runs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("lr", r.lr());
            m.put("batch_size", r.batchSize());
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
            cs.add(m);
        }
        js.put("correlations", cs);
        AtomicFiles.writeString(out.resolve(JSON), Json.pretty(js));

        plots(res, a, out);
    }

    /** Scatter plots: one marker per run, one colour per batch size (NaN y values separate the points, so no lines are drawn). */
    static void plots(Result res, CheckpointAnalysis.Options a, Path out) throws IOException {
        List<Run> ok = res.runs().stream().filter(Run::ok).toList();
        if (ok.isEmpty()) return;
        Map<String, double[]> ms = measures(ok, a);
        double[] gap = ok.stream().mapToDouble(r -> r.report().errorGap()).toArray();
        for (var me : ms.entrySet()) {
            if (me.getKey().equals("sqrt_d_over_n") || me.getKey().equals("trace")) continue;
            List<Plots.Series> series = new ArrayList<>();
            for (int b : ok.stream().mapToInt(Run::batchSize).distinct().sorted().toArray()) {
                List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
                for (int i = 0; i < ok.size(); i++) {
                    if (ok.get(i).batchSize() != b) continue;
                    xs.add(me.getValue()[i]);
                    ys.add(gap[i]);
                    xs.add(me.getValue()[i]); // a NaN y breaks the line after every point
                    ys.add(Double.NaN);
                }
                series.add(new Plots.Series("b = " + b, xs.stream().mapToDouble(Double::doubleValue).toArray(),
                        ys.stream().mapToDouble(Double::doubleValue).toArray()));
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
    static String num(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        String s = String.format(Locale.ROOT, "%.6g", v);
        if (s.contains("e") || !s.contains(".")) return s;
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
