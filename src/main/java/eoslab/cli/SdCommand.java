package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.gpt.GptSweep;
import eoslab.gpt.GptTrainConfig;
import eoslab.gpt.GptTrainer;
import eoslab.sd.CheckpointAnalysis;
import eoslab.sd.SdEstimators;
import eoslab.sd.SdOptions;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import eoslab.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code eoslab sd CHECKPOINT}: the sharpness dimension of a trained state and the bound terms of Tuci et al., Thm 4.5. */
@Command(name = "sd", mixinStandardHelpOptions = true,
        description = {"Sharpness dimension (Tuci et al. 2026) of a checkpoint, and the generalization bound's terms.",
                "Estimators: exact, SLQ, KDE or partial sums; also λ_max, tr H, batch sharpness, √(d/n), train/test gaps",
                "and the computable terms of the generalization bound.",
                "Prints JSON on stdout (and writes it to --out)."})
public final class SdCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Mixin
    SdCliOptions sd;
    @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "checkpoint.safetensors of an eoslab run, or its run directory")
    Path checkpoint;
    @Option(names = {"--method", "--methods"}, defaultValue = "exact", description = "exact, slq, kde or ps, or several comma separated (default: ${DEFAULT-VALUE})")
    String method;
    @Option(names = "--preconditioned-sd", description = "GPT AdamW checkpoints: SD of P^-1/2 H_B P^-1/2, P = diag(sqrt(v_hat) + eps) frozen at the checkpoint (see docs/gpt2.md)")
    boolean preconditionedSd;
    @Option(names = "--out", description = "also write the JSON to this file")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path ckpt = Files.isDirectory(checkpoint) ? checkpoint.resolve(Trainer.CHECKPOINT) : checkpoint;
        if (!Files.isRegularFile(ckpt)) throw new UserError(checkpoint + ": no checkpoint there (expected a run directory of eoslab train, or its " + Trainer.CHECKPOINT + ")");
        var methods = SdCliOptions.methods(method, "--method");
        Backend be = common.open();
        if (GptTrainer.isCheckpoint(ckpt)) return gpt(ckpt, methods, be);
        if (preconditionedSd) throw new UserError("--preconditioned-sd: for GPT runs trained with --optimizer adamw; " + ckpt + " is an MLP checkpoint");
        TrainConfig cfg = Trainer.configOf(ckpt);
        CheckpointAnalysis.Options a = sd.analysis(methods, cfg.seed());
        PrintStream err = System.err;
        Trainer tr = new Trainer(cfg, be, err);
        Trainer.State s = tr.loadCheckpoint(ckpt);
        err.println("eoslab: sd of " + ckpt + " (step " + s.step() + ", " + tr.model.numParams() + " parameters, η = " + cfg.lr() + ")");
        CheckpointAnalysis.Report r = CheckpointAnalysis.analyze(tr, s, a);
        return print(ckpt, r);
    }

    private int print(Path ckpt, CheckpointAnalysis.Report r) throws java.io.IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("checkpoint", ckpt.toString());
        m.putAll(r.map());
        String json = Json.pretty(m);
        System.out.println(json);
        if (out != null) AtomicFiles.writeString(out, json + "\n");
        return 0;
    }

    /**
     * A GPT-2 run's checkpoint: the analysis a GPT sweep writes to each run's sd.json
     * ({@link GptSweep#analyze}): SD from minibatch Hessians of fresh training windows (--batches of
     * them, --sd-batch-size sequences, default the run's B, seeded by --sd-seed) at η_t of the
     * checkpoint's step; λ_max and tr H on the run's fixed sharpness batch; losses over its
     * validation batches.
     */
    private int gpt(Path ckpt, List<SdOptions.Method> methods, Backend be) throws java.io.IOException {
        GptTrainConfig cfg = GptTrainer.configOf(ckpt);
        if (preconditionedSd && !cfg.optimizer().equals("adamw")) {
            throw new UserError("--preconditioned-sd: for --optimizer adamw runs; " + ckpt + " was trained with " + cfg.optimizer());
        }
        CheckpointAnalysis.Options a = sd.analysis(methods, cfg.seed());
        PrintStream err = System.err;
        GptTrainer tr = new GptTrainer(cfg, be, err);
        long d = tr.model.numParams();
        if (methods.contains(SdOptions.Method.EXACT) && d > SdEstimators.EXACT_MAX_DIM) {
            throw new UserError("--method exact assembles dense d×d Hessians and this GPT has d = " + d + " > " + SdEstimators.EXACT_MAX_DIM
                    + " parameters; use kde, ps or slq");
        }
        GptTrainer.State s = tr.loadCheckpoint(ckpt);
        if (preconditionedSd && s.step() < 1) throw new UserError("--preconditioned-sd: AdamW's preconditioner is undefined at step 0 (v = 0)");
        err.println("eoslab: sd of GPT checkpoint " + ckpt + " (step " + s.step() + ", " + d + " parameters, η_t = " + tr.opt.lr(s.step()) + ")");
        return print(ckpt, GptSweep.analyze(tr, s, a, preconditionedSd));
    }
}
