package eoslab.gpt;

import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.io.Plots;
import eoslab.optim.LrSchedule;

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
 * Runs a {@link GptTrainer} for the CLI: config.json, a line per logged step (losses, λ_max,
 * tokens/s), loss.png, sharpness.png (when λ_max was measured) and summary.json.
 */
public final class GptRunReport {
    public static final String SUMMARY = "summary.json", LOSS_PNG = "loss.png", SHARPNESS_PNG = "sharpness.png";

    private GptRunReport() {
    }

    /** Train from {@code start}, write every output file into {@code dir}, print progress to {@code out}. */
    public static GptTrainer.Result run(GptTrainer tr, GptTrainer.State start, Path dir, PrintStream out) throws IOException {
        Files.createDirectories(dir);
        tr.writeConfig(dir);
        GptTrainConfig c = tr.cfg;
        out.println("eoslab: " + tr.model.describe() + "; " + tr.data.tokenizer() + " tokens of " + tr.data.name() + ": "
                + tr.data.train().length + " train / " + tr.data.val().length + " validation");
        String accum = c.accum() == 1 ? "" : String.format(Locale.ROOT, " (%d micro-batches of %d)", c.accum(), c.batchSize() / c.accum());
        LrSchedule ls = tr.opt.lrSchedule();
        out.printf(Locale.ROOT, "eoslab: %s %s, B=%d sequences × T=%d tokens%s, threshold %s%s, %d steps, seed %d, %s%n",
                tr.opt.name(), ls.isConstant() ? "η=" + num(c.lr()) : ls.describe(), c.batchSize(), c.tokensPerSequence(), accum,
                num(tr.opt.threshold()), ls.isConstant() ? "" : " at the peak η", c.steps(), c.seed(), c.dtypeName());
        GptTrainer.Result res = tr.run(start, dir, (m, tps) -> {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  step %6d  train loss %.4f  val loss %.4f",
                    (Long) m.get("step"), (Double) m.get("train_loss"), (Double) m.get("val_loss")));
            if (!ls.isConstant()) sb.append("  η ").append(num((Double) m.get("lr")));
            if (m.get("lambda_max") instanceof Double l) sb.append(String.format(Locale.ROOT, "  λmax %.4g", l));
            if (m.get("precond_lambda_max") instanceof Double p) sb.append(String.format(Locale.ROOT, "  λmax(P⁻¹H) %.4g", p));
            if (!tps.isNaN()) sb.append(String.format(Locale.ROOT, "  %.0f tok/s", tps));
            out.println(sb);
        });
        List<Map<String, Object>> all = readMetrics(dir);
        writePlots(all, dir, tr.opt.threshold(), tr.precondSharpness != null, ls);
        Map<String, Object> sm = new LinkedHashMap<>();
        sm.put("steps", c.steps());
        sm.put("seconds_this_session", res.seconds());
        sm.put("final", all.getLast());
        AtomicFiles.writeString(dir.resolve(SUMMARY), Json.pretty(sm));
        out.printf(Locale.ROOT, "eoslab: %d steps in %.1f s; wrote %s/{config.json, metrics.jsonl, timing.jsonl, checkpoint.safetensors, %s%s}%n",
                res.stepsDone(), res.seconds(), dir, !Plots.available() ? "" : LOSS_PNG + ", " + (c.sharpnessEvery() > 0 ? SHARPNESS_PNG + ", " : ""), SUMMARY);
        return res;
    }

    /** All metrics records of a run directory, in order. */
    public static List<Map<String, Object>> readMetrics(Path dir) {
        return Json.readStepRecords(dir.resolve(GptTrainer.METRICS));
    }

    private static double get(Map<String, Object> m, String k) {
        return m.get(k) instanceof Number x ? x.doubleValue() : Double.NaN;
    }

    /** loss.png (train and validation loss against the step); sharpness.png when λ_max was measured. */
    public static void writePlots(List<Map<String, Object>> ms, Path dir, double threshold, boolean adam, LrSchedule ls) throws IOException {
        int n = ms.size();
        double[] x = new double[n], tr = new double[n], va = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = get(ms.get(i), "step");
            tr[i] = get(ms.get(i), "train_loss");
            va[i] = get(ms.get(i), "val_loss");
        }
        Plots.linePlot(dir.resolve(LOSS_PNG), "GPT-2 loss", "step", "mean token cross-entropy (nats)",
                List.of(new Plots.Series("train (step's batch)", x, tr), new Plots.Series("validation", x, va)), Plots.Options.DEFAULT);
        List<Double> sx = new ArrayList<>(), sl = new ArrayList<>(), sp = new ArrayList<>();
        for (Map<String, Object> m : ms) {
            if (!m.containsKey("lambda_max")) continue;
            sx.add(get(m, "step"));
            sl.add(get(m, "lambda_max"));
            sp.add(get(m, "precond_lambda_max"));
        }
        if (sx.isEmpty()) return;
        double[] xs = sx.stream().mapToDouble(Double::doubleValue).toArray();
        List<Plots.Series> series = new ArrayList<>();
        series.add(new Plots.Series("λ_max(H)", xs, sl.stream().mapToDouble(Double::doubleValue).toArray()));
        if (adam) series.add(new Plots.Series("λ_max(P⁻¹H)", xs, sp.stream().mapToDouble(Double::doubleValue).toArray()));
        // AdamW: λ_max(P⁻¹H) and its threshold sit orders of magnitude above λ_max(H), hence a log axis
        Plots.Options opts = Plots.Options.DEFAULT.withLogY(adam);
        String label = adam ? "AdamW threshold on λ_max(P⁻¹H)" : "threshold";
        if (ls.isConstant()) {
            opts = opts.withHLine(threshold, label + " " + num(threshold));
        } else {
            // the threshold moves with η_t: plot each logged step's, leaving out the warmup, where 2/η_t is huge
            List<Double> tx = new ArrayList<>(), ty = new ArrayList<>();
            for (Map<String, Object> m : ms) {
                if (get(m, "step") < ls.warmupSteps()) continue;
                tx.add(get(m, "step"));
                ty.add(get(m, "threshold"));
            }
            if (!tx.isEmpty()) series.add(new Plots.Series(label + " at η_t", tx.stream().mapToDouble(Double::doubleValue).toArray(),
                    ty.stream().mapToDouble(Double::doubleValue).toArray()));
        }
        Plots.linePlot(dir.resolve(SHARPNESS_PNG), "Sharpness on a fixed training batch", "step", "top Hessian eigenvalue", series, opts);
    }

    /** 4 significant digits without trailing zeros: 0.0006, 6.333e+04. */
    public static String num(double v) {
        String s = String.format(Locale.ROOT, "%.4g", v);
        if (s.contains("e") || !s.contains(".")) return s;
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
