package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.gpt.GptSweep;
import eoslab.gpt.GptTrainConfig;
import eoslab.sd.CheckpointAnalysis;
import eoslab.sd.Sweep;
import eoslab.train.TrainConfig;
import eoslab.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code eoslab sweep}: the (η, b) grid study of Tuci et al. — SD, curvature summaries and their rank
 * correlation with the gap; on GPT-2 ({@code --model gpt2|gpt-tiny}) with the optimizer given and an
 * optional weight-decay axis ({@link GptSweep}).
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Generalization study (Tuci et al. 2026): SD and other measures against the gap over an (η, batch size) grid.",
                "Trains one run per (learning rate, batch size), then reports SD (by each --methods estimator), λ_max, tr H,",
                "batch sharpness, √(d/n) and the bound terms of each final checkpoint, and their Kendall τ and granulated ψ_LR, ψ_BS, Ψ",
                "against the generalization gap. The grid sets --lr and --batch-size. MLP/CNN models: the optimizer is always sgd.",
                "GPT models (--model gpt2|gpt-tiny): --optimizer adamw (default), sgd or momentum, and --weight-decays adds a third axis",
                "(the paper's AdamW grid: η × b × weight decay); losses and accuracies are per token, 'test' is the validation stream.",
                "Writes OUT/lr_X_bs_Y[_wd_Z]/, OUT/report.csv, OUT/report.md, OUT/report.json, OUT/*_vs_gap.png."})
public final class SweepCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;
    @Mixin
    TrainOptions train;
    @Mixin
    SdCliOptions sd;
    @Option(names = "--lrs", required = true, description = "learning rates, comma separated, e.g. 0.05,0.1,0.2")
    String lrs;
    @Option(names = "--batch-sizes", required = true, description = "batch sizes, comma separated, e.g. 16,32,64")
    String batchSizes;
    @Option(names = "--weight-decays", description = "GPT models: weight decays λ, comma separated, e.g. 0,0.01,0.1 (default: --weight-decay)")
    String weightDecays;
    @Option(names = "--preconditioned-sd", description = "GPT AdamW sweeps: SD from the preconditioned minibatch Hessian P^-1/2 H_B P^-1/2 (P = diag(√v̂ + ε) frozen at the final state) instead of H_B")
    boolean preconditionedSd;
    @Option(names = {"--methods", "--method"}, description = "SD estimators, comma separated: exact, slq, kde, ps (default: exact; kde,ps for GPT models)")
    String methods;
    @Option(names = "--out", defaultValue = "runs/sweep", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--force", description = "overwrite a finished sweep in --out")
    boolean force;

    @Override
    public Integer call() throws Exception {
        double[] lr = doubles(lrs, "--lrs");
        int[] bs = TrainOptions.ints(batchSizes, "--batch-sizes");
        if (bs.length == 0) throw new UserError("--batch-sizes: give at least one batch size");
        train.checkFamily(spec.commandLine().getParseResult());
        if (train.isGpt()) return gpt(lr, bs);
        if (weightDecays != null) throw new UserError("--weight-decays: a GPT sweep option (--model gpt2|gpt-tiny); MLP sweeps use --weight-decay");
        if (preconditionedSd) throw new UserError("--preconditioned-sd: a GPT AdamW sweep option (--model gpt2|gpt-tiny --optimizer adamw)");
        var ms = SdCliOptions.methods(methods != null ? methods : "exact", "--methods");
        // the base configuration is validated as sgd at the first grid point; the sweep sets η, b and the optimizer
        train.optimizer = "sgd";
        train.lr = lr[0];
        train.batchSize = bs[0];
        // the analysis measures batch sharpness at each final checkpoint; logging it along every run too is asked for, not default
        if (train.batchSharpness == null) train.batchSharpness = 0;
        TrainConfig base = train.config(common.device);
        CheckpointAnalysis.Options a = sd.analysis(ms, base.seed());
        if (Files.exists(out.resolve(Sweep.CSV)) && !force) {
            throw new UserError("--out " + out + ": already holds a sweep (report.csv); use --force to overwrite or another --out");
        }
        Backend be = common.open();
        Sweep.Result r = Sweep.run(base, lr, bs, a, out, be, System.err);
        System.out.println(Files.readString(out.resolve(Sweep.MD)));
        long diverged = r.runs().stream().filter(x -> !x.ok()).count();
        System.err.println("eoslab: sweep of " + r.runs().size() + " runs (" + diverged + " diverged) in " + out);
        return 0;
    }

    private Integer gpt(double[] lr, int[] bs) throws Exception {
        double[] wds = weightDecays == null ? new double[]{train.weightDecay} : nonNegative(weightDecays, "--weight-decays");
        var ms = SdCliOptions.methods(methods != null ? methods : "kde,ps", "--methods");
        // validated at the first grid point; the sweep sets η, b and λ per run
        train.lr = lr[0];
        train.batchSize = bs[0];
        train.weightDecay = wds[0];
        GptTrainConfig base = train.gptConfig(common.device);
        CheckpointAnalysis.Options a = sd.analysis(ms, base.seed());
        if (Files.exists(out.resolve(Sweep.CSV)) && !force) {
            throw new UserError("--out " + out + ": already holds a sweep (report.csv); use --force to overwrite or another --out");
        }
        Backend be = common.open();
        Sweep.Result r = GptSweep.run(base, lr, bs, wds, a, preconditionedSd, out, be, System.err);
        System.out.println(Files.readString(out.resolve(Sweep.MD)));
        long diverged = r.runs().stream().filter(x -> !x.ok()).count();
        System.err.println("eoslab: GPT sweep of " + r.runs().size() + " runs (" + diverged + " diverged) in " + out);
        return 0;
    }

    static double[] nonNegative(String s, String option) {
        try {
            double[] v = Arrays.stream(s.split(",")).map(String::strip).mapToDouble(Double::parseDouble).toArray();
            for (double x : v) if (!(x >= 0) || Double.isInfinite(x)) throw new UserError(option + " '" + s + "': values must be numbers >= 0");
            if (v.length == 0) throw new UserError(option + ": give at least one value");
            return v;
        } catch (NumberFormatException e) {
            throw new UserError(option + " '" + s + "': expected comma-separated numbers, e.g. 0,0.01,0.1");
        }
    }

    static double[] doubles(String s, String option) {
        if (s == null || s.isBlank()) throw new UserError(option + ": give at least one value");
        try {
            double[] v = Arrays.stream(s.split(",")).map(String::strip).mapToDouble(Double::parseDouble).toArray();
            for (double x : v) if (!(x > 0) || Double.isInfinite(x)) throw new UserError(option + " '" + s + "': values must be positive numbers");
            return v;
        } catch (NumberFormatException e) {
            throw new UserError(option + " '" + s + "': expected comma-separated numbers, e.g. 0.05,0.1");
        }
    }
}
