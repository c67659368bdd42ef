package eoslab.eos.branch;

import eoslab.backend.Backend;
import eoslab.data.Dataset;
import eoslab.eos.Centroids;
import eoslab.eos.NaturalOutliers;
import eoslab.eos.PrototypeSet;
import eoslab.io.Json;
import eoslab.io.JsonlWriter;
import eoslab.io.SafetensorsReader;
import eoslab.io.SafetensorsWriter;
import eoslab.nn.HessianOperator;
import eoslab.nn.Objective;
import eoslab.nn.Sequential;
import eoslab.optim.BatchSchedule;
import eoslab.optim.Momentum;
import eoslab.optim.Optimizer;
import eoslab.optim.Sgd;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.train.SharpnessTracker;
import eoslab.util.UserError;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One seed of the branching experiment (Kwag et al. 2026, §3.1, App. A.3) on a prototype-modified
 * training set:
 * <ol>
 *   <li>the <em>baseline</em> trains at η for {@code steps} steps, logging {@link GridRecord}s every
 *       {@code logEvery} steps (and at the last step) to {@code baseline.jsonl};</li>
 *   <li>t* = the first logged step with λ_1 ≥ threshold(η) ({@link #firstAtOrAbove}). At that grid
 *       step the state <em>before</em> anything of step t* happened — optimizer state and the
 *       eigenvectors that warm-start Lanczos — is saved to {@code fork.safetensors};</li>
 *   <li>the <em>exit</em> branch is resumed from that checkpoint with learning rate cη and runs to the
 *       same last step. Its lines before t* are the baseline's (marked {@code shared}); from t* on they
 *       are computed. t** = its first logged step with λ_1 ≥ threshold(cη), or null.</li>
 * </ol>
 * A resumed branch is a bit-exact continuation: the noise and the Lanczos seeds are functions of
 * (seed, step) only, so with c = 1 the exit branch reproduces the baseline's lines from t* on exactly
 * (tested). With c ≠ 1 its line at t* differs from the baseline's only in lr and threshold.
 */
public final class BranchRun {
    public static final String BASELINE = "baseline.jsonl", EXIT = "exit.jsonl", FORK = "fork.safetensors", NATURAL = "natural.jsonl",
            ROBUSTNESS = BranchRobustness.FILE;
    static final String META_STEP = "eoslab.step", META_SEED = "eoslab.seed", META_CONFIG = "eoslab.branch_config",
            STATE = "eoslab.optimizer.state", EIGVECS = "eoslab.sharpness.eigenvectors";

    /** What one seed produced. {@code tStar}/{@code tStarStar} are null when the threshold was never reached. */
    public record Outcome(long seed, Long tStar, Long tStarStar, List<GridRecord> baseline, List<GridRecord> exit, double seconds) {
    }

    private final BranchConfig cfg;
    private final Backend be;
    private final Sequential model;
    private final Objective train, test;
    private final GroupProbe probe;
    /** The untracked (so unmodified) training rows and their centroid distances, when cfg.naturalEvery() > 0; else null. */
    private final Objective natural;
    private final double[] naturalDistance;
    /** The §5.2 evaluation when cfg.robustness(); else null. */
    private final BranchRobustness robust;

    /**
     * @param train the prototype-modified training set that {@code set} indexes
     * @param test  a test set for test loss/accuracy, or null
     */
    public BranchRun(BranchConfig cfg, Backend be, Dataset train, Dataset test, PrototypeSet set) {
        this(cfg, be, train, test, set, null);
    }

    /**
     * @param train           the prototype-modified training set that {@code set} indexes
     * @param test            a test set for test loss/accuracy, or null (required with {@code --robustness})
     * @param unmodifiedTrain the training set before the modification, for {@code --robustness} (else may be null)
     */
    public BranchRun(BranchConfig cfg, Backend be, Dataset train, Dataset test, PrototypeSet set, Dataset unmodifiedTrain) {
        set.checkMatches(train);
        this.cfg = cfg;
        this.be = be;
        this.model = buildModel(cfg, train);
        this.train = new Objective(be, cfg.dtype(), model, cfg.loss(), train, cfg.chunk());
        this.test = test == null ? null : new Objective(be, cfg.dtype(), model, cfg.loss(), test, cfg.chunk());
        this.probe = new GroupProbe(this.train, cfg.dtype() == DType.F64 ? this.train : new Objective(be, DType.F64, model, cfg.loss(), train, cfg.chunk()), set);
        if (cfg.naturalEvery() > 0) {
            Dataset nat = naturalRows(train, set);
            this.natural = new Objective(be, cfg.dtype(), model, cfg.loss(), nat, cfg.chunk());
            // §4.3: the distance to the own class centroid, computed once before training on the natural examples
            this.naturalDistance = Centroids.centroidDistances(nat);
        } else {
            this.natural = null;
            this.naturalDistance = null;
        }
        if (cfg.robustness()) {
            if (unmodifiedTrain == null) throw new IllegalArgumentException("--robustness needs the unmodified training set");
            this.robust = new BranchRobustness(model, be, cfg.loss(), unmodifiedTrain, test);
        } else {
            this.robust = null;
        }
    }

    /**
     * The natural examples of §4.3: every training row the taxonomy does not track (the 8m prototype
     * rows are excluded, the flipped and displaced ones and the inliers and boundary points alike), in
     * row order. These rows are copied unmodified by {@code Prototypes.build}.
     */
    public static Dataset naturalRows(Dataset train, PrototypeSet set) {
        boolean[] tracked = new boolean[train.n()];
        for (int r : set.tracked()) tracked[r] = true;
        int[] rows = java.util.stream.IntStream.range(0, train.n()).filter(i -> !tracked[i]).toArray();
        if (rows.length < 3) throw new UserError("--natural-outliers: only " + rows.length + " untracked training rows; a rank correlation needs at least 3");
        return train.subset(rows, train.name() + "+natural");
    }

    /**
     * The network of {@code cfg.model()} for {@code train}, biases on, the same builders as
     * {@code eoslab.train.Trainer.buildModel}: the ReLU MLP of §3.1, or the App. C architecture
     * ablations — the CNN (conv-conv-pool-conv-pool-fc) and the BN-free ResNet-14 — on image data.
     */
    public static Sequential buildModel(BranchConfig cfg, Dataset train) {
        return eoslab.train.Trainer.buildModel(cfg.model(), cfg.hidden(), cfg.act(), true, train);
    }

    public Sequential model() {
        return model;
    }

    public Objective objective() {
        return train;
    }

    /** The optimizer of the configuration at learning rate {@code lr}; its noise is a function of (seed, step). */
    public Optimizer optimizer(double lr, long seed) {
        int n = train.n();
        BatchSchedule noise = new BatchSchedule(seed, n, cfg.batchSize() == 0 ? n : cfg.batchSize());
        return switch (cfg.optimizer()) {
            case "momentum" -> new Momentum(train, lr, cfg.beta(), 0, noise);
            default -> new Sgd(train, lr, 0, noise);
        };
    }

    public SharpnessTracker tracker(long seed) {
        return new SharpnessTracker(cfg.topK(), cfg.lanczosSteps(), cfg.lanczosTol(), seed);
    }

    /** Run both branches of {@code seed} into {@code dir} (baseline.jsonl, fork.safetensors, exit.jsonl); log may be null. */
    public Outcome run(long seed, Path dir, PrintStream log) throws IOException {
        long t0 = System.nanoTime();
        if (log == null) log = new PrintStream(java.io.OutputStream.nullOutputStream());
        Files.createDirectories(dir);
        for (String f : new String[]{BASELINE, EXIT, FORK, NATURAL, ROBUSTNESS}) Files.deleteIfExists(dir.resolve(f));
        List<Map<String, Object>> evals = new ArrayList<>();
        GridHook baseHook = robust == null ? null : (r, w) -> {
            if (r.step() == cfg.steps()) evals.add(robust.evaluate("baseline", "end", r.step(), r.etaT(), w));
        };
        Optimizer base = optimizer(cfg.lr(), seed);
        Tensor x = base.initialState(model.init(seed, cfg.initScale()));
        List<GridRecord> baseline;
        Fork fork = new Fork(dir.resolve(FORK), seed);
        try (JsonlWriter out = JsonlWriter.create(dir.resolve(BASELINE));
             JsonlWriter nat = natural == null ? null : JsonlWriter.create(dir.resolve(NATURAL))) {
            baseline = runBranch("baseline", base, x, 0, tracker(seed), out, fork, nat, baseHook, log);
        }
        Long tStar = fork.step;
        List<GridRecord> exit = new ArrayList<>();
        Long tStarStar = null;
        if (tStar == null) {
            log.printf(Locale.ROOT, "  seed %d: λ_1 never reached 2/η-type threshold %.4g in %d steps: no fork, no exit branch%n", seed, base.threshold(), cfg.steps());
        } else {
            GridHook exitHook = robust == null ? null : new GridHook() {
                boolean crossed;

                @Override
                public void at(GridRecord r, Tensor w) {
                    // t**: the first own exit line at or above 2/(cη) (the same rule as firstAtOrAbove below)
                    if (!crossed && r.lambda1() >= r.threshold()) {
                        crossed = true;
                        evals.add(robust.evaluate("exit", "t**", r.step(), r.etaT(), w));
                    }
                    if (r.step() == cfg.steps()) evals.add(robust.evaluate("exit", "end", r.step(), r.etaT(), w));
                }
            };
            exit = runExit(seed, dir, baseline, exitHook, log);
            tStarStar = firstAtOrAbove(exit.stream().filter(r -> !r.shared()).toList(), optimizer(cfg.exitLr(), seed).threshold());
            log.printf(Locale.ROOT, "  seed %d: t* = %d (η·t = %.3g), t** = %s%n", seed, tStar, cfg.lr() * tStar,
                    tStarStar == null ? "never (within the step budget)" : tStarStar + " (η·t = " + String.format(Locale.ROOT, "%.3g", cfg.lr() * tStarStar) + ")");
        }
        if (robust != null) writeRobustness(seed, dir, tStar, tStarStar, evals);
        return new Outcome(seed, tStar, tStarStar, baseline, exit, (System.nanoTime() - t0) * 1e-9);
    }

    /**
     * Completes and writes robustness.json. The baseline at t** is recomputed from the fork checkpoint
     * (a bit-exact continuation, see the class comment) rather than kept from the baseline run, which
     * did not know t** yet. Without a t** (or without a fork) the "t**" point is the end, recorded as
     * copies of the end evaluations with {@code "t_star_star_missing": true}.
     */
    private void writeRobustness(long seed, Path dir, Long tStar, Long tStarStar, List<Map<String, Object>> evals) throws IOException {
        List<Map<String, Object>> all = new ArrayList<>();
        if (tStarStar != null) {
            Optimizer b = optimizer(cfg.lr(), seed);
            Resumed r = loadFork(dir.resolve(FORK), b, tracker(seed));
            for (long t = r.step(); t < tStarStar; t++) b.step(t, r.state(), null, 0);
            all.add(robust.evaluate("baseline", "t**", tStarStar, cfg.lr() * tStarStar, b.params(r.state())));
            evals.stream().filter(e -> e.get("at").equals("t**")).forEach(all::add);
        } else {
            for (Map<String, Object> e : evals) {
                Map<String, Object> c = new LinkedHashMap<>(e);
                c.put("at", "t**");
                c.put("t_star_star_missing", true);
                all.add(c);
            }
        }
        evals.stream().filter(e -> e.get("at").equals("end")).forEach(all::add);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seed", seed);
        m.put("t_star", tStar);
        m.put("t_star_star", tStarStar);
        m.putAll(robust.header());
        m.put("evaluations", all);
        eoslab.io.AtomicFiles.writeString(dir.resolve(ROBUSTNESS), Json.pretty(m));
    }

    /** Called at every logged grid step of a branch with its record and weights (robustness evaluations). */
    interface GridHook {
        void at(GridRecord r, Tensor w) throws IOException;
    }

    /** The exit branch: resume from {@code dir}/fork.safetensors at cη, write exit.jsonl with the shared prefix. */
    List<GridRecord> runExit(long seed, Path dir, List<GridRecord> baseline, PrintStream log) throws IOException {
        return runExit(seed, dir, baseline, null, log);
    }

    List<GridRecord> runExit(long seed, Path dir, List<GridRecord> baseline, GridHook hook, PrintStream log) throws IOException {
        Optimizer exitOpt = optimizer(cfg.exitLr(), seed);
        SharpnessTracker tr = tracker(seed);
        Resumed r = loadFork(dir.resolve(FORK), exitOpt, tr);
        List<GridRecord> exit = new ArrayList<>();
        try (JsonlWriter out = JsonlWriter.create(dir.resolve(EXIT))) {
            for (GridRecord b : baseline) {
                if (b.step() >= r.step) break;
                GridRecord s = b.asShared("exit");
                out.write(s.toMap());
                exit.add(s);
            }
            exit.addAll(runBranch("exit", exitOpt, r.state, r.step, tr, out, null, null, hook, log));
        }
        return exit;
    }

    /** The optimizer state and step of a fork checkpoint (the tracker's warm start is restored in place). */
    record Resumed(long step, Tensor state) {
    }

    /**
     * Train from {@code start} to cfg.steps(), logging on the grid. With a {@code fork}, the pre-step
     * state of every grid step is kept until the first line above the threshold, and then saved. With
     * {@code nat}, the natural-outlier correlation is written there every cfg.naturalEvery() grid steps.
     */
    List<GridRecord> runBranch(String name, Optimizer opt, Tensor x, long start, SharpnessTracker tr, JsonlWriter out, Fork fork,
                               JsonlWriter nat, GridHook hook, PrintStream log) throws IOException {
        List<GridRecord> recs = new ArrayList<>();
        long steps = cfg.steps();
        long every = Math.max(1, steps / 10 / cfg.logEvery()) * cfg.logEvery();
        for (long t = start; ; t++) {
            if (t % cfg.logEvery() == 0 || t == steps) {
                Snapshot snap = fork != null && fork.step == null ? new Snapshot(copy(x), tr.vectors() == null ? null : copy(tr.vectors()), tr.vectorCount()) : null;
                GridRecord r = measure(name, t, x, opt, tr);
                out.write(r.toMap());
                recs.add(r);
                if (snap != null && r.aboveThreshold()) fork.save(t, snap, opt);
                if (nat != null && (t % ((long) cfg.logEvery() * cfg.naturalEvery()) == 0 || t == steps)) {
                    nat.write(naturalLine(t, opt.params(x), tr.last().vector(0)));
                }
                if (hook != null) hook.at(r, opt.params(x));
                if (log != null && (t % every == 0 || t == steps)) {
                    log.printf(Locale.ROOT, "    %-8s step %6d  η·t %7.3f  loss %.5f  acc %.3f  λ_1 %9.3f (threshold %.4g)%n",
                            name, t, r.etaT(), r.trainLoss(), r.trainAcc(), r.lambda1(), r.threshold());
                }
                if (!Double.isFinite(r.trainLoss())) throw new eoslab.optim.DivergedException(t, r.trainLoss());
            }
            if (t == steps) break;
            opt.step(t, x, null, 0);
        }
        return recs;
    }

    /**
     * Every diagnostic of §2.4 at the state x of step t on branch {@code branch}: train/test loss and
     * accuracy, λ_1 (Lanczos warm-started by {@code tr}) and the {@link GroupProbe} metrics at v_1.
     */
    public GridRecord measure(String branch, long t, Tensor x, Optimizer opt, SharpnessTracker tr) {
        Tensor w = opt.params(x);
        double[] tra = train.lossAndAccuracy(w);
        double[] tea = test == null ? new double[]{Double.NaN, Double.NaN} : test.lossAndAccuracy(w);
        double[] eig = tr.estimate(new HessianOperator(train, w, null), t);
        Tensor v1 = tr.last().vector(0);
        double res = tr.last().residuals()[0] / Math.abs(eig[0]);
        GroupProbe.Result p = probe.measure(w, v1, cfg.fdStep());
        return new GridRecord(t, cfg.lr() * t, branch, false, opt.lr(), opt.threshold(), tra[0], tra[1], tea[0], tea[1],
                eig[0], res, p.fullGradNorm2(), p.alpha(), p.beta(), p.h(),
                p.loss(), p.gradNorm2(), p.proj(), p.cos2(), p.influence(), p.selectorQ(), p.confounderR());
    }

    /**
     * One checkpoint of Fig. 20 at weights w with top eigenvector v1: Spearman ρ between the centroid
     * distance and cos²(∇ℓ_i, v_1) over the natural rows ({@link NaturalOutliers#correlate}), with the
     * median cos² for scale. ρ is NaN when cos² is constant (e.g. all gradients zero).
     */
    Map<String, Object> naturalLine(long t, Tensor w, Tensor v1) {
        NaturalOutliers.Correlation c = NaturalOutliers.correlate(t, natural, w, v1, naturalDistance);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", t);
        m.put("eta_t", cfg.lr() * t);
        m.put("spearman", c.spearman());
        m.put("n", natural.n());
        m.put("median_cos2", eoslab.eos.Stats.median(c.alignment().cos2()));
        return m;
    }

    /**
     * t*: the step of the first record with λ_1 ≥ threshold (App. A.3: "the first logged step at which
     * λ_max crosses 2/η"), or null if none. Records must be in step order.
     */
    public static Long firstAtOrAbove(List<GridRecord> recs, double threshold) {
        long[] steps = new long[recs.size()];
        double[] lam = new double[recs.size()];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = recs.get(i).step();
            lam[i] = recs.get(i).lambda1();
        }
        return firstAtOrAbove(steps, lam, threshold);
    }

    /** t* on a plain sequence: the first steps[i] with lambda[i] ≥ threshold (NaN never counts), or null. */
    public static Long firstAtOrAbove(long[] steps, double[] lambda, double threshold) {
        if (steps.length != lambda.length) throw new IllegalArgumentException(steps.length + " steps but " + lambda.length + " eigenvalues");
        for (int i = 1; i < steps.length; i++) {
            if (steps[i] <= steps[i - 1]) throw new IllegalArgumentException("steps must increase, got " + steps[i - 1] + " then " + steps[i]);
        }
        for (int i = 0; i < steps.length; i++) if (lambda[i] >= threshold) return steps[i];
        return null;
    }

    // ---- the fork checkpoint ---------------------------------------------------------------------

    private record Snapshot(Tensor state, Tensor vectors, int count) {
    }

    private Tensor copy(Tensor t) {
        Tensor c = be.zeros(t.dtype, t.size);
        be.copy(t, c);
        return c;
    }

    /** Saves the pre-step state of the first grid step above the threshold to {@code file}. */
    private final class Fork {
        final Path file;
        final long seed;
        Long step;

        Fork(Path file, long seed) {
            this.file = file;
            this.seed = seed;
        }

        void save(long t, Snapshot s, Optimizer opt) throws IOException {
            SafetensorsWriter wr = new SafetensorsWriter();
            wr.add(STATE, s.state(), s.state().size);
            if (s.vectors() != null) wr.add(EIGVECS, s.vectors(), s.count(), opt.paramDim());
            wr.metadata(META_STEP, Long.toString(t));
            wr.metadata(META_SEED, Long.toString(seed));
            wr.metadata(META_CONFIG, Json.line(cfg.toMap()));
            wr.metadata("format", "pt");
            wr.write(file);
            step = t;
        }
    }

    /** Restore a fork checkpoint for {@code opt} (its state) and {@code tr} (its warm start). */
    Resumed loadFork(Path file, Optimizer opt, SharpnessTracker tr) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            String st = r.metadata().get(META_STEP);
            if (st == null) throw new UserError(file + ": not a branch fork checkpoint (no " + META_STEP + ")");
            DType dt = cfg.dtype();
            Tensor state = dt == DType.F32 ? be.fromFloats(r.floats(STATE, opt.dim())) : be.fromDoubles(dt, r.doubles(STATE, opt.dim()));
            if (r.has(EIGVECS)) {
                long[] sh = r.shape(EIGVECS);
                if (sh.length != 2 || sh[1] != opt.paramDim()) throw new UserError(file + ": eigenvectors of shape " + java.util.Arrays.toString(sh) + " for " + opt.paramDim() + " parameters");
                Tensor v = dt == DType.F32 ? be.fromFloats(r.floats(EIGVECS)) : be.fromDoubles(dt, r.doubles(EIGVECS));
                tr.setVectors(v, (int) sh[0]);
            }
            return new Resumed(Long.parseLong(st), state);
        }
    }
}
