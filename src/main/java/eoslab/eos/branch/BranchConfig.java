package eoslab.eos.branch;

import eoslab.backend.Act;
import eoslab.eos.PrototypeOptions;
import eoslab.nn.Loss;
import eoslab.tensor.DType;
import eoslab.util.UserError;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that defines a branching experiment (Kwag et al. 2026, §3.1 and App. A), validated on
 * construction and saved as {@code OUT/config.json}.
 *
 * @param preset        name of the preset the values came from ("cpu", "paper" or "custom"), for the record
 * @param data          data set spec ({@code eoslab.data.Datasets}): the committed {@code fashion-mnist} subset,
 *                      {@code fashion-mnist:full}, {@code cifar10:DIR}, {@code gaussian:...}
 * @param classes       the class pair (file labels, relabelled 0/1), or empty for the data set's own two classes
 * @param n             training examples (0 = all)
 * @param nTest         test examples (0 = all)
 * @param dataSeed      seed of the data selection and of the prototype split; the same for every run seed
 *                      (App. A.2 varies the initialisation only: "the fixed prototype subset")
 * @param model         mlp, cnn or resnet14 ({@link BranchRun#buildModel}); cnn and resnet14 are the paper's
 *                      architecture ablations and need image data (a (C, H, W) {@code Dataset.shape()})
 * @param hidden        mlp: hidden widths of the ReLU MLP (paper: 512, 512); cnn: conv1,conv2,conv3,fc or
 *                      empty for 64,64,128,512; resnet14: the three stage widths or empty for 16,32,64
 * @param initScale     multiplies PyTorch's default initialisation (paper: 0.2)
 * @param lossName      mse (½‖f − y‖², one-hot y) or ce
 * @param optimizer     gd (full batch), sgd (minibatches of {@code batchSize}) or momentum (heavy ball, β = {@code beta})
 * @param lr            baseline learning rate η (paper: 0.01)
 * @param beta          momentum coefficient for {@code optimizer = momentum} (App. C.2: 0.9)
 * @param batchSize     minibatch size for sgd (0 for gd / full-batch momentum)
 * @param steps         optimizer steps of each branch (paper: 10,000)
 * @param logEvery      diagnostics grid: every this many steps (paper: 32)
 * @param c             the exit branch's learning rate is cη (paper: 0.5)
 * @param seeds         initialisation seeds (paper: 5)
 * @param prototypes    the taxonomy (m, k, α, random direction); its seed is {@code dataSeed}
 * @param topK          Hessian eigenpairs tracked (λ_1 and v_1 are the first)
 * @param lanczosSteps  Lanczos basis size per restart
 * @param lanczosTol    relative residual at which a Lanczos solve stops
 * @param dtypeName     f32 or f64
 * @param chunk         rows per chunk of full-data passes
 * @param fdRelStep     relative finite-difference step of ∇S (h = fdRelStep · max(‖w‖, 1)); null = the dtype's default
 * @param naturalEvery  natural outliers (§4.3, Fig. 20): every this many grid steps of the baseline, Spearman ρ
 *                      of centroid distance vs cos²(∇ℓ_i, v_1) over the unmodified (untracked) training rows,
 *                      to {@code seed_S/natural.jsonl}; 0 = off
 * @param robustness    §5.2 (Figs. 9–10): PGD accuracy on the boundary test points and OOD loss over α_test on the
 *                      test inliers, for both branches at t** (the end when t** is null) and at the end, to
 *                      {@code seed_S/robustness.json}
 */
public record BranchConfig(String preset, String data, int[] classes, int n, int nTest, long dataSeed,
                           String model, int[] hidden, double initScale, String lossName, String optimizer, double lr, double beta,
                           int batchSize, long steps, int logEvery, double c, long[] seeds, PrototypeOptions prototypes,
                           int topK, int lanczosSteps, double lanczosTol, String dtypeName, int chunk, Double fdRelStep,
                           int naturalEvery, boolean robustness) {

    public BranchConfig {
        classes = classes == null ? new int[0] : classes.clone();
        hidden = hidden == null ? new int[0] : hidden.clone();
        seeds = seeds == null ? new long[0] : seeds.clone();
        require(data != null && !data.isBlank(), "--data must name a data set");
        require(classes.length == 0 || classes.length == 2, "--classes must be a pair, e.g. 2,4 (the experiment is binary), got " + Arrays.toString(classes));
        require(n >= 0, "--n must be >= 0 (0 = all), got " + n);
        require(nTest >= 0, "--n-test must be >= 0 (0 = all), got " + nTest);
        require(model != null && MODELS.contains(model), "--model must be one of " + String.join(", ", MODELS) + ", got '" + model + "'");
        switch (model) {
            case "mlp" -> require(hidden.length >= 1, "--hidden needs at least one hidden width");
            case "cnn" -> require(hidden.length == 0 || hidden.length == 4,
                    "--model cnn takes --hidden with 4 widths conv1,conv2,conv3,fc (or none for the paper's 64,64,128,512), got " + Arrays.toString(hidden));
            default -> require(hidden.length == 0 || hidden.length == 3,
                    "--model resnet14 takes --hidden with 3 stage widths (or none for the paper's 16,32,64), got " + Arrays.toString(hidden));
        }
        for (int h : hidden) require(h >= 1, "--hidden widths must be >= 1, got " + Arrays.toString(hidden));
        require(initScale > 0 && Double.isFinite(initScale), "--init-scale must be a positive number, got " + initScale);
        try {
            Loss.parse(lossName);
            DType.parse(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        require(optimizer.equals("gd") || optimizer.equals("sgd") || optimizer.equals("momentum"),
                "--optimizer must be gd, sgd or momentum, got '" + optimizer + "'");
        require(lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
        require(beta >= 0 && beta < 1, "--momentum must be in [0, 1), got " + beta);
        require(batchSize >= 0, "--batch-size must be >= 0, got " + batchSize);
        require(!optimizer.equals("sgd") || batchSize > 0, "--optimizer sgd needs --batch-size > 0 (paper: 128)");
        require(!optimizer.equals("gd") || batchSize == 0, "--optimizer gd is full batch: leave --batch-size unset, or use --optimizer sgd");
        require(steps >= 1, "--steps must be >= 1, got " + steps);
        require(logEvery >= 1 && logEvery <= steps, "--log-every must be in [1, steps], got " + logEvery);
        require(c > 0 && Double.isFinite(c), "--c must be a positive number (paper: 0.5), got " + c);
        require(seeds.length >= 1, "--seeds needs at least one seed");
        for (int i = 0; i < seeds.length; i++) for (int j = 0; j < i; j++) require(seeds[i] != seeds[j], "--seeds: seed " + seeds[i] + " is listed twice");
        require(prototypes != null, "prototype options are missing");
        require(topK >= 1 && topK <= 16, "--top-k must be in [1, 16], got " + topK);
        require(lanczosSteps >= 2 * topK + 2, "--lanczos-steps must be >= 2·top-k + 2, got " + lanczosSteps);
        require(lanczosTol > 0 && lanczosTol < 1, "--lanczos-tol must be in (0, 1), got " + lanczosTol);
        require(chunk >= 1, "--chunk must be >= 1, got " + chunk);
        require(fdRelStep == null || (fdRelStep > 0 && fdRelStep < 1), "--fd-step must be in (0, 1), got " + fdRelStep);
        require(naturalEvery >= 0, "--natural-every must be >= 1 (grid steps between natural-outlier checkpoints), got " + naturalEvery);
    }

    /** The architectures of §3 and the App. C ablations (the same names as {@code eoslab train --model}). */
    public static final java.util.List<String> MODELS = java.util.List.of("mlp", "cnn", "resnet14");

    /** The MLP experiment (the signature before --model existed). */
    public BranchConfig(String preset, String data, int[] classes, int n, int nTest, long dataSeed,
                        int[] hidden, double initScale, String lossName, String optimizer, double lr, double beta,
                        int batchSize, long steps, int logEvery, double c, long[] seeds, PrototypeOptions prototypes,
                        int topK, int lanczosSteps, double lanczosTol, String dtypeName, int chunk, Double fdRelStep) {
        this(preset, data, classes, n, nTest, dataSeed, "mlp", hidden, initScale, lossName, optimizer, lr, beta, batchSize, steps, logEvery,
                c, seeds, prototypes, topK, lanczosSteps, lanczosTol, dtypeName, chunk, fdRelStep, 0, false);
    }

    /** This configuration with another architecture and widths (empty widths = the architecture's paper default). */
    public BranchConfig withModel(String newModel, int[] newHidden) {
        return new BranchConfig(preset, data, classes, n, nTest, dataSeed, newModel, newHidden, initScale, lossName, optimizer, lr, beta, batchSize,
                steps, logEvery, c, seeds, prototypes, topK, lanczosSteps, lanczosTol, dtypeName, chunk, fdRelStep, naturalEvery, robustness);
    }

    /** This configuration with the natural-outlier analysis every {@code every} grid steps (0 = off). */
    public BranchConfig withNaturalEvery(int every) {
        return new BranchConfig(preset, data, classes, n, nTest, dataSeed, model, hidden, initScale, lossName, optimizer, lr, beta, batchSize,
                steps, logEvery, c, seeds, prototypes, topK, lanczosSteps, lanczosTol, dtypeName, chunk, fdRelStep, every, robustness);
    }

    /** This configuration with or without the §5.2 robustness evaluation. */
    public BranchConfig withRobustness(boolean on) {
        return new BranchConfig(preset, data, classes, n, nTest, dataSeed, model, hidden, initScale, lossName, optimizer, lr, beta, batchSize,
                steps, logEvery, c, seeds, prototypes, topK, lanczosSteps, lanczosTol, dtypeName, chunk, fdRelStep, naturalEvery, on);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new UserError(message);
    }

    public Loss loss() { return Loss.parse(lossName); }

    public DType dtype() { return DType.parse(dtypeName); }

    public Act act() { return Act.RELU; }

    /** h/‖w‖ of the (float64) ∇S finite difference: the option, or {@link GroupProbe#DEFAULT_RELATIVE_STEP}. */
    public double fdStep() {
        return fdRelStep != null ? fdRelStep : GroupProbe.DEFAULT_RELATIVE_STEP;
    }

    /** The learning rate of the exit branch, cη. */
    public double exitLr() {
        return c * lr;
    }

    /**
     * The CPU preset: the committed Fashion-MNIST subset (2000 train, pullover vs coat), MLP
     * 784-128-128-2 ReLU, init 0.2, MSE, full-batch GD, 3 seeds. η = 0.4 instead of the paper's 0.01:
     * with init 0.2 the net first sits on the plateau f ≈ ½ for η·t ≈ 30, and only a large step gets
     * through it and sharpens to 2/η = 5 within a few hundred steps (t* = 112–160 for seeds 0–2). At
     * η = 0.3 two of three seeds hovered just below 2/η on the grid (a catapult between grid points)
     * and never forked. 480 steps leave ~330 steps after the fork; λ_1 every 16 steps. About 6 minutes
     * on two busy cores.
     */
    public static BranchConfig cpuPreset() {
        return new BranchConfig("cpu", "fashion-mnist", new int[]{2, 4}, 0, 0, 0, new int[]{128, 128}, 0.2, "mse", "gd",
                0.4, 0.9, 0, 480, 16, 0.5, new long[]{0, 1, 2}, PrototypeOptions.defaults(0), 1, 30, 1e-4, "f32", 4096, null);
    }

    /**
     * The paper's setting (§3.1, App. A): n = 10,000, MLP 2×512 ReLU, init 0.2, MSE, full-batch GD,
     * η = 0.01, 10,000 steps, λ_1 every 32 steps, 5 seeds, c = 0.5; CIFAR-10 automobile (1) vs truck (9)
     * when given {@code cifar10:DIR}, otherwise Fashion-MNIST pullover (2) vs coat (4) from the Debian
     * package ({@code fashion-mnist:full}). Meant for a GPU.
     */
    public static BranchConfig paperPreset() {
        return new BranchConfig("paper", "fashion-mnist:full", new int[]{2, 4}, 10_000, 2000, 0, new int[]{512, 512}, 0.2, "mse", "gd",
                0.01, 0.9, 0, 10_000, 32, 0.5, new long[]{0, 1, 2, 3, 4}, PrototypeOptions.defaults(0), 1, 30, 1e-4, "f32", 4096, null);
    }

    /** Ordered map for config.json. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preset", preset);
        m.put("data", data);
        m.put("classes", Arrays.stream(classes).boxed().toList());
        m.put("n", n);
        m.put("n_test", nTest);
        m.put("data_seed", dataSeed);
        m.put("model", model);
        m.put("hidden", Arrays.stream(hidden).boxed().toList());
        m.put("activation", "relu");
        m.put("init_scale", initScale);
        m.put("loss", lossName);
        m.put("optimizer", optimizer);
        m.put("lr", lr);
        m.put("exit_lr", exitLr());
        m.put("c", c);
        m.put("momentum", beta);
        m.put("batch_size", batchSize);
        m.put("steps", steps);
        m.put("log_every", logEvery);
        m.put("seeds", Arrays.stream(seeds).boxed().toList());
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("m", prototypes.m());
        p.put("k", prototypes.k());
        p.put("alpha", prototypes.alpha());
        p.put("random_direction", prototypes.randomDirection());
        p.put("seed", prototypes.seed());
        m.put("prototypes", p);
        m.put("top_k", topK);
        m.put("lanczos_steps", lanczosSteps);
        m.put("lanczos_tol", lanczosTol);
        m.put("dtype", dtypeName);
        m.put("chunk", chunk);
        m.put("fd_rel_step", fdStep());
        if (naturalEvery > 0) m.put("natural_outliers_every", naturalEvery); // absent when off: config.json as before
        if (robustness) m.put("robustness", true);
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BranchConfig b && toMap().equals(b.toMap());
    }

    @Override
    public int hashCode() {
        return toMap().hashCode();
    }

    @Override
    public String toString() {
        return "BranchConfig" + toMap();
    }
}
