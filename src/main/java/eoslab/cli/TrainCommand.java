package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.gpt.GptRunReport;
import eoslab.gpt.GptTrainConfig;
import eoslab.gpt.GptTrainer;
import eoslab.io.JsonlWriter;
import eoslab.train.RunReport;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import eoslab.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code eoslab train}: one training run with curvature logging, checkpoints and plots. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train an MLP, CNN or ResNet while tracking the top Hessian eigenvalues, or GPT-2 on text (--model gpt2|gpt-tiny).",
                "Writes OUT/config.json, OUT/metrics.jsonl, OUT/checkpoint.safetensors, OUT/summary.json, OUT/loss.png, OUT/sharpness.png;",
                "GPT runs also OUT/timing.jsonl (tokens/s), and sharpness.png only with --sharpness-every."})
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;
    @Mixin
    TrainOptions opts;
    @Option(names = "--out", defaultValue = "runs/train", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--force", description = "overwrite a finished or stopped run in --out")
    boolean force;
    @Option(names = "--resume", paramLabel = "CHECKPOINT", description = "continue the run saved in this checkpoint (or run directory) with its saved configuration; only --steps may change")
    Path resume;
    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        Backend be = common.open();
        if (resume != null) return resume(be);
        if (!opts.isGpt() && !TrainConfig.MODELS.contains(opts.model)) {
            throw new UserError("--model must be one of " + String.join(", ", TrainConfig.MODELS) + " (images) or "
                    + String.join(", ", GptTrainConfig.MODELS) + " (text), got '" + opts.model + "'");
        }
        opts.checkFamily(spec.commandLine().getParseResult());
        if (opts.isGpt()) {
            GptTrainConfig cfg = opts.gptConfig(common.device);
            GptTrainer tr = new GptTrainer(cfg, be, System.err);    // tokenizes and validates before any file is written
            prepareFresh(out, force, false);
            GptRunReport.run(tr, tr.initial(), out, System.out);
            return 0;
        }
        TrainConfig cfg = opts.config(common.device);
        Trainer tr = new Trainer(cfg, be, System.err);          // validates data and model before any file is written
        prepareFresh(out, force, false);
        RunReport.run(tr, tr.initial(), out, !noProgress, System.out);
        return 0;
    }

    /** What --resume may be combined with: the length of the run and how this process runs it, nothing the run is made of. */
    static final java.util.Set<String> RESUME_OPTIONS = java.util.Set.of("--resume", "--steps", "--no-progress", "--device", "--threads",
            "--precision", "--debug");

    private Integer resume(Backend be) throws Exception {
        picocli.CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        if (pr != null) {
            for (picocli.CommandLine.Model.OptionSpec o : pr.matchedOptions()) {
                if (!RESUME_OPTIONS.contains(o.longestName())) {
                    throw new UserError(o.longestName() + " with --resume: a resumed run keeps its saved configuration and directory (only --steps may change); "
                            + "to start a variant, train a new run with --out");
                }
            }
        }
        if (!Files.exists(resume)) throw new UserError("--resume " + resume + ": no such file or directory (give a run directory or its checkpoint.safetensors)");
        Path ckpt = Files.isDirectory(resume) ? resume.resolve(Trainer.CHECKPOINT) : resume;
        if (!Files.isRegularFile(ckpt)) throw new UserError("--resume " + resume + ": no " + Trainer.CHECKPOINT + " there (expected a run directory written by eoslab train)");
        if (GptTrainer.isCheckpoint(ckpt)) return resumeGpt(be, ckpt);
        TrainConfig saved = Trainer.configOf(ckpt);
        TrainConfig cfg = opts.steps != null ? saved.withSteps(opts.steps) : saved;
        Trainer tr = new Trainer(cfg, be, System.err);
        Trainer.State s = tr.loadCheckpoint(ckpt);
        if (s.step() > cfg.steps()) throw new UserError("--resume: the checkpoint is at step " + s.step() + ", past --steps " + cfg.steps());
        Path dir = ckpt.toAbsolutePath().getParent();
        JsonlWriter.truncateAfterStep(dir.resolve(Trainer.METRICS), s.step() - 1);
        System.err.println("eoslab: resuming at step " + s.step() + " of " + cfg.steps() + " in " + dir);
        RunReport.run(tr, s, dir, !noProgress, System.out);
        return 0;
    }

    private Integer resumeGpt(Backend be, Path ckpt) throws Exception {
        GptTrainConfig saved = GptTrainer.configOf(ckpt);
        GptTrainConfig cfg = opts.steps != null ? saved.withSteps(opts.steps) : saved;
        GptTrainer tr = new GptTrainer(cfg, be, System.err);
        GptTrainer.State s = tr.loadCheckpoint(ckpt);
        if (s.step() > cfg.steps()) throw new UserError("--resume: the checkpoint is at step " + s.step() + ", past --steps " + cfg.steps());
        Path dir = ckpt.toAbsolutePath().getParent();
        JsonlWriter.truncateAfterStep(dir.resolve(GptTrainer.METRICS), s.step() - 1);
        JsonlWriter.truncateAfterStep(dir.resolve(GptTrainer.TIMING), s.step() - 1);
        System.err.println("eoslab: resuming GPT run at step " + s.step() + " of " + cfg.steps() + " in " + dir);
        GptRunReport.run(tr, s, dir, System.out);
        return 0;
    }

    /** What a run writes in its directory (train, demo; GPT runs also timing.jsonl). */
    static final java.util.Set<String> RUN_FILES = java.util.Set.of(Trainer.METRICS, Trainer.CHECKPOINT, Trainer.CONFIG, RunReport.SUMMARY,
            RunReport.LOSS_PNG, RunReport.SHARPNESS_PNG, GptTrainer.TIMING);

    /**
     * A fresh run may not silently replace an older run, or mix its files with another command's
     * ({@link OutDirs#claim}); with {@code replaceOwn} (the demo's own default directory) an older run
     * there is replaced. The older run's files are removed first, so none of them outlives it.
     */
    static void prepareFresh(Path out, boolean force, boolean replaceOwn) throws java.io.IOException {
        OutDirs.claim(out, force, replaceOwn, RUN_FILES, "run", "--resume " + out + " to continue it, ");
        for (String f : RUN_FILES) Files.deleteIfExists(out.resolve(f));
    }
}
