package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.sd.CheckpointAnalysis;
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
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code eoslab sd CHECKPOINT}: the sharpness dimension of a trained state and the bound terms of Tuci et al., Thm 4.5. */
@Command(name = "sd", mixinStandardHelpOptions = true,
        description = {"Sharpness dimension (Tuci et al. 2026) of a checkpoint by the exact, SLQ, KDE or partial-sum estimator,",
                "with λ_max, tr H, √(d/n), train/test gaps and the computable terms of the generalization bound.",
                "Prints JSON on stdout (and writes it to --out)."})
public final class SdCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Mixin
    SdCliOptions sd;
    @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "checkpoint.safetensors of an eoslab run, or its run directory")
    Path checkpoint;
    @Option(names = "--method", defaultValue = "exact", description = "exact, slq, kde or ps, or several comma separated (default: ${DEFAULT-VALUE})")
    String method;
    @Option(names = "--out", description = "also write the JSON to this file")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path ckpt = Files.isDirectory(checkpoint) ? checkpoint.resolve(Trainer.CHECKPOINT) : checkpoint;
        if (!Files.isRegularFile(ckpt)) throw new UserError(checkpoint + ": no checkpoint there (expected " + ckpt + ")");
        var methods = SdCliOptions.methods(method, "--method");
        Backend be = common.open();
        TrainConfig cfg = Trainer.configOf(ckpt);
        CheckpointAnalysis.Options a = sd.analysis(methods, cfg.seed());
        PrintStream err = System.err;
        Trainer tr = new Trainer(cfg, be, err);
        Trainer.State s = tr.loadCheckpoint(ckpt);
        err.println("eoslab: sd of " + ckpt + " (step " + s.step() + ", " + tr.model.numParams() + " parameters, η = " + cfg.lr() + ")");
        CheckpointAnalysis.Report r = CheckpointAnalysis.analyze(tr, s, a);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("checkpoint", ckpt.toString());
        m.putAll(r.map());
        String json = Json.pretty(m);
        System.out.println(json);
        if (out != null) AtomicFiles.writeString(out, json + "\n");
        return 0;
    }
}
