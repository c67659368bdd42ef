package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.io.JsonlWriter;
import eoslab.io.Plots;
import eoslab.nn.Objective;
import eoslab.tensor.Tensor;
import eoslab.sd.SdEstimators;
import eoslab.sd.SdOptions;
import eoslab.sd.Sweep;
import eoslab.sd.UpdateJacobian;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import eoslab.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code eoslab grok}: the grokking experiment of Tuci et al. (2026, SPEC §6) — addition mod p
 * (p = 97), a seeded 40 % / 60 % train/test split of the p² pairs, a 2-layer MLP with summed
 * embeddings (Linear(2p, 32) on one-hot(a) ⊕ one-hot(b), GELU, Linear(32, p); see
 * {@link eoslab.data.ModularArithmetic}), mean cross-entropy, heavy-ball momentum SGD with L2 weight
 * decay (PyTorch's SGD(momentum=β, weight_decay=λ), {@link eoslab.optim.Momentum}).
 *
 * <p>At {@code --checkpoints} steps spaced evenly from 0 to the last step (both included) it saves
 * the weights and momentum ({@code OUT/checkpoints/step_XXXXXX.safetensors}, PyTorch names,
 * loadable with {@link Trainer#loadCheckpoint}), logs train/test loss and accuracy, the weight norm,
 * λ_max of the training-loss Hessian and the sharpness dimension to {@code OUT/grok.jsonl}, and
 * draws {@code OUT/grok.png}: accuracies, λ_max against the momentum threshold (2 + 2β)/η, and SD
 * once {@link #sdAtCheckpoint} computes it. {@code OUT/summary.json} records when train and test
 * accuracy first reach {@code --jump-acc} (memorization, then grokking).
 *
 * <p>The paper trains 20k epochs ({@code --epochs 20000}); its learning rate and weight decay are not
 * given in the sources we have. The defaults (full batch, η = 3, β = 0.9, λ = 3e-4, PyTorch init,
 * 3000 epochs) were chosen to grok on a CPU in minutes (73 s wall, 81 s CPU with 2 threads on an
 * idle 2-core machine, f32, 100 checkpoints with λ_max; results are identical with 1 thread). Measured,
 * seed 0: train accuracy reaches 0.9 at step 1212 and test accuracy at step 1515 (test accuracy is
 * ~0 — below chance — while the training set is being memorized, then jumps; it plateaus at ≈ 0.94),
 * with λ_max rising to ≈ 1.15 just below the threshold 1.27 and falling after the transition. Seed 1
 * memorizes as fast (train ≥ 0.9 at step 1000) but its test accuracy stalls near 0.76 (0.77 at step
 * 6000): how far the transition goes depends on the seed. Smaller λ memorizes with a longer delay
 * before generalization; λ ≳ 3e-3 collapses the weights to 0 (the origin is a saddle where the useful
 * gradient is third order in w, and weight decay makes it attracting).
 */
@Command(name = "grok", mixinStandardHelpOptions = true,
        description = {"Grokking on modular addition (Tuci et al. 2026): train/test accuracy, λ_max and SD at ~100 checkpoints.",
                "Writes OUT/config.json, OUT/grok.jsonl, OUT/checkpoints/step_XXXXXX.safetensors, OUT/grok.png, OUT/summary.json."})
public final class GrokCommand implements java.util.concurrent.Callable<Integer> {
    public static final String JSONL = "grok.jsonl", PNG = "grok.png", SUMMARY = "summary.json", CHECKPOINTS = "checkpoints";

    @Mixin
    CommonOptions common;
    @Option(names = "--p", defaultValue = "97", description = "modulus p; the task is (a + b) mod p on all p² pairs (default: ${DEFAULT-VALUE})")
    int p;
    @Option(names = "--train-fraction", defaultValue = "0.4", description = "fraction of the p² pairs used for training; the rest is the test set (default: ${DEFAULT-VALUE})")
    double trainFraction;
    @Option(names = "--hidden", defaultValue = "32", description = "hidden width of the 2-layer MLP (default: ${DEFAULT-VALUE})")
    int hidden;
    @Option(names = "--init-scale", defaultValue = "1.0", description = "multiplies PyTorch's default Linear init (default: ${DEFAULT-VALUE})")
    double initScale;
    @Option(names = "--lr", defaultValue = "3", description = "learning rate η; with β = 0.9 the momentum threshold (2+2β)/η ≈ 1.27 is near the λ_max the run reaches, i.e. close to the edge of stability (default: ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--momentum", defaultValue = "0.9", description = "heavy-ball β (default: ${DEFAULT-VALUE})")
    double momentum;
    @Option(names = "--weight-decay", defaultValue = "3e-4", description = "L2 weight decay λ, added to the gradient as in torch.optim.SGD; λ ≳ 3e-3 (at this init) collapses the weights to zero (default: ${DEFAULT-VALUE})")
    double weightDecay;
    @Option(names = "--batch-size", defaultValue = "0", description = "minibatch size, 0 = full batch (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--epochs", defaultValue = "3000", description = "passes over the training set (full batch: steps); the paper uses 20000 (default: ${DEFAULT-VALUE})")
    long epochs;
    @Option(names = "--checkpoints", defaultValue = "100", description = "checkpoints (and log lines), evenly spaced from step 0 to the last step (default: ${DEFAULT-VALUE})")
    int checkpoints;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the split, the initialisation and the minibatch order (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--jump-acc", defaultValue = "0.9", description = "accuracy that marks the train (memorization) and test (grokking) jumps in summary.json (default: ${DEFAULT-VALUE})")
    double jumpAcc;
    @Option(names = "--lanczos-steps", defaultValue = "30", description = "Lanczos iterations per λ_max solve, at most (default: ${DEFAULT-VALUE})")
    int lanczosSteps;
    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
    String dtype;
    @Option(names = "--sd", defaultValue = "ps", description = "sharpness-dimension estimator at each checkpoint: slq, kde, ps or none (default: ${DEFAULT-VALUE})")
    String sdMethod;
    @Option(names = "--sd-runs", defaultValue = "4", description = "Lanczos runs per SD estimate (default: ${DEFAULT-VALUE})")
    int sdRuns;
    @Option(names = "--sd-steps", defaultValue = "32", description = "Lanczos steps per SD run (default: ${DEFAULT-VALUE})")
    int sdSteps;
    @Option(names = "--out", defaultValue = "runs/grok", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--force", description = "overwrite a run already in --out")
    boolean force;

    /** The training configuration this command runs (validated by {@link TrainConfig}). */
    TrainConfig config() {
        if (p < 2) throw new UserError("--p " + p + ": need a modulus >= 2");
        if (hidden < 1) throw new UserError("--hidden " + hidden + ": need a width >= 1");
        if (epochs < 1) throw new UserError("--epochs " + epochs + ": need at least 1");
        if (checkpoints < 2) throw new UserError("--checkpoints " + checkpoints + ": need at least 2 (the first and the last step)");
        if (!java.util.List.of("slq", "kde", "ps", "none").contains(sdMethod)) throw new UserError("--sd " + sdMethod + ": use slq, kde, ps or none");
        if (sdRuns < 1 || sdSteps < 2) throw new UserError("--sd-runs must be >= 1 and --sd-steps >= 2");
        if (!(jumpAcc > 0 && jumpAcc <= 1)) throw new UserError("--jump-acc " + jumpAcc + ": need an accuracy in (0, 1]");
        String data = String.format(Locale.ROOT, "modadd:p=%d,train=%s", p, trainFraction);
        int nTrain = new eoslab.data.ModularArithmetic.Spec(p, trainFraction).nTrain();
        if (batchSize < 0 || batchSize > nTrain) throw new UserError("--batch-size " + batchSize + ": need 0 (full batch) or 1.." + nTrain + " (the training pairs)");
        long stepsPerEpoch = batchSize == 0 ? 1 : nTrain / batchSize;
        if (epochs > Long.MAX_VALUE / stepsPerEpoch) throw new UserError("--epochs " + epochs + ": too many steps");
        return new TrainConfig(data, new int[0], 0, 0, null, "mlp", new int[]{hidden}, "gelu", true, initScale,
                "ce", "momentum", lr, momentum, weightDecay, batchSize, epochs * stepsPerEpoch, seed,
                1, 1, lanczosSteps, 1e-4, dtype, common == null ? "cpu" : common.device, 4096, 0);
    }

    @Override
    public Integer call() throws Exception {
        Backend be = common.open();
        TrainConfig cfg = config();
        Trainer tr = new Trainer(cfg, be, System.err); // builds and validates everything before any file is written
        prepare(out, force);
        System.err.printf(Locale.ROOT, "eoslab grok: (a + b) mod %d, %s of the pairs for training; momentum SGD η = %s, β = %s, weight decay %s, "
                        + "%s, init scale %s, seed %d, %s on %s (all settings: %s)%n", p, Sweep.num(trainFraction), Sweep.num(lr), Sweep.num(momentum),
                Sweep.num(weightDecay), batchSize == 0 ? "full batch" : "batch " + batchSize, Sweep.num(initScale), seed, dtype, be.name(),
                out.resolve(Trainer.CONFIG));
        System.err.println("eoslab grok: " + tr.split.source() + ", train n = " + tr.train.n() + ", test n = " + tr.test.n()
                + "; model " + tr.model.describe() + ", d = " + tr.model.numParams() + "; " + tr.cfg.steps() + " steps");
        Result r = run(tr, out, checkpoints, jumpAcc, this::sdAtCheckpoint, System.out);
        System.out.println(r.describe());
        return 0;
    }

    // ---- the sharpness-dimension hook -----------------------------------------------------------

    /** SD of the training dynamics at one checkpoint; {@code null} when not computed. */
    @FunctionalInterface
    public interface SdProbe {
        Double sd(Objective train, Tensor w, TrainConfig cfg, long step);
    }

    /**
     * The sharpness dimension (SPEC §3, Tuci et al. Defs. 4.1–4.2) at the weights {@code w} of the
     * checkpoint at {@code step}, by the estimator {@code --sd} over {@code --sd-runs} Lanczos runs of
     * {@code --sd-steps} steps on the run's minibatch Hessians. It uses the plain-SGD map
     * σ = |1 − ηα| at the same weights — the form the paper reports — not the 2d×2d momentum
     * Jacobian. The seed is derived from (run seed, step), so reruns give the same SD.
     */
    public Double sdAtCheckpoint(Objective train, Tensor w, TrainConfig cfg, long step) {
        if (sdMethod.equals("none")) return null;
        SdOptions o = SdOptions.defaults(SdOptions.Method.valueOf(sdMethod.toUpperCase()), cfg.batchSize(),
                        eoslab.util.CounterRng.mix(cfg.seed() * 31 + step))
                .withBatches(sdRuns).withLanczosSteps(sdSteps);
        return SdEstimators.estimate(train, w, UpdateJacobian.sgd(cfg.lr()), o).sd();
    }

    // ---- the run --------------------------------------------------------------------------------

    /** What a run found: the logged records and the steps of the two accuracy jumps (null if never). */
    public record Result(List<Map<String, Object>> records, Long trainJumpStep, Long testJumpStep, double jumpAcc,
                         long stepsPerEpoch, double seconds) {
        public boolean grokked() {
            return testJumpStep != null;
        }

        public String describe() {
            Map<String, Object> last = records.getLast();
            return String.format(Locale.ROOT,
                    "eoslab grok: %d steps in %.1f s; final train acc %.4f, test acc %.4f; train acc %s, test acc %s%s",
                    (Long) last.get("step"), seconds, (Double) last.get("train_acc"), (Double) last.get("test_acc"),
                    reached(trainJumpStep), reached(testJumpStep),
                    grokked() ? "" : " — test accuracy never reached --jump-acc: no full grokking transition in this run (try more --epochs or another --seed)");
        }

        private String reached(Long step) {
            return step == null ? "never reached " + jumpAcc : "≥ " + jumpAcc + " at step " + step + " (epoch " + step / stepsPerEpoch + ")";
        }
    }

    /** The checkpoint steps: {@code count} values round(i·steps/(count−1)), i = 0..count−1, duplicates dropped. */
    public static long[] checkpointSteps(long steps, int count) {
        TreeSet<Long> s = new TreeSet<>();
        for (int i = 0; i < count; i++) s.add(Math.round((double) i * steps / (count - 1)));
        return s.stream().mapToLong(Long::longValue).toArray();
    }

    public static Path checkpointFile(Path out, long step) {
        return out.resolve(CHECKPOINTS).resolve(String.format(Locale.ROOT, "step_%06d.safetensors", step));
    }

    /**
     * Train {@code tr} from its initial state to cfg.steps(), measuring, logging and checkpointing at
     * {@link #checkpointSteps}; writes config.json, grok.jsonl, the checkpoints, grok.png and summary.json.
     */
    public static Result run(Trainer tr, Path out, int checkpoints, double jumpAcc, SdProbe sd, PrintStream progress) throws IOException {
        long t0 = System.nanoTime();
        long steps = tr.cfg.steps();
        long stepsPerEpoch = tr.opt.schedule().stepsPerEpoch();
        long[] at = checkpointSteps(steps, checkpoints);
        Files.createDirectories(out.resolve(CHECKPOINTS));
        tr.writeConfig(out);
        List<Map<String, Object>> records = new ArrayList<>();
        Long trainJump = null, testJump = null;
        Trainer.State s = tr.initial();
        Tensor x = s.x();
        try (JsonlWriter log = JsonlWriter.append(out.resolve(JSONL))) {
            int next = 0;
            for (long t = 0; ; t++) {
                if (t == at[next]) {
                    Map<String, Object> m = measure(tr, x, t, stepsPerEpoch, sd);
                    m.put("seconds", (System.nanoTime() - t0) * 1e-9);
                    tr.saveCheckpoint(checkpointFile(out, t), new Trainer.State(t, x, null));
                    log.write(m);
                    records.add(m);
                    if (trainJump == null && (Double) m.get("train_acc") >= jumpAcc) trainJump = t;
                    if (testJump == null && (Double) m.get("test_acc") >= jumpAcc) testJump = t;
                    if (next % 10 == 0 && next > 0) writePlot(out.resolve(PNG), records, tr.opt.threshold(), jumpAcc, tr.train.data().classes()); // watchable while it runs
                    if (progress != null && (next % 10 == 0 || next == at.length - 1)) {
                        progress.printf(Locale.ROOT, "  step %7d  epoch %6d  train loss %.4f acc %.4f  test loss %.4f acc %.4f  λmax %8.3f  ‖w‖ %7.3f  %5.0f s%n",
                                t, t / stepsPerEpoch, (Double) m.get("train_loss"), (Double) m.get("train_acc"),
                                (Double) m.get("test_loss"), (Double) m.get("test_acc"), (Double) m.get("lambda_max"),
                                (Double) m.get("weight_norm"), (Double) m.get("seconds"));
                    }
                    if (++next == at.length) break;
                }
                tr.opt.step(t, x, null, 0);
            }
        }
        Result r = new Result(records, trainJump, testJump, jumpAcc, stepsPerEpoch, (System.nanoTime() - t0) * 1e-9);
        writePlot(out.resolve(PNG), records, tr.opt.threshold(), jumpAcc, tr.train.data().classes());
        Map<String, Object> sm = new LinkedHashMap<>();
        sm.put("steps", steps);
        sm.put("epochs", steps / stepsPerEpoch);
        sm.put("checkpoints", at.length);
        sm.put("steps_per_epoch", stepsPerEpoch);
        sm.put("jump_acc", jumpAcc);
        sm.put("train_jump_step", trainJump);
        sm.put("test_jump_step", testJump);
        sm.put("grokked", r.grokked());
        sm.put("seconds", r.seconds());
        sm.put("final", records.getLast());
        AtomicFiles.writeString(out.resolve(SUMMARY), Json.pretty(sm));
        return r;
    }

    /** One grok.jsonl record: Trainer's metrics (losses, accuracies, λ_max) plus epoch, ‖w‖ and SD. */
    static Map<String, Object> measure(Trainer tr, Tensor x, long t, long stepsPerEpoch, SdProbe sd) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", t);
        m.put("epoch", (double) t / stepsPerEpoch);
        Map<String, Object> base = tr.measure(t, x, null);
        for (String k : new String[]{"train_loss", "train_acc", "test_loss", "test_acc", "lambda_max", "threshold", "lanczos_iters"}) {
            m.put(k, base.get(k));
        }
        Tensor w = tr.opt.params(x);
        double[] wh = tr.be.toDoubles(w);
        double sq = 0;
        for (double v : wh) sq += v * v;
        // ‖w‖ shrinks under weight decay around grokking (Liu et al. 2022, "Omnigrok")
        m.put("weight_norm", Math.sqrt(sq));
        m.put("sd", sd == null ? null : sd.sd(tr.train, w, tr.cfg, t));
        return m;
    }

    /** grok.png: accuracy panel, λ_max panel, and an SD panel when any record has an SD. */
    static void writePlot(Path png, List<Map<String, Object>> records, double threshold, double jumpAcc, int p) throws IOException {   // p: the modulus (the task has p classes)
        int n = records.size();
        double[] step = new double[n], tra = new double[n], tea = new double[n], lam = new double[n], sd = new double[n];
        boolean anySd = false;
        for (int i = 0; i < n; i++) {
            Map<String, Object> m = records.get(i);
            step[i] = num(m, "step");
            tra[i] = num(m, "train_acc");
            tea[i] = num(m, "test_acc");
            lam[i] = num(m, "lambda_max");
            sd[i] = num(m, "sd");
            anySd |= Double.isFinite(sd[i]);
        }
        Plots.Options o = Plots.Options.DEFAULT.withSize(900, 360);
        List<Plots.Panel> panels = new ArrayList<>();
        panels.add(new Plots.Panel("Addition mod " + p + ": accuracy", "step", "accuracy",
                List.of(new Plots.Series("train", step, tra), new Plots.Series("test", step, tea)),
                o.withYRange(0.0, 1.0).withHLine(jumpAcc, "jump at " + jumpAcc)));
        panels.add(new Plots.Panel("Sharpness", "step", "λ_max of the training-loss Hessian",
                List.of(new Plots.Series("λ_max", step, lam)),
                o.withHLine(threshold, String.format(Locale.ROOT, "(2+2β)/η = %.4g", threshold))));
        if (anySd) {
            panels.add(new Plots.Panel("Sharpness dimension", "step", "SD",
                    List.of(new Plots.Series("SD", step, sd)), o));
        }
        Plots.stackedPlot(png, panels);
    }

    private static double num(Map<String, Object> m, String k) {
        return m.get(k) instanceof Number v ? v.doubleValue() : Double.NaN;
    }

    /** A fresh run may not mix its files with an older run's. */
    static void prepare(Path out, boolean force) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) throw new UserError("--out " + out + ": exists and is not a directory");
        if (Files.exists(out.resolve(JSONL)) && !force) {
            throw new UserError("--out " + out + ": already holds a grok run (" + JSONL + "); use --force to overwrite it, or another --out");
        }
        Files.createDirectories(out);
        for (String f : new String[]{JSONL, PNG, SUMMARY, Trainer.CONFIG}) Files.deleteIfExists(out.resolve(f));
        Path ck = out.resolve(CHECKPOINTS);
        if (Files.isDirectory(ck)) {
            try (var files = Files.list(ck)) {
                for (Path f : files.filter(f -> f.getFileName().toString().matches("step_\\d+\\.safetensors")).toList()) Files.delete(f);
            }
        }
    }
}
