package eoslab.cli;

import eoslab.gpt.GptRunReport;
import eoslab.gpt.GptTrainConfig;
import eoslab.io.Json;
import eoslab.io.Plots;
import eoslab.train.EosSummary;
import eoslab.train.RunReport;
import eoslab.train.Trainer;
import eoslab.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code eoslab plot}: the figures of training runs, drawn from their {@code metrics.jsonl}. One run:
 * its own {@code loss.png} and {@code sharpness.png} again (a run writes them when it ends; this draws
 * them while it is still going or after it was stopped). Several runs with {@code --out}: one figure
 * of their λ_max, each with its own threshold dashed in its color (the picture of Cohen et al.'s
 * Figure 1: λ_max rises to 2/η and stays there, for each η), and one of their losses.
 */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = {"Draw the figures of training runs (train, demo, sweep runs, GPT-2 runs) from their metrics.jsonl.",
                "One run: redraws RUN/loss.png and RUN/sharpness.png, also while the run is still going.",
                "Several runs: --out DIR gets sharpness.png (each run's λ_max, its threshold dashed in the same color) and loss.png."})
public final class PlotCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RUN", description = "run directories (each with metrics.jsonl and config.json)")
    List<Path> runs;
    @Option(names = "--out", description = "write the comparison figures here instead of redrawing a run's own (needed for several runs)")
    Path out;
    @Option(names = "--x", defaultValue = "auto", paramLabel = "auto|eta_t|step",
            description = "x axis of the comparison: eta_t (η·t, or Σ η_s under a schedule: runs with different η line up on one time scale), "
                    + "step, or auto = eta_t when every run logs it (default: ${DEFAULT-VALUE})")
    String xAxis;
    @Option(names = "--sharpness", defaultValue = "lambda_max", paramLabel = "lambda_max|batch_sharpness",
            description = "what the comparison's sharpness.png shows against each threshold: lambda_max (for AdamW runs λ_max(P⁻¹H)) or "
                    + "batch_sharpness (runs trained with --batch-sharpness: SGD's edge of stochastic stability) (default: ${DEFAULT-VALUE})")
    String sharpness;
    @Option(names = "--labels", split = ",", description = "legend names, one per run, comma-separated (default: the directory name and η)")
    List<String> labels;
    @Option(names = "--scale", defaultValue = "1", description = "pixels per point of the PNGs, 1..4 (default: ${DEFAULT-VALUE})")
    int scale;
    @Option(names = "--debug", description = "print stack traces on errors")
    void setDebug(boolean on) {
        if (on) System.setProperty("eoslab.debug", "true");
    }

    /** What a run directory holds, read and checked before anything is drawn. */
    record Run(Path dir, String label, boolean gpt, boolean adam, Map<String, Object> config, List<Map<String, Object>> metrics) {
        /** The quantity the run's threshold applies to: λ_max(P⁻¹H) for AdamW, λ_max(H) otherwise. */
        String sharpnessKey() {
            return adam ? "precond_lambda_max" : "lambda_max";
        }

        /** What the comparison plots for this run: {@code quantity} is lambda_max or batch_sharpness. */
        String key(String quantity) {
            return quantity.equals("batch_sharpness") ? "batch_sharpness" : sharpnessKey();
        }

        String testKey() {
            return gpt ? "val_loss" : "test_loss";
        }
    }

    @Override
    public Integer call() throws IOException {
        if (scale < 1 || scale > 4) throw new UserError("--scale must be in 1..4, got " + scale);
        if (!List.of("auto", "eta_t", "step").contains(xAxis)) throw new UserError("--x must be auto, eta_t or step, got '" + xAxis + "'");
        if (!List.of("lambda_max", "batch_sharpness").contains(sharpness)) {
            throw new UserError("--sharpness must be lambda_max or batch_sharpness, got '" + sharpness + "'");
        }
        if (runs.size() > 1 && out == null) {
            throw new UserError(runs.size() + " runs to draw together: say where the figures go with --out DIR (one run alone is redrawn in its directory)");
        }
        if (labels != null && labels.size() != runs.size()) {
            throw new UserError("--labels has " + labels.size() + " names for " + runs.size() + " runs: give one per run, comma-separated");
        }
        if (out != null && Files.exists(out) && !Files.isDirectory(out)) throw new UserError("--out " + out + " is a file, not a directory");
        if (out != null && Files.exists(out.resolve(Trainer.METRICS))) {
            throw new UserError("--out " + out + " is a run's directory: comparison figures there would replace its own; choose another --out "
                    + "(eoslab plot " + out + " alone redraws that run's figures)");
        }
        if (!Plots.available()) {
            throw new UserError("this Java runtime cannot draw (no java.desktop module: the lean image, EOSLAB_DIST_PLOTS=0); "
                    + "run eoslab plot from the default image or with a JDK");
        }
        List<Run> rs = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) rs.add(read(runs.get(i), labels == null ? null : labels.get(i)));
        String x = xAxis.equals("auto") ? (rs.stream().allMatch(r -> r.metrics().getFirst().containsKey("eta_t")) ? "eta_t" : "step") : xAxis;
        for (Run r : rs) {
            if (!r.metrics().getFirst().containsKey(x)) throw new UserError(r.dir() + ": its metrics have no '" + x + "' field: use --x step");
        }
        if (sharpness.equals("batch_sharpness")) {
            for (Run r : rs) {
                if (!r.metrics().getFirst().containsKey("batch_sharpness")) {
                    throw new UserError(r.dir() + ": no batch_sharpness in its metrics (runs log it with --batch-sharpness N, the default for "
                            + "minibatch runs of the image models; GPT-2 sgd/momentum runs with --batch-sharpness N --sharpness-every M)");
                }
            }
        }
        for (Run r : rs) System.out.println(describe(r));
        if (out == null) {
            Run r = rs.getFirst();
            redraw(r);
            System.out.println("eoslab: redrew " + r.dir().resolve(RunReport.LOSS_PNG) + " and " + RunReport.SHARPNESS_PNG);
            return 0;
        }
        Files.createDirectories(out);
        Plots.Options base = Plots.Options.DEFAULT.withScale(scale);
        Path sharp = out.resolve("sharpness.png"), loss = out.resolve("loss.png");
        boolean anyAdam = rs.stream().anyMatch(Run::adam);
        String xl = x.equals("eta_t") ? "η·t" : "step";
        boolean bs = sharpness.equals("batch_sharpness");
        Plots.linePlot(sharp, bs ? "Batch sharpness" : "Sharpness" + (anyAdam ? " (AdamW runs: λ_max(P⁻¹H))" : ""), xl,
                bs ? "E_B[g_Bᵀ H_B g_B / ‖g_B‖²]" : anyAdam ? "top eigenvalue (preconditioned for AdamW)" : "λ_max of the training-loss Hessian",
                sharpnessSeries(rs, x, sharpness), base.withLogY(anyAdam && !bs).withLegend(Plots.Legend.RIGHT).withSize(1100, 560));
        List<Plots.Series> ls = lossSeries(rs, x);
        Plots.linePlot(loss, "Loss: train solid, " + (rs.stream().allMatch(Run::gpt) ? "validation" : "test") + " dashed", xl, "loss", ls,
                base.withLogY(RunReport.spansDecades(ls.stream().map(Plots.Series::y).toArray(double[][]::new))).withLegend(Plots.Legend.RIGHT).withSize(1100, 560));
        System.out.println("eoslab: wrote " + sharp + " and " + loss + " (" + rs.size() + " run" + (rs.size() == 1 ? "" : "s") + ")");
        return 0;
    }

    /** Reads and checks one run directory; every problem is a one-line {@link UserError}. */
    static Run read(Path dir, String label) {
        if (!Files.isDirectory(dir)) throw new UserError(dir + ": no such run directory");
        Path metrics = dir.resolve(Trainer.METRICS), config = dir.resolve("config.json");
        if (!Files.isRegularFile(metrics)) {
            String inside = null;
            try (var s = Files.list(dir)) {
                inside = s.filter(p -> Files.isRegularFile(p.resolve(Trainer.METRICS))).map(p -> p.getFileName().toString()).sorted().findFirst().orElse(null);
            } catch (IOException e) {
                // unreadable listing: fall through to the plain message
            }
            if (inside != null) {
                throw new UserError(dir + ": holds runs in its subdirectories (e.g. " + dir.resolve(inside) + "), not one itself; plot those, "
                        + "e.g. eoslab plot " + dir + "/*/ --out DIR");
            }
            throw new UserError(dir + ": no " + Trainer.METRICS + " there (expected a run directory of eoslab train, demo or sweep; "
                    + "branch, lyapunov and grok runs draw their own figures)");
        }
        if (!Files.isRegularFile(config)) throw new UserError(dir + ": no config.json next to " + Trainer.METRICS + " (not a directory eoslab train wrote)");
        @SuppressWarnings("unchecked")
        Map<String, Object> cfg = Json.read(config, LinkedHashMap.class);
        List<Map<String, Object>> ms = Json.readStepRecords(metrics);
        if (ms.isEmpty()) throw new UserError(metrics + ": no records yet (the run logs its first one at step 0)");
        Map<String, Object> first = ms.getFirst();
        if (!first.containsKey("train_loss")) {
            throw new UserError(metrics + ": not the metrics of a training run (no train_loss); branch, lyapunov and grok runs draw their own figures");
        }
        boolean gpt = cfg.get("model") instanceof String mo && GptTrainConfig.MODELS.contains(mo);
        boolean adam = gpt && "adamw".equals(cfg.get("optimizer"));
        String name = label != null ? label : defaultLabel(dir, cfg);
        return new Run(dir, name, gpt, adam, cfg, ms);
    }

    /** The directory's name and its learning rate (and batch size when it has one). */
    static String defaultLabel(Path dir, Map<String, Object> cfg) {
        Path fn = dir.toAbsolutePath().normalize().getFileName();
        StringBuilder sb = new StringBuilder(fn == null ? dir.toString() : fn.toString());
        if (cfg.get("lr") instanceof Number lr) {
            sb.append(" (η=").append(num(lr.doubleValue()));
            if (cfg.get("batch_size") instanceof Number b && b.intValue() > 0 && !(cfg.get("model") instanceof String m && GptTrainConfig.MODELS.contains(m))) {
                sb.append(", B=").append(b.intValue());
            }
            sb.append(')');
        }
        return sb.toString();
    }

    /** The run's own two figures, exactly as the run draws them when it ends. */
    static void redraw(Run r) throws IOException {
        if (r.gpt()) {
            Map<String, Object> m = new LinkedHashMap<>(r.config());
            m.remove("resolved");
            GptTrainConfig c = GptTrainConfig.fromMap(m);
            GptRunReport.writePlots(r.metrics(), r.dir(), threshold(r), r.adam(), c.schedule());
        } else {
            RunReport.writePlots(r.metrics(), r.dir(), threshold(r));
        }
    }

    /** The threshold config.json resolved (the peak η's for a schedule), else the last logged one. */
    static double threshold(Run r) {
        if (r.config().get("resolved") instanceof Map<?, ?> res && res.get("threshold") instanceof Number t) return t.doubleValue();
        for (Map<String, Object> m : r.metrics().reversed()) if (m.get("threshold") instanceof Number t) return t.doubleValue();
        return Double.NaN;
    }

    /** One line per run: what was logged, where the last record stands, and the EoS onset. */
    static String describe(Run r) {
        List<Map<String, Object>> ms = r.metrics();
        Map<String, Object> last = ms.getLast();
        double th = threshold(r);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s: %d records, last step %d, train loss %s",
                r.label(), ms.size(), ((Number) last.get("step")).longValue(), num(get(last, "train_loss"))));
        double[][] s = column(ms, "step", r.sharpnessKey());
        if (s[0].length > 0) {
            sb.append(String.format(Locale.ROOT, ", %s %s / threshold %s", r.adam() ? "λ_max(P⁻¹H)" : "λ_max", num(s[1][s[1].length - 1]), num(th)));
            Long onset = null;
            for (int i = 0; i < s[0].length && onset == null; i++) if (s[1][i] >= th) onset = (long) s[0][i];
            sb.append(onset == null ? ", below it so far" : ", reached it at step " + onset);
        }
        if (!r.gpt() && !ms.isEmpty() && ms.getFirst().containsKey("lambda_max")) {
            EosSummary e = EosSummary.of(ms, th);
            if (e.reached() && e.after() > 0) sb.append(String.format(Locale.ROOT, " (median deviation after it %.1f%%)", 100 * e.medianDeviation()));
        }
        double[][] b = column(ms, "step", "batch_sharpness");
        if (b[0].length > 0) {
            Long onset = null;
            for (int i = 0; i < b[0].length && onset == null; i++) if (b[1][i] >= th) onset = (long) b[0][i];
            sb.append(", batch sharpness ").append(num(b[1][b[1].length - 1]))
                    .append(onset == null ? " (below the threshold so far)" : " (reached the threshold at step " + onset + ")");
        }
        return sb.toString();
    }

    /** Each run's sharpness in its color, and its threshold dashed in the same color. */
    static List<Plots.Series> sharpnessSeries(List<Run> rs, String x, String quantity) {
        List<Plots.Series> out = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) {
            Run r = rs.get(i);
            double[][] s = column(r.metrics(), x, r.key(quantity));
            if (s[0].length == 0) continue;
            out.add(new Plots.Series(r.label(), s[0], s[1]).withColor(i));
            double[][] th = column(r.metrics(), x, "threshold");
            boolean constant = th[1].length > 0 && java.util.Arrays.stream(th[1]).allMatch(v -> v == th[1][0]);
            if (th[0].length == 0 || constant) {
                double t = threshold(r);
                double lo = r.metrics().getFirst().get(x) instanceof Number a ? a.doubleValue() : s[0][0];
                double hi = r.metrics().getLast().get(x) instanceof Number b ? b.doubleValue() : s[0][s[0].length - 1];
                out.add(new Plots.Series(r.label() + ": threshold " + num(t), new double[] {lo, hi}, new double[] {t, t}).withColor(i).asDashed().withoutMarkers());
            } else {
                out.add(new Plots.Series(r.label() + ": threshold at η_t", th[0], th[1]).withColor(i).asDashed());
            }
        }
        if (out.isEmpty()) throw new UserError("none of the runs logged " + rs.getFirst().key(quantity) + " (GPT-2 runs: was --sharpness-every 0?)");
        return out;
    }

    /** Each run's train loss (solid) and test or validation loss (dashed) in its color. */
    static List<Plots.Series> lossSeries(List<Run> rs, String x) {
        List<Plots.Series> out = new ArrayList<>();
        for (int i = 0; i < rs.size(); i++) {
            Run r = rs.get(i);
            double[][] tr = column(r.metrics(), x, "train_loss"), te = column(r.metrics(), x, r.testKey());
            out.add(new Plots.Series(r.label() + ": train", tr[0], tr[1]).withColor(i));
            if (te[0].length > 0) out.add(new Plots.Series(r.label() + ": " + (r.gpt() ? "validation" : "test"), te[0], te[1]).withColor(i).asDashed());
        }
        return out;
    }

    /** (x, y) of the records that have y; non-numbers ("NaN" strings of a diverged run) become NaN. */
    static double[][] column(List<Map<String, Object>> ms, String x, String y) {
        List<double[]> pts = new ArrayList<>();
        for (Map<String, Object> m : ms) if (m.containsKey(y)) pts.add(new double[] {get(m, x), get(m, y)});
        double[][] r = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            r[0][i] = pts.get(i)[0];
            r[1][i] = pts.get(i)[1];
        }
        return r;
    }

    private static double get(Map<String, Object> m, String k) {
        Object o = m.get(k);
        if (o instanceof Number n) return n.doubleValue();
        if (o instanceof String s) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    private static String num(double v) {
        return GptRunReport.num(v);
    }
}
