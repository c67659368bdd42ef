package eoslab.eos.branch;

import eoslab.backend.Backend;
import eoslab.data.DataOptions;
import eoslab.data.Datasets;
import eoslab.data.Split;
import eoslab.eos.Prototypes;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
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
import java.util.stream.Stream;

/**
 * The whole experiment of Kwag et al. (2026), §3 (SPEC §5), one call: load the binary task, build the
 * prototype taxonomy once (shared by every seed and both branches), run both branches for each seed,
 * then aggregate over seeds into the summary table and the figures. Layout of {@code out}:
 * <pre>
 *   config.json                       the resolved configuration
 *   seed_S/prototypes.json            the tracked rows ({@link eoslab.eos.PrototypeSet})
 *   seed_S/baseline.jsonl, exit.jsonl one {@link GridRecord} per grid step
 *   seed_S/fork.safetensors           the baseline's state at t* (the exit branch's start)
 *   summary.md, summary.json          {@link BranchSummary}
 *   fig*.png                          {@link BranchFigures}
 * </pre>
 * {@link #report} rebuilds the table and figures from the files alone (the CLI's {@code --replot}).
 */
public final class BranchExperiment {
    public static final String CONFIG = "config.json", SUMMARY_MD = "summary.md", SUMMARY_JSON = "summary.json", PROTOTYPES = "prototypes.json";

    private BranchExperiment() {
    }

    public record Result(List<BranchRun.Outcome> outcomes, BranchSummary summary, List<Path> figures) {
    }

    public static Path seedDir(Path out, long seed) {
        return out.resolve("seed_" + seed);
    }

    public static Result run(BranchConfig cfg, Backend be, Path out, PrintStream log) throws IOException {
        long t0 = System.nanoTime();
        Split split = Datasets.load(cfg.data(), new DataOptions(cfg.classes().length == 0 ? null : cfg.classes(), cfg.n(), cfg.nTest(), null, cfg.dataSeed()));
        if (split.train().classes() != 2) {
            throw new UserError("--data " + cfg.data() + ": the branching experiment needs a binary task but the data has " + split.train().classes()
                    + " classes; choose a pair with --classes (e.g. 2,4 for Fashion-MNIST, 1,9 for CIFAR-10 automobile vs truck)");
        }
        Prototypes.Built built = Prototypes.build(split.train(), cfg.prototypes().withSeed(cfg.dataSeed()));
        BranchRun run = new BranchRun(cfg, be, built.train(), split.test(), built.set(), split.train());
        double thr = run.optimizer(cfg.lr(), 0).threshold(), exitThr = run.optimizer(cfg.exitLr(), 0).threshold();
        Files.createDirectories(out);
        Map<String, Object> conf = new LinkedHashMap<>(cfg.toMap());
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("backend", be.name());
        res.put("gemm_precision", be.gemmPrecision().label);
        res.put("data_source", split.source());
        res.put("train_examples", built.train().n());
        res.put("test_examples", split.test().n());
        res.put("features", built.train().features());
        res.put("model", run.model().describe());
        res.put("parameters", run.model().numParams());
        res.put("threshold", thr);
        res.put("exit_threshold", exitThr);
        res.put("v_diff_norm", built.set().vDiffNorm());
        conf.put("resolved", res);
        AtomicFiles.writeString(out.resolve(CONFIG), Json.pretty(conf));
        log.printf(Locale.ROOT, "eoslab branch: %s, %d parameters; %d train / %d test examples from %s; prototypes m=%d, α=%s%s%n",
                run.model().describe(), run.model().numParams(), built.train().n(), split.test().n(), split.source(),
                cfg.prototypes().m(), cfg.prototypes().alpha(), cfg.prototypes().randomDirection() ? " (random directions ⟂ v_diff)" : "");
        log.printf(Locale.ROOT, "eoslab branch: %s η=%s (threshold %.4g) → exit cη=%s (threshold %.4g), loss %s, %d steps, grid every %d, seeds %s%n",
                cfg.optimizer(), cfg.lr(), thr, cfg.exitLr(), exitThr, cfg.lossName(), cfg.steps(), cfg.logEvery(), java.util.Arrays.toString(cfg.seeds()));
        List<BranchRun.Outcome> os = new ArrayList<>();
        for (long seed : cfg.seeds()) {
            Path dir = seedDir(out, seed);
            Files.createDirectories(dir);
            built.set().save(dir.resolve(PROTOTYPES));
            log.printf(Locale.ROOT, "  seed %d → %s%n", seed, dir);
            BranchRun.Outcome o = run.run(seed, dir, log);
            log.printf(Locale.ROOT, "  seed %d done in %.1f s%n", seed, o.seconds());
            os.add(o);
        }
        Result r = report(os, out, log);
        log.printf(Locale.ROOT, "eoslab branch: finished in %.1f s%n", (System.nanoTime() - t0) * 1e-9);
        return r;
    }

    /** Summary table (summary.md/json, printed) and figures from the seeds' outcomes. */
    public static Result report(List<BranchRun.Outcome> os, Path out, PrintStream log) throws IOException {
        if (os.isEmpty()) throw new UserError(out + ": no seeds to report on");
        GridRecord first = os.getFirst().baseline().getFirst();
        double lr = first.lr(), thr = first.threshold();
        double exitLr = Double.NaN, exitThr = Double.NaN;
        for (BranchRun.Outcome o : os) {
            for (GridRecord r : o.exit()) {
                if (!r.shared()) {
                    exitLr = r.lr();
                    exitThr = r.threshold();
                    break;
                }
            }
        }
        if (Double.isNaN(exitLr)) { // no seed forked: read cη from config.json for the reference line
            Map<?, ?> conf = Json.mapper().convertValue(Json.readTree(out.resolve(CONFIG)), Map.class);
            exitLr = ((Number) conf.get("exit_lr")).doubleValue();
            exitThr = thr * lr / exitLr;
        }
        BranchSummary s = BranchSummary.of(os, lr, exitLr);
        List<com.fasterxml.jackson.databind.JsonNode> rob = robustnessFiles(os, out);
        String md = "# Branching experiment (Kwag et al. 2026, §3)\n\n" + s.markdown() + (rob.isEmpty() ? "" : BranchRobustness.markdown(rob));
        AtomicFiles.writeString(out.resolve(SUMMARY_MD), md);
        AtomicFiles.writeString(out.resolve(SUMMARY_JSON), Json.pretty(s.toMap()));
        List<Path> figs = new ArrayList<>(BranchFigures.write(os, lr, exitLr, thr, exitThr, out));
        Path nat = BranchFigures.writeNatural(naturalLines(os, out), lr, out);
        if (nat != null) figs.add(nat);
        if (!rob.isEmpty()) figs.addAll(BranchRobustness.figures(rob, out));
        log.println();
        log.print(s.markdown());
        if (!rob.isEmpty()) log.print(BranchRobustness.markdown(rob));
        log.println("eoslab branch: wrote " + out.resolve(SUMMARY_MD) + ", " + SUMMARY_JSON + " and " + figs.stream().map(p -> p.getFileName().toString()).toList());
        return new Result(os, s, figs);
    }

    /** Every seed's robustness.json that exists ({@code --robustness}), in seed order. */
    static List<com.fasterxml.jackson.databind.JsonNode> robustnessFiles(List<BranchRun.Outcome> os, Path out) {
        List<com.fasterxml.jackson.databind.JsonNode> r = new ArrayList<>();
        for (BranchRun.Outcome o : os) {
            Path f = seedDir(out, o.seed()).resolve(BranchRun.ROBUSTNESS);
            if (Files.exists(f)) r.add(Json.readTree(f));
        }
        return r;
    }

    /** (step, ρ) rows of every seed's natural.jsonl that exists ({@code --natural-outliers}), in seed order. */
    static List<double[][]> naturalLines(List<BranchRun.Outcome> os, Path out) throws IOException {
        List<double[][]> r = new ArrayList<>();
        for (BranchRun.Outcome o : os) {
            Path f = seedDir(out, o.seed()).resolve(BranchRun.NATURAL);
            if (!Files.exists(f)) continue;
            List<double[]> rows = new ArrayList<>();
            for (String line : Files.readAllLines(f)) {
                if (line.isBlank()) continue;
                var n = Json.parse(f.toString(), line);
                var rho = n.get("spearman");
                if (n.get("step") == null || rho == null) throw new UserError(f + ": a line without step/spearman: " + line);
                rows.add(new double[]{n.get("step").asLong(), rho.isNumber() ? rho.doubleValue() : Double.NaN});
            }
            r.add(rows.toArray(double[][]::new));
        }
        return r;
    }

    /** The outcomes stored under {@code out} (every seed_S directory), for {@link #report}. */
    public static List<BranchRun.Outcome> load(Path out) throws IOException {
        if (!Files.isDirectory(out)) throw new UserError(out + ": not a directory");
        List<Path> dirs;
        try (Stream<Path> s = Files.list(out)) {
            dirs = s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches("seed_-?\\d+"))
                    .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(5)))).toList();
        }
        if (dirs.isEmpty()) throw new UserError(out + ": no seed_S directories (is this the --out of an eoslab branch run?)");
        List<BranchRun.Outcome> os = new ArrayList<>();
        for (Path d : dirs) {
            long seed = Long.parseLong(d.getFileName().toString().substring(5));
            List<GridRecord> base = GridRecord.readAll(d.resolve(BranchRun.BASELINE));
            if (base.isEmpty()) throw new UserError(d.resolve(BranchRun.BASELINE) + ": empty");
            Path ef = d.resolve(BranchRun.EXIT);
            List<GridRecord> exit = Files.exists(ef) ? GridRecord.readAll(ef) : List.of();
            List<GridRecord> own = exit.stream().filter(r -> !r.shared()).toList();
            Long tStar = own.isEmpty() ? null : own.getFirst().step();
            Long tss = own.isEmpty() ? null : BranchRun.firstAtOrAbove(own, own.getFirst().threshold());
            os.add(new BranchRun.Outcome(seed, tStar, tss, base, exit, Double.NaN));
        }
        return os;
    }
}
