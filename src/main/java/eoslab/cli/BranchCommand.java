package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.eos.PrototypeOptions;
import eoslab.eos.branch.BranchConfig;
import eoslab.eos.branch.BranchExperiment;
import eoslab.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code eoslab branch}: the edge-of-stability branching experiment of Kwag et al. (2026), §3 and
 * App. A.3 (SPEC §5). A preset fills every option; any option given on the command line overrides it.
 */
@Command(name = "branch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"EoS branching experiment (Kwag et al. 2026): a baseline at η and an exit branch at cη, over seeds.",
                "Trains a baseline at η on a prototype-modified binary task,",
                "forks at t* (first logged λ_1 ≥ threshold) into an exit branch at cη, tracks per-group losses, cos²θ_k,",
                "curvature influence (∇ℓ_k·v_1)² and the selector Q_k on both branches, over several seeds.",
                "Writes OUT/config.json, OUT/seed_S/{prototypes.json, baseline.jsonl, exit.jsonl, fork.safetensors},",
                "OUT/summary.md, OUT/summary.json and OUT/fig*.png.",
                "--model cnn|resnet14 runs the App. C architecture ablations on image data; --natural-outliers adds",
                "OUT/seed_S/natural.jsonl and fig_natural_spearman.png (§4.3); --robustness adds OUT/seed_S/robustness.json,",
                "fig9_pgd.png, fig10_ood.png and a robustness block in summary.md (§5.2).",
                "Presets: cpu (committed Fashion-MNIST subset, MLP 2x128, η=0.4, 480 steps, grid 16, 3 seeds: minutes on 2 cores);",
                "paper (n=10,000, MLP 2x512, η=0.01, 10,000 steps, grid 32, 5 seeds; for a GPU; cifar10:DIR uses automobile vs truck)."})
public final class BranchCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Option(names = "--preset", defaultValue = "cpu", description = "cpu or paper (default: ${DEFAULT-VALUE})")
    String preset;
    @Option(names = "--out", defaultValue = "runs/branch", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--force", description = "overwrite an existing experiment in --out")
    boolean force;
    @Option(names = "--replot", description = "only rebuild summary and figures from the files already in --out")
    boolean replot;

    @Option(names = "--data", description = "fashion-mnist (committed subset), fashion-mnist:full, fashion-mnist:DIR, cifar10:DIR, gaussian[:...]")
    String data;
    @Option(names = "--classes", description = "the class pair, e.g. 2,4 (default: 2,4; 1,9 = automobile vs truck for cifar10)")
    String classes;
    @Option(names = "--n", description = "training examples, 0 = all")
    Integer n;
    @Option(names = "--n-test", description = "test examples, 0 = all")
    Integer nTest;
    @Option(names = "--data-seed", description = "seed of the data selection and the prototype split, shared by all run seeds (default 0)")
    Long dataSeed;
    @Option(names = "--model", description = "mlp (default), cnn or resnet14 (BN-free); cnn and resnet14 need image data (App. C ablations)")
    String model;
    @Option(names = "--hidden", description = "mlp: hidden widths, e.g. 512,512; cnn: conv1,conv2,conv3,fc (default 64,64,128,512); resnet14: 3 stage widths (default 16,32,64)")
    String hidden;
    @Option(names = "--init-scale", description = "multiplies PyTorch's default init (paper: 0.2)")
    Double initScale;
    @Option(names = "--loss", description = "mse or ce")
    String loss;
    @Option(names = "--optimizer", description = "gd, sgd or momentum")
    String optimizer;
    @Option(names = "--lr", description = "baseline learning rate η")
    Double lr;
    @Option(names = "--momentum", description = "β for --optimizer momentum (default 0.9)")
    Double momentum;
    @Option(names = "--batch-size", description = "minibatch size for --optimizer sgd (paper: 128)")
    Integer batchSize;
    @Option(names = "--steps", description = "steps of each branch")
    Long steps;
    @Option(names = "--log-every", description = "diagnostics grid spacing in steps")
    Integer logEvery;
    @Option(names = "--c", description = "exit branch learning rate factor: cη (paper: 0.5)")
    Double c;
    @Option(names = "--seeds", description = "initialisation seeds, e.g. 0,1,2")
    String seeds;
    @Option(names = "--m", description = "tracked points per class per group (paper: 25)")
    Integer m;
    @Option(names = "--k", description = "k-NN neighbours of the boundary group (paper: 50)")
    Integer k;
    @Option(names = "--alpha", description = "input-outlier displacement α (paper: 3; 10 in the class-pair ablation)")
    Double alpha;
    @Option(names = "--random-direction", description = "App. D control: input-outliers moved the same distance along random directions ⟂ v_diff")
    boolean randomDirection;
    @Option(names = "--top-k", description = "Hessian eigenpairs tracked (default 1)")
    Integer topK;
    @Option(names = "--lanczos-steps", description = "Lanczos basis size per restart (default 30)")
    Integer lanczosSteps;
    @Option(names = "--lanczos-tol", description = "relative Lanczos residual (default 1e-4)")
    Double lanczosTol;
    @Option(names = "--dtype", description = "f32 or f64 (default f32)")
    String dtype;
    @Option(names = "--chunk", description = "rows per chunk of full-data passes")
    Integer chunk;
    @Option(names = "--fd-step", description = "relative step of the ∇S finite difference, taken in float64 for any --dtype, h = s·max(‖w‖,1) (default 1e-7: small enough that it flips almost no ReLU)")
    Double fdStep;

    @Option(names = "--natural-outliers", description = "§4.3 natural outliers: Spearman ρ(centroid distance, cos²(∇ℓ_i, v_1)) over the unmodified "
            + "training rows on the baseline's grid → seed_S/natural.jsonl, fig_natural_spearman.png (off by default; costs about one full gradient per checkpoint on an MLP, n backward passes otherwise)")
    boolean naturalOutliers;
    @Option(names = "--natural-every", description = "with --natural-outliers: every this many grid steps (default 1)")
    Integer naturalEvery;

    @Option(names = "--robustness", description = "§5.2: PGD accuracy (L∞ ε=0.03, 10 steps) on 50 boundary test points and OOD loss over α_test "
            + "on 50 test inliers, both branches at t** and at the end → seed_S/robustness.json, fig9_pgd.png, fig10_ood.png (off by default)")
    boolean robustness;

    @Override
    public Integer call() throws Exception {
        if (replot) {
            BranchExperiment.report(BranchExperiment.load(out), out, System.out);
            return 0;
        }
        BranchConfig cfg = config();
        Backend be = common.open();
        if (Files.exists(out.resolve(BranchExperiment.CONFIG)) && !force) {
            throw new UserError("--out " + out + ": already holds a branching experiment; use --force to overwrite, --replot to redraw it, or another --out");
        }
        System.out.println("eoslab branch: config " + eoslab.io.Json.line(cfg.toMap()));
        BranchExperiment.run(cfg, be, out, System.out);
        return 0;
    }

    /** The preset with every given option applied, validated. */
    BranchConfig config() {
        BranchConfig p = switch (preset.toLowerCase(Locale.ROOT)) {
            case "cpu" -> BranchConfig.cpuPreset();
            case "paper" -> BranchConfig.paperPreset();
            default -> throw new UserError("--preset must be cpu or paper, got '" + preset + "'");
        };
        String d = data != null ? data : p.data();
        int[] cls;
        if (classes != null) cls = TrainOptions.ints(classes, "--classes");
        else if (d.toLowerCase(Locale.ROOT).startsWith("cifar")) cls = new int[]{1, 9};          // automobile vs truck (§2.3)
        else if (d.toLowerCase(Locale.ROOT).startsWith("gaussian")) cls = new int[0];           // synthetic: classes come from the spec
        else cls = new int[]{2, 4};                                                              // Fashion-MNIST pullover vs coat
        String opt = optimizer != null ? optimizer : p.optimizer();
        int bs = batchSize != null ? batchSize : opt.equals("sgd") ? 128 : 0;
        long ds = dataSeed != null ? dataSeed : p.dataSeed();
        PrototypeOptions po = p.prototypes();
        if (m != null) po = po.withM(m);
        if (k != null) po = po.withK(k);
        if (alpha != null) po = po.withAlpha(alpha);
        if (randomDirection) po = po.withRandomDirection(true);
        po = po.withSeed(ds);
        String mdl = model != null ? model.toLowerCase(Locale.ROOT) : p.model();
        // the presets' widths are the MLP's; another architecture without --hidden takes its own paper default
        int[] hid = hidden != null ? TrainOptions.ints(hidden, "--hidden") : mdl.equals(p.model()) ? p.hidden() : new int[0];
        boolean custom = Arrays.stream(new Object[]{data, classes, n, nTest, dataSeed, model, hidden, initScale, loss, optimizer, lr, momentum, batchSize, steps,
                logEvery, c, seeds, m, k, alpha, topK, lanczosSteps, lanczosTol, dtype, chunk, fdStep}).anyMatch(o -> o != null) || randomDirection;
        return new BranchConfig(custom ? p.preset() + "+overrides" : p.preset(), d, cls, n != null ? n : p.n(), nTest != null ? nTest : p.nTest(), ds, mdl, hid, initScale != null ? initScale : p.initScale(),
                loss != null ? loss : p.lossName(), opt, lr != null ? lr : p.lr(), momentum != null ? momentum : p.beta(), bs,
                steps != null ? steps : p.steps(), logEvery != null ? logEvery : p.logEvery(), c != null ? c : p.c(),
                seeds != null ? longs(seeds) : p.seeds(), po, topK != null ? topK : p.topK(),
                lanczosSteps != null ? lanczosSteps : p.lanczosSteps(), lanczosTol != null ? lanczosTol : p.lanczosTol(),
                dtype != null ? dtype : p.dtypeName(), chunk != null ? chunk : p.chunk(), fdStep != null ? fdStep : p.fdRelStep(),
                natural(), robustness);
    }

    /** Grid steps between natural-outlier checkpoints, 0 when off. */
    private int natural() {
        if (naturalEvery != null && !naturalOutliers) throw new UserError("--natural-every needs --natural-outliers");
        if (!naturalOutliers) return 0;
        int e = naturalEvery != null ? naturalEvery : 1;
        if (e < 1) throw new UserError("--natural-every must be >= 1, got " + e);
        return e;
    }

    private static long[] longs(String s) {
        try {
            return Arrays.stream(s.split(",")).map(String::strip).filter(x -> !x.isEmpty()).mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw new UserError("--seeds '" + s + "': expected comma-separated integers, e.g. 0,1,2");
        }
    }
}
