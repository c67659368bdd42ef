package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.gpt.GptTrainConfig;
import eoslab.gpt.GptTrainer;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.KaplanYorke;
import eoslab.dynamics.LyapunovConfig;
import eoslab.dynamics.LyapunovSpectrum;
import eoslab.dynamics.LyapunovTracker;
import eoslab.dynamics.PullbackAttractor;
import eoslab.dynamics.RandomMap;
import eoslab.dynamics.qr.QrMethod;
import eoslab.dynamics.systems.Henon;
import eoslab.dynamics.systems.Lorenz;
import eoslab.dynamics.systems.Quadratic;
import eoslab.dynamics.systems.QuadraticGd;
import eoslab.dynamics.systems.QuadraticMomentum;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.io.Plots;
import eoslab.io.SafetensorsWriter;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import eoslab.util.Parallel;
import eoslab.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/**
 * {@code eoslab lyapunov}: the k leading Lyapunov exponents of a random map by the Benettin/QR method
 * (SPEC §4), or its pullback attractor with {@code --pullback N}. The map is either a validation
 * system ({@code --system henon|lorenz|quadratic}, whose exponents are known) or an optimizer built
 * from a training configuration (the options of {@code eoslab train}), optionally started from a
 * trained state ({@code --from CHECKPOINT}).
 *
 * <p>Files (all written atomically): OUT/lyapunov.json (the JSON also printed on stdout),
 * OUT/running.csv (running estimates λ_i(t)), OUT/lyapunov.png; in pullback mode OUT/pullback.json,
 * OUT/pullback.png and OUT/cloud.safetensors (the final cloud, (N, dim)).
 *
 * <p>Two options of the training mixin are shared with the systems: {@code --steps} is the number
 * of measured tracker steps (or the largest horizon is used for the pullback), {@code --seed} seeds
 * Q_0 (and the initial conditions of systems); {@code --momentum β}, when given with
 * {@code --system quadratic}, selects heavy-ball momentum on the quadratic.
 */
@Command(name = "lyapunov", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Lyapunov spectrum (Benettin/QR) or pullback attractor of an optimizer or a validation system.",
                "Writes OUT/lyapunov.json, OUT/running.csv, OUT/lyapunov.png; with --pullback OUT/pullback.json, OUT/pullback.png, OUT/cloud.safetensors."})
public final class LyapunovCommand implements Callable<Integer> {
    public static final String JSON = "lyapunov.json", CSV = "running.csv", PNG = "lyapunov.png",
            PULLBACK_JSON = "pullback.json", PULLBACK_PNG = "pullback.png", CLOUD = "cloud.safetensors";

    /** Literature values at the classic parameters (SPEC §4). */
    static final double[] HENON_REF = {0.41922, -1.62319}, LORENZ_REF = {0.906, 0, -14.572};

    @Spec
    CommandSpec spec;
    @Mixin
    CommonOptions common;
    @Mixin
    TrainOptions train;

    // ---- the map -----------------------------------------------------------------------------
    @Option(names = "--system", description = "a validation system instead of a training run: henon, lorenz or quadratic")
    String system;
    @Option(names = "--henon-a", defaultValue = "1.4", description = "Hénon a (default: ${DEFAULT-VALUE})")
    double henonA;
    @Option(names = "--henon-b", defaultValue = "0.3", description = "Hénon b (default: ${DEFAULT-VALUE})")
    double henonB;
    @Option(names = "--sigma", defaultValue = "10", description = "Lorenz σ (default: ${DEFAULT-VALUE})")
    double sigma;
    @Option(names = "--rho", defaultValue = "28", description = "Lorenz ρ (default: ${DEFAULT-VALUE})")
    double rho;
    @Option(names = "--beta", defaultValue = "2.6666666666666665", description = "Lorenz β (default: 8/3)")
    double beta;
    @Option(names = "--dt", defaultValue = "0.01", description = "Lorenz RK4 step; exponents are per unit time (default: ${DEFAULT-VALUE})")
    double dt;
    @Option(names = "--eta", defaultValue = "0.1", description = "quadratic: step size η of GD (or momentum) (default: ${DEFAULT-VALUE})")
    double eta;
    @Option(names = "--spectrum", defaultValue = "1,3,8,15", description = "quadratic: Hessian eigenvalues α_i, comma separated (default: ${DEFAULT-VALUE})")
    String spectrum;
    @Option(names = "--diagonal", description = "quadratic: A = diag(α) instead of rotated by a Haar-random orthogonal U (seeded by --seed)")
    boolean diagonal;
    @Option(names = "--from", paramLabel = "CHECKPOINT", description = "start from this trained state (checkpoint or run directory) with its saved configuration")
    Path from;

    // ---- the tracker -------------------------------------------------------------------------
    @Option(names = "--k", description = "exponents tracked (default: the state dimension of a system, 8 for training)")
    Integer k;
    @Option(names = "--burn-in", description = "steps before measuring, so Q aligns with the Oseledets directions (default: 1000 for a system, 100 for training)")
    Long burnIn;
    @Option(names = "--qr-interval", defaultValue = "1", description = "steps between orthonormalizations (default: ${DEFAULT-VALUE})")
    int qrInterval;
    @Option(names = "--segments", defaultValue = "10", description = "batch-means segments for the standard errors (default: ${DEFAULT-VALUE})")
    int segments;
    @Option(names = "--qr", defaultValue = "cholqr2", description = "householder or cholqr2 (default: ${DEFAULT-VALUE})")
    String qr;
    @Option(names = "--record-every", description = "steps between rows of running.csv (default: about 1000 rows)")
    Long recordEvery;

    // ---- pullback ----------------------------------------------------------------------------
    @Option(names = "--pullback", paramLabel = "N", description = "pullback attractor of N initial conditions under one noise realization instead of the spectrum")
    Integer pullback;
    @Option(names = "--horizons", defaultValue = "10,100,1000", description = "pullback: horizons T, increasing (default: ${DEFAULT-VALUE})")
    String horizons;
    @Option(names = "--spread", defaultValue = "0.01", description = "pullback: Gaussian perturbation of the start (absolute for a system, relative to ‖x‖/√dim with --from) (default: ${DEFAULT-VALUE})")
    double spread;

    @Option(names = "--out", defaultValue = "runs/lyapunov", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--force", description = "overwrite an earlier result in --out")
    boolean force;

    private static final Set<String> SHARED = Set.of("--steps", "--seed");
    private static final List<String> SYSTEM_OPTS = List.of("--henon-a", "--henon-b", "--sigma", "--rho", "--beta", "--dt",
            "--eta", "--spectrum", "--diagonal");
    private static final List<String> TRACKER_OPTS = List.of("--k", "--burn-in", "--qr-interval", "--segments", "--qr", "--record-every");
    private static final List<String> PULLBACK_OPTS = List.of("--horizons", "--spread");

    /**
     * The map, where it starts, and what is known about its exponents. For a training map (an MLP's
     * {@link Trainer} or a GPT-2 {@link GptTrainer}) {@code freshInit} gives independent initial states
     * (seed + i) for the pullback ensemble; it is null for the validation systems.
     */
    record Setup(RandomMap map, Tensor x0, long t0, double dt, Map<String, Object> description, double[] reference,
                 Double referenceSum, String referenceSource, IntFunction<Tensor> freshInit) {
        boolean training() {
            return freshInit != null;
        }
    }

    @Override
    public Integer call() throws Exception {
        checkOptionCombinations();
        if (system != null && !common.device.equals("cpu")) {
            throw new UserError("--device " + common.device + ": the validation systems run on the CPU in float64; drop --device");
        }
        Backend be = common.open();                              // applies --threads and logs the device
        Setup s = system != null ? systemSetup() : trainingSetup(be);
        OutDirs.claim(out, force, false, Set.of(JSON, CSV, PNG, PULLBACK_JSON, PULLBACK_PNG, CLOUD), "Lyapunov result", "");
        if (pullback != null) return runPullback(s);
        return runSpectrum(s, System.out);
    }

    // ---- option checks -----------------------------------------------------------------------

    private boolean given(String name) {
        ParseResult pr = spec.commandLine().getParseResult();
        return pr != null && pr.hasMatchedOption(name);
    }

    private void checkOptionCombinations() {
        List<String> trainingGiven = new ArrayList<>();
        for (OptionSpec o : spec.mixins().get("train").options()) {
            if (!SHARED.contains(o.longestName()) && given(o.longestName())) trainingGiven.add(o.longestName());
        }
        if (system != null) {
            system = system.toLowerCase(Locale.ROOT);
            if (!List.of("henon", "lorenz", "quadratic").contains(system)) {
                throw new UserError("--system " + system + ": unknown system; use henon, lorenz or quadratic");
            }
            if (system.equals("quadratic")) trainingGiven.remove("--momentum");
            if (!trainingGiven.isEmpty()) throw new UserError(trainingGiven.getFirst() + ": a training option, not used with --system " + system);
            if (from != null) throw new UserError("--from: a training checkpoint, not used with --system " + system);
            for (String o : SYSTEM_OPTS) {
                if (given(o) && !systemOwns(system, o)) throw new UserError(o + ": not a parameter of --system " + system);
            }
        } else {
            for (String o : SYSTEM_OPTS) {
                if (given(o)) throw new UserError(o + ": a parameter of --system, not used for a training run");
            }
            if (from != null && !trainingGiven.isEmpty()) {
                throw new UserError(trainingGiven.getFirst() + ": --from uses the checkpoint's saved configuration; only --steps and --seed may be given");
            }
        }
        if (pullback != null) {
            if (pullback < 2) throw new UserError("--pullback must be >= 2 initial conditions, got " + pullback);
            for (String o : TRACKER_OPTS) if (given(o)) throw new UserError(o + ": a tracker option, not used with --pullback");
            if (given("--steps")) throw new UserError("--steps: not used with --pullback; the horizons set the steps (--horizons)");
            if (!(spread >= 0) || !Double.isFinite(spread)) throw new UserError("--spread must be a finite number >= 0, got " + spread);
        } else {
            for (String o : PULLBACK_OPTS) if (given(o)) throw new UserError(o + ": a pullback option; give --pullback N too");
        }
    }

    private static boolean systemOwns(String system, String option) {
        return switch (system) {
            case "henon" -> option.startsWith("--henon");
            case "lorenz" -> List.of("--sigma", "--rho", "--beta", "--dt").contains(option);
            default -> List.of("--eta", "--spectrum", "--diagonal").contains(option);
        };
    }

    // ---- the maps ----------------------------------------------------------------------------

    private Setup systemSetup() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("system", system);
        switch (system) {
            case "henon" -> {
                d.put("a", henonA);
                d.put("b", henonB);
                boolean classic = henonA == 1.4 && henonB == 0.3;
                // λ_1 + λ_2 = ln|det J| = ln b exactly, at every point
                return new Setup(new Henon(henonA, henonB), Henon.initialState(), 0, 1, d, classic ? HENON_REF : null,
                        Math.log(Math.abs(henonB)), classic ? "Sprott 2003 (a=1.4, b=0.3); sum = ln|b| exactly" : "sum = ln|b| exactly", null);
            }
            case "lorenz" -> {
                if (!(dt > 0) || !Double.isFinite(dt)) throw new UserError("--dt must be a positive number, got " + dt);
                d.put("sigma", sigma);
                d.put("rho", rho);
                d.put("beta", beta);
                d.put("dt", dt);
                boolean classic = sigma == 10 && rho == 28 && Math.abs(beta - 8.0 / 3.0) < 1e-15;
                // Σλ = ⟨tr DF⟩ = −(σ + 1 + β) for the flow (RK4 adds O(dt⁴))
                return new Setup(new Lorenz(sigma, rho, beta, dt), Lorenz.initialState(), 0, dt, d, classic ? LORENZ_REF : null,
                        -(sigma + 1 + beta), classic ? "Sprott 2003 (σ=10, ρ=28, β=8/3); sum = −(σ+1+β)" : "sum = −(σ+1+β)", null);
            }
            default -> {
                double[] alpha = doubles(spectrum, "--spectrum");
                if (alpha.length == 0) throw new UserError("--spectrum: give at least one eigenvalue, e.g. 1,3,8,15");
                if (!(eta > 0) || !Double.isFinite(eta)) throw new UserError("--eta must be a positive number, got " + eta);
                long seed = train.seed;
                Quadratic q = diagonal ? Quadratic.diagonal(alpha) : Quadratic.rotated(seed, alpha);
                boolean momentum = given("--momentum");
                double b = train.momentum;
                if (momentum && !(b >= 0 && b < 1)) throw new UserError("--momentum must be in [0, 1), got " + b);
                d.put("eta", eta);
                d.put("spectrum", box(alpha));
                d.put("rotated", !diagonal);
                if (momentum) d.put("momentum", b);
                RandomMap map = momentum ? new QuadraticMomentum(q, eta, b) : new QuadraticGd(q, eta);
                double[] x0 = gaussian(new SplittableRandom(seed ^ 0x5717_a7e0L), (int) map.dim(), 1.0);
                double[] ref = momentum ? momentumExponents(alpha, eta, b) : gdExponents(alpha, eta);
                double sum = 0;
                for (double v : ref) sum += v;
                return new Setup(map, CpuBackend.INSTANCE.fromDoubles(DType.F64, x0), 0, 1, d, ref, sum,
                        momentum ? "exact: ln|μ| over the eigenvalues μ of [[1−ηα, −ηβ], [α, β]]" : "exact: ln|1 − ηα_i|", null);
            }
        }
    }

    /** GD on a quadratic: J = I − ηA, so λ = ln|1 − ηα_i| exactly (SPEC §4), sorted descending. */
    static double[] gdExponents(double[] alpha, double eta) {
        double[] l = new double[alpha.length];
        for (int i = 0; i < l.length; i++) l[i] = Math.log(Math.abs(1 - eta * alpha[i]));
        return descending(l);
    }

    /**
     * Heavy-ball on a quadratic: in A's eigenbasis J splits into 2×2 blocks [[1 − ηα, −ηβ], [α, β]]
     * with trace τ = 1 − ηα + β and determinant β; their eigenvalues μ solve μ² − τμ + β = 0. A
     * complex pair has |μ| = √β.
     */
    static double[] momentumExponents(double[] alpha, double eta, double beta) {
        double[] l = new double[2 * alpha.length];
        for (int i = 0; i < alpha.length; i++) {
            double tau = 1 - eta * alpha[i] + beta, disc = tau * tau - 4 * beta;
            if (disc < 0) {
                l[2 * i] = l[2 * i + 1] = 0.5 * Math.log(beta);
            } else {
                double r = Math.sqrt(disc);
                l[2 * i] = Math.log(Math.abs((tau + r) / 2));
                l[2 * i + 1] = Math.log(Math.abs((tau - r) / 2));
            }
        }
        return descending(l);
    }

    private Setup trainingSetup(Backend be) {
        TrainConfig cfg;
        Path ckpt = null;
        if (from != null) {
            ckpt = Files.isDirectory(from) ? from.resolve(Trainer.CHECKPOINT) : from;
            if (!Files.isRegularFile(ckpt)) throw new UserError("--from " + from + ": no checkpoint there (expected a run directory of eoslab train, or its " + Trainer.CHECKPOINT + ")");
            if (GptTrainer.isCheckpoint(ckpt)) return gptSetup(be, GptTrainer.configOf(ckpt), ckpt);
            cfg = Trainer.configOf(ckpt);
        } else if (train.isGpt()) {
            return gptSetup(be, train.gptConfig(common.device), null);
        } else {
            cfg = train.config(common.device);
        }
        Trainer tr = new Trainer(cfg, be, System.err);
        Trainer.State st = ckpt != null ? tr.loadCheckpoint(ckpt) : tr.initial();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("optimizer", tr.opt.name());
        d.put("parameters", tr.model.numParams());
        d.put("state_dim", tr.opt.dim());
        d.put("model", tr.model.describe());
        d.put("data_source", tr.split.source());
        d.put("backend", be.name());
        d.put("gemm_precision", be.gemmPrecision().label);
        if (ckpt != null) {
            d.put("from", ckpt.toString());
            d.put("from_step", st.step());
        }
        d.put("config", cfg.toMap());
        return new Setup(tr.opt, st.x(), st.step(), 1, d, null, null, null,
                i -> tr.opt.initialState(tr.model.init(tr.cfg.seed() + i, tr.cfg.initScale())));
    }

    /**
     * A GPT-2 run's optimizer map (AdamW with its exact (w, m, v) JVP, heavy ball on (w, m), or SGD on w;
     * noise = the run's text windows) from a checkpoint, or from initialisation.
     */
    private Setup gptSetup(Backend be, GptTrainConfig cfg, Path ckpt) {
        GptTrainer tr = new GptTrainer(cfg, be, System.err);
        GptTrainer.State st = ckpt != null ? tr.loadCheckpoint(ckpt) : tr.initial();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("optimizer", tr.opt.name());
        d.put("parameters", tr.model.numParams());
        d.put("state_dim", tr.opt.dim());
        d.put("model", tr.model.describe());
        d.put("data_source", tr.data.name());
        d.put("backend", be.name());
        if (tr.opt instanceof eoslab.optim.AdamW) d.put("tangent_map", "exact Jacobian of the AdamW (w, m, v) update (preconditioner not frozen)");
        if (ckpt != null) {
            d.put("from", ckpt.toString());
            d.put("from_step", st.step());
        }
        d.put("config", cfg.toMap());
        return new Setup(tr.opt, st.x(), st.step(), 1, d, null, null, null,
                i -> tr.opt.initialState(tr.model.init(tr.cfg.seed() + i, tr.cfg.initScale())));
    }

    // ---- spectrum ----------------------------------------------------------------------------

    int runSpectrum(Setup s, PrintStream stdout) throws Exception {
        long dim = s.map().dim();
        int kk = k != null ? k : (int) Math.min(dim, s.training() ? 8 : dim);
        if (kk < 1) throw new UserError("--k must be >= 1, got " + kk);
        if (kk > dim) throw new UserError("--k " + kk + ": more exponents than the state dimension " + dim);
        if (qrInterval < 1) throw new UserError("--qr-interval must be >= 1, got " + qrInterval);
        long steps = train.steps != null ? train.steps : s.training() ? 1000 : 10000;
        if (steps < 1 || steps % qrInterval != 0) throw new UserError("--steps " + steps + ": must be a positive multiple of --qr-interval " + qrInterval);
        long burn = burnIn != null ? burnIn : roundUp(s.training() ? 100 : 1000, qrInterval);
        if (burn < 0 || burn % qrInterval != 0) throw new UserError("--burn-in " + burn + ": must be a non-negative multiple of --qr-interval " + qrInterval);
        if (segments < 2 || segments > steps / qrInterval) {
            throw new UserError("--segments " + segments + ": must be in [2, steps/qr-interval = " + steps / qrInterval + "] for batch-means error bars");
        }
        long rec = recordEvery != null ? recordEvery : qrInterval * Math.max(1, steps / qrInterval / 1000);
        if (rec < 1 || rec % qrInterval != 0) throw new UserError("--record-every " + rec + ": must be a positive multiple of --qr-interval " + qrInterval);
        QrMethod method;
        try {
            method = QrMethod.parse(qr);
        } catch (IllegalArgumentException e) {
            throw new UserError("--qr: " + e.getMessage());
        }
        LyapunovConfig cfg = new LyapunovConfig(kk, steps, burn, qrInterval, segments, train.seed, s.dt(), s.t0(), rec, method, Double.NaN);
        LyapunovTracker tracker = new LyapunovTracker(s.map(), cfg);

        System.err.printf(Locale.ROOT, "eoslab: lyapunov k=%d over %d steps after %d burn-in (QR %s every %d) on a map of dimension %d%n",
                kk, steps, burn, method.label(), qrInterval, dim);
        long tick = Math.max(qrInterval, steps / 10 / qrInterval * qrInterval);
        long t0 = System.nanoTime();
        LyapunovSpectrum res;
        try {
            res = tracker.run(s.x0(), snap -> {
                if (snap.step() % tick == 0) {
                    System.err.printf(Locale.ROOT, "eoslab: step %d/%d  λ_1 = %.6g  (%.1f s)%n", snap.step(), steps, snap.exponents()[0],
                            (System.nanoTime() - t0) * 1e-9);
                }
            });
        } catch (IllegalStateException e) {
            // tangents overflowed between QRs: the user's --qr-interval is too long for this map
            throw new UserError(e.getMessage().replace("qrInterval", "--qr-interval"));
        }
        double seconds = (System.nanoTime() - t0) * 1e-9;

        Map<String, Object> json = spectrumJson(s, res, seconds);
        String text = Json.pretty(json);
        AtomicFiles.writeString(out.resolve(JSON), text);
        AtomicFiles.writeString(out.resolve(CSV), runningCsv(res));
        plotRunning(out.resolve(PNG), s, res);
        stdout.println(text);
        return 0;
    }

    Map<String, Object> spectrumJson(Setup s, LyapunovSpectrum r, double seconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", s.training() ? "training" : "system");
        m.put("map", s.description());
        m.put("dim", s.map().dim());
        m.put("k", r.k());
        m.put("exponents", box(r.exponents()));
        double[] e = r.exponents();
        for (int i = 1; i < e.length; i++) {
            if (e[i] > e[i - 1]) {
                // the QR columns give λ_1 ≥ λ_2 ≥ … only as T → ∞; D_KY sorts, the partial sums follow the columns
                m.put("order_note", "exponent " + (i + 1) + " exceeds exponent " + i + ": finite-time estimates of nearly equal exponents "
                        + "can come out of order (compare their std_errors); the Kaplan–Yorke dimension uses them sorted");
                break;
            }
        }
        m.put("std_errors", box(r.stdErrors()));
        m.put("partial_sums", box(r.partialSums()));
        m.put("partial_std_errors", box(r.partialStdErrors()));
        m.put("sum", r.sum());
        KaplanYorke ky = r.kaplanYorke();
        Map<String, Object> kym = new LinkedHashMap<>();
        kym.put("dimension", ky.dimension());
        kym.put("std_error", r.kyStdError());
        kym.put("j", ky.j());
        kym.put("k_too_small", ky.kTooSmall() && r.k() < s.map().dim());
        m.put("kaplan_yorke", kym);
        m.put("note", note(r, s.map().dim()));
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("method", r.config().qr().label());
        q.put("count", r.qrCount());
        q.put("second_passes", r.secondPasses());
        q.put("fallbacks", r.fallbacks());
        q.put("max_ortho_error", r.maxOrthoError());
        m.put("qr", q);
        if (s.reference() != null || s.referenceSum() != null) {
            Map<String, Object> ref = new LinkedHashMap<>();
            if (s.reference() != null) ref.put("exponents", box(Arrays.copyOf(s.reference(), Math.min(r.k(), s.reference().length))));
            if (s.referenceSum() != null && r.k() == s.map().dim()) ref.put("sum", s.referenceSum());
            ref.put("source", s.referenceSource());
            m.put("reference", ref);
        }
        m.put("seconds", seconds);
        LyapunovConfig c = r.config();
        Map<String, Object> set = new LinkedHashMap<>();
        set.put("k", c.k());
        set.put("steps", c.steps());
        set.put("burn_in", c.burnIn());
        set.put("qr_interval", c.qrInterval());
        set.put("segments", c.segments());
        set.put("seed", c.seed());
        set.put("dt", c.dt());
        set.put("t0", c.t0());
        set.put("record_every", c.recordEvery());
        set.put("qr", c.qr().label());
        set.put("threads", Parallel.threads());
        m.put("settings", set);
        return m;
    }

    /** The k-too-small flag in words (SPEC §4: say so when Σ_{i≤k} λ_i ≥ 0). */
    static String note(LyapunovSpectrum r, long dim) {
        KaplanYorke ky = r.kaplanYorke();
        String sum = String.format(Locale.ROOT, "%.6g", r.sum());
        if (!ky.kTooSmall()) {
            return "the sum of the " + r.k() + " tracked exponents is " + sum + " < 0: k-volumes contract, so D_KY = "
                    + String.format(Locale.ROOT, "%.6g", ky.dimension()) + " is determined by the tracked exponents";
        }
        if (r.k() == dim) {
            return "the sum of all " + r.k() + " exponents is " + sum + " >= 0: the map expands volume, so D_KY = " + r.k() + " (the full dimension)";
        }
        return "k is too small: the sum of the " + r.k() + " tracked exponents is " + sum + " >= 0, so no tracked volume contracts and D_KY = "
                + r.k() + " is only a lower bound; rerun with a larger --k";
    }

    static String runningCsv(LyapunovSpectrum r) {
        StringBuilder sb = new StringBuilder("step,time");
        for (int i = 1; i <= r.k(); i++) sb.append(",lambda_").append(i);
        sb.append('\n');
        for (LyapunovSpectrum.Snapshot s : r.history()) {
            sb.append(s.step()).append(',').append(s.time());
            for (double v : s.exponents()) sb.append(',').append(v);
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void plotRunning(Path png, Setup s, LyapunovSpectrum r) throws java.io.IOException {
        List<LyapunovSpectrum.Snapshot> h = r.history();
        double[] x = new double[h.size()];
        for (int t = 0; t < x.length; t++) x[t] = h.get(t).step();
        List<Plots.Series> series = new ArrayList<>();
        boolean refs = s.reference() != null && r.k() <= 10;     // the known values, dashed in their exponent's color
        for (int i = 0; i < r.k(); i++) {
            double[] y = new double[h.size()];
            for (int t = 0; t < y.length; t++) y[t] = h.get(t).exponents()[i];
            series.add(new Plots.Series("λ_" + (i + 1), x, y).withColor(i));
            if (refs && i < s.reference().length && x.length > 0) {
                double ref = s.reference()[i];
                series.add(new Plots.Series(String.format(Locale.ROOT, "λ_%d known %.4g", i + 1, ref), new double[] {x[0], x[x.length - 1]},
                        new double[] {ref, ref}).withColor(i).asDashed().withoutMarkers());
            }
        }
        // a legend below holds about four entries; more go to the right, and past a dozen none is readable
        Plots.Options opt = series.size() <= 4 ? Plots.Options.DEFAULT
                : series.size() <= 12 ? Plots.Options.DEFAULT.withLegend(Plots.Legend.RIGHT).withSize(1100, 560)
                : Plots.Options.DEFAULT.withLegend(Plots.Legend.NONE);
        Plots.linePlot(png, "Running Lyapunov exponents (" + (s.training() ? "training" : s.description().get("system"))
                        + (series.size() > 12 ? ", k = " + r.k() + ", λ_1 on top" : "") + ")",
                "measured step", "λ_i(t)" + (s.dt() != 1 ? " per unit time" : " per step"), series, opt);
    }

    // ---- pullback ----------------------------------------------------------------------------

    int runPullback(Setup s) throws Exception {
        long[] hs = longs(horizons, "--horizons");
        if (hs.length == 0) throw new UserError("--horizons: give at least one horizon T, e.g. 10,100,1000");
        for (int i = 0; i < hs.length; i++) {
            if (hs[i] < 0 || (i > 0 && hs[i] <= hs[i - 1])) throw new UserError("--horizons " + horizons + ": must be >= 0 and strictly increasing");
        }
        RandomMap map = s.map();
        List<Tensor> initial = initialConditions(s, pullback);
        long tEnd = s.t0() + hs[hs.length - 1];   // every horizon ends on the same noise index, and starts at t ≥ t0
        System.err.printf(Locale.ROOT, "eoslab: pullback of %d initial conditions, horizons %s, time 0 = noise index %d%n",
                pullback, Arrays.toString(hs), tEnd);
        long t0 = System.nanoTime();
        PullbackAttractor.Result res = PullbackAttractor.run(map, initial, tEnd, hs);
        double seconds = (System.nanoTime() - t0) * 1e-9;

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "pullback");
        m.put("map", s.description());
        m.put("dim", map.dim());
        m.put("n", pullback);
        m.put("t_end", tEnd);
        m.put("spread", spread);
        m.put("seed", train.seed);
        m.put("initial_conditions", !s.training() ? "start state + spread·N(0, I)"
                : from != null ? "checkpoint state + spread·(‖x‖/√dim)·N(0, I)" : "independent initializations, seeds seed..seed+N−1");
        List<Map<String, Object>> pts = new ArrayList<>();
        for (PullbackAttractor.Point p : res.points()) {
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("horizon", p.horizon());
            q.put("diameter", p.diameter());
            q.put("spread", p.spread());
            q.put("drift", p.drift());
            pts.add(q);
        }
        m.put("points", pts);
        m.put("cloud", CLOUD);
        m.put("seconds", seconds);
        String text = Json.pretty(m);

        int n = res.finalCloud().size();
        int d = Math.toIntExact(map.dim());
        SafetensorsWriter w = new SafetensorsWriter();
        if (map.dtype() == DType.F32) {
            float[] all = new float[n * d];
            for (int i = 0; i < n; i++) System.arraycopy(res.finalCloud().get(i).toFloats(), 0, all, i * d, d);
            w.add("cloud", all, n, d);
        } else {
            double[] all = new double[n * d];
            for (int i = 0; i < n; i++) System.arraycopy(res.finalCloud().get(i).toDoubles(), 0, all, i * d, d);
            w.add("cloud", all, n, d);
        }
        w.metadata("eoslab.horizon", Long.toString(hs[hs.length - 1]));
        w.metadata("eoslab.t_end", Long.toString(tEnd));
        w.metadata("eoslab.map", Json.line(s.description()));
        w.metadata("format", "pt");
        w.write(out.resolve(CLOUD));
        AtomicFiles.writeString(out.resolve(PULLBACK_JSON), text);

        double[] x = new double[hs.length], diam = new double[hs.length], spr = new double[hs.length];
        for (int i = 0; i < hs.length; i++) {
            x[i] = hs[i];
            diam[i] = res.points().get(i).diameter();
            spr[i] = res.points().get(i).spread();
        }
        Plots.linePlot(out.resolve(PULLBACK_PNG), "Pullback ensemble of " + n + " initial conditions", "horizon T", "distance",
                List.of(new Plots.Series("diameter", x, diam), new Plots.Series("mean distance to centroid", x, spr)),
                Plots.Options.DEFAULT.withLogX(hs[0] > 0).withLogY(true));
        System.out.println(text);
        return 0;
    }

    private List<Tensor> initialConditions(Setup s, int n) {
        RandomMap map = s.map();
        Backend be = map.backend();
        int d = Math.toIntExact(map.dim());
        SplittableRandom rng = new SplittableRandom(train.seed ^ 0x9b11_bac4L);
        List<Tensor> list = new ArrayList<>(n);
        if (s.training() && from == null) {
            // one noise ω (the batch schedule of --seed), N independent initializations
            for (int i = 0; i < n; i++) list.add(s.freshInit().apply(i));
            return list;
        }
        double[] base = s.x0().toDoubles();
        double scale = spread;
        if (s.training()) { // relative to the typical coordinate of the trained state
            double nrm = 0;
            for (double v : base) nrm += v * v;
            scale = spread * Math.sqrt(nrm / d);
        }
        for (int i = 0; i < n; i++) {
            double[] g = gaussian(rng, d, scale);
            for (int j = 0; j < d; j++) g[j] += base[j];
            list.add(be.fromDoubles(map.dtype(), g));
        }
        return list;
    }

    // ---- small helpers -----------------------------------------------------------------------

    private static long roundUp(long v, long m) {
        return (v + m - 1) / m * m;
    }

    private static double[] gaussian(SplittableRandom rng, int n, double scale) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) g[i] = scale * rng.nextGaussian();
        return g;
    }

    private static double[] descending(double[] l) {
        double[] s = l.clone();
        Arrays.sort(s);
        for (int a = 0, b = s.length - 1; a < b; a++, b--) {
            double t = s[a];
            s[a] = s[b];
            s[b] = t;
        }
        return s;
    }

    private static List<Double> box(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double v : a) l.add(v);
        return l;
    }

    static double[] doubles(String s, String option) {
        if (s == null || s.isBlank()) return new double[0];
        try {
            return Arrays.stream(s.split(",")).map(String::strip).mapToDouble(Double::parseDouble).toArray();
        } catch (NumberFormatException e) {
            throw new UserError(option + " '" + s + "': expected comma-separated numbers, e.g. 1,3,8,15");
        }
    }

    static long[] longs(String s, String option) {
        if (s == null || s.isBlank()) return new long[0];
        try {
            return Arrays.stream(s.split(",")).map(String::strip).mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw new UserError(option + " '" + s + "': expected comma-separated integers, e.g. 10,100,1000");
        }
    }
}
