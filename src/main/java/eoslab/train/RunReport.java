package eoslab.train;

import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.io.Plots;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

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
 * Runs a {@link Trainer} for the CLI: progress bar, config.json, plots, summary.json, and the
 * edge-of-stability summary (where λ_max crossed the threshold and how closely it stayed there).
 */
public final class RunReport {
    public static final String SUMMARY = "summary.json", LOSS_PNG = "loss.png", SHARPNESS_PNG = "sharpness.png";

    private RunReport() {
    }

    /** Train from {@code start}, write every output file into {@code dir}, print the summary. */
    public static EosSummary run(Trainer tr, Trainer.State start, Path dir, boolean progress, PrintStream out) throws IOException {
        Files.createDirectories(dir);
        tr.writeConfig(dir);
        out.println("eoslab: " + tr.model.describe() + ", " + tr.model.numParams() + " parameters; "
                + tr.train.n() + " train / " + tr.test.n() + " test examples from " + tr.split.source());
        out.println("eoslab: " + tr.opt.name() + " η=" + tr.cfg.lr() + ", loss " + tr.cfg.lossName()
                + ", threshold " + fmt(tr.opt.threshold()) + ", " + tr.cfg.steps() + " steps, seed " + tr.cfg.seed());
        Trainer.Result res;
        boolean tty = progress && System.console() != null;
        if (tty) {
            try (ProgressBar pb = new ProgressBarBuilder().setTaskName("train").setInitialMax(tr.cfg.steps())
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setMaxRenderedLength(110)
                    .startsFrom(start.step(), java.time.Duration.ZERO).build()) {
                res = tr.run(start, dir, m -> {
                    pb.stepTo((Long) m.get("step"));
                    pb.setExtraMessage(String.format(Locale.ROOT, " loss %.4f  λmax %.2f / %.2f",
                            (Double) m.get("train_loss"), (Double) m.get("lambda_max"), (Double) m.get("threshold")));
                });
            }
        } else {
            long every = Math.max(1, tr.cfg.steps() / 10);
            long[] next = {start.step()};
            res = tr.run(start, dir, m -> {
                long t = (Long) m.get("step");
                if (t >= next[0] || t == tr.cfg.steps()) {
                    out.printf(Locale.ROOT, "  step %6d  η·t %8.3f  train loss %.5f  acc %.3f  test loss %.5f  λmax %9.3f%s  (threshold %s)%n",
                            t, (Double) m.get("eta_t"), (Double) m.get("train_loss"), (Double) m.get("train_acc"),
                            (Double) m.get("test_loss"), (Double) m.get("lambda_max"),
                            m.get("batch_sharpness") instanceof Double bsv ? String.format(Locale.ROOT, "  batch sharpness %9.3f", bsv) : "",
                            fmt((Double) m.get("threshold")));
                    next[0] = t + every;
                }
            });
        }
        List<Map<String, Object>> all = readMetrics(dir);
        writePlots(all, dir, tr.opt.threshold());
        EosSummary s = EosSummary.of(all, tr.opt.threshold());
        Map<String, Object> sm = new LinkedHashMap<>();
        sm.put("steps", tr.cfg.steps());
        sm.put("seconds_this_session", res.seconds());
        sm.put("final", all.getLast());
        sm.put("eos", s.toMap());
        AtomicFiles.writeString(dir.resolve(SUMMARY), Json.pretty(sm));
        out.println(s.describe());
        String bs = batchSharpnessSummary(all, tr.opt.threshold());
        if (bs != null) out.println(bs);
        out.printf(Locale.ROOT, "eoslab: %d steps in %.1f s; wrote %s/{config.json, metrics.jsonl, checkpoint.safetensors, %s%s}%n",
                res.stepsDone(), res.seconds(), dir, Plots.available() ? LOSS_PNG + ", " + SHARPNESS_PNG + ", " : "", SUMMARY);
        return s;
    }

    /** All metrics records of a run directory, in order. */
    public static List<Map<String, Object>> readMetrics(Path dir) {
        return Json.readStepRecords(dir.resolve(Trainer.METRICS));
    }

    static double num(Map<String, Object> m, String k) {
        Object o = m.get(k);
        return o instanceof Number x ? x.doubleValue() : Double.NaN;
    }

    /** loss.png (train and test loss against η·t) and sharpness.png (λ_max with the 2/η line). */
    public static void writePlots(List<Map<String, Object>> ms, Path dir, double threshold) throws IOException {
        int n = ms.size();
        double[] x = new double[n], trl = new double[n], tel = new double[n], lam = new double[n];
        for (int i = 0; i < n; i++) {
            Map<String, Object> m = ms.get(i);
            x[i] = num(m, "eta_t");
            trl[i] = num(m, "train_loss");
            tel[i] = num(m, "test_loss");
            lam[i] = num(m, "lambda_max");
        }
        Plots.linePlot(dir.resolve(LOSS_PNG), "Loss", "η·t", "loss",
                List.of(new Plots.Series("train", x, trl), new Plots.Series("test", x, tel)),
                Plots.Options.DEFAULT.withLogY(spansDecades(trl, tel)));
        List<Plots.Series> sharp = new ArrayList<>(List.of(new Plots.Series("λ_max", x, lam)));
        if (n > 0 && ms.getFirst().containsKey("batch_sharpness")) {
            double[] bs = new double[n];
            for (int i = 0; i < n; i++) bs[i] = num(ms.get(i), "batch_sharpness");
            sharp.add(new Plots.Series("batch sharpness E_B[g_Bᵀ H_B g_B / ‖g_B‖²]", x, bs));
        }
        Plots.linePlot(dir.resolve(SHARPNESS_PNG), "Sharpness", "η·t", sharp.size() > 1 ? "curvature of the training loss" : "λ_max of the training-loss Hessian",
                sharp, Plots.Options.DEFAULT.withHLine(threshold, "threshold " + fmt(threshold)));
    }

    /**
     * Where batch sharpness first reached the threshold (the edge of stochastic stability, Andreyev &amp;
     * Beneventano 2024) and where it ended; null when the run did not log it.
     */
    static String batchSharpnessSummary(List<Map<String, Object>> ms, double threshold) {
        if (ms.isEmpty() || !ms.getFirst().containsKey("batch_sharpness")) return null;
        Long onset = null;
        for (Map<String, Object> m : ms) {
            if (num(m, "batch_sharpness") >= threshold) {
                onset = ((Number) m.get("step")).longValue();
                break;
            }
        }
        Map<String, Object> last = ms.getLast();
        double se = num(last, "batch_sharpness_se");
        String fin = String.format(Locale.ROOT, "final batch sharpness %.4g%s (λ_max %.4g)", num(last, "batch_sharpness"),
                Double.isNaN(se) ? "" : String.format(Locale.ROOT, " ± %.2g", se), num(last, "lambda_max"));
        return onset == null
                ? "eoslab: batch sharpness stayed below the threshold " + fmt(threshold) + "; " + fin + "."
                : "eoslab: batch sharpness reached the threshold " + fmt(threshold) + " at step " + onset + "; " + fin + ".";
    }

    /** Log scale only when the losses span more than ~1.5 decades; below that it shows too few ticks. */
    public static boolean spansDecades(double[]... ys) {
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (double[] y : ys) for (double v : y) if (v > 0 && Double.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        return hi / lo > 30;
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
