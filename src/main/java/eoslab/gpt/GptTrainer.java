package eoslab.gpt;

import eoslab.curvature.BatchSharpness;

import eoslab.backend.Backend;
import eoslab.curvature.LinearOperator;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.io.JsonlWriter;
import eoslab.io.SafetensorsReader;
import eoslab.io.SafetensorsWriter;
import eoslab.nn.ParamSpec;
import eoslab.optim.AdamW;
import eoslab.optim.DivergedException;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A GPT-2 training run ({@link GptTrainConfig}): the tokenized corpus, the model, the optimizer on
 * the {@link GptObjective} of the training stream, and the loop that steps it, logs metrics on a
 * fixed grid of steps and checkpoints. The GPT counterpart of {@link eoslab.train.Trainer}, with the
 * same guarantees: every logged quantity is a deterministic function of the configuration, and a
 * checkpoint at step t holds the state before anything of step t happens, so a resumed run writes
 * the same metrics.jsonl lines and the same parameters, bit for bit, as one that never stopped.
 * Wall-clock throughput is not deterministic, so it goes to timing.jsonl, not metrics.jsonl.
 *
 * <p><b>Metrics</b> (one JSON line per logged step t, state w_t before step t's update):
 * {@code train_loss} = L_{B_t}(w_t), the loss of the very windows step t then trains on;
 * {@code val_loss} = mean token loss over {@code valBatches} fixed batches of the validation stream;
 * with {@code --sharpness-every}: {@code lambda_max} and {@code eigenvalues}, the top-k eigenvalues
 * (Lanczos, warm-started, seeded by (seed, t)) of the Hessian of the loss on one fixed training batch
 * (B windows drawn once from the seed, the same at every step so the values are comparable); for
 * AdamW also {@code precond_lambda_max}, the largest eigenvalue of P^{-1/2} H P^{-1/2} (similar to
 * P⁻¹H) with P = diag(√v̂ + ε), v̂ = v/(1 − β₂ᵗ) the bias-corrected second moment of the state —
 * the preconditioned sharpness whose stability threshold is (2 + 2β₁)/((1 − β₁)η) (Cohen et al.
 * 2022; SPEC §1). It is undefined at t = 0 (v = 0) and written as null there. With
 * {@code --batch-sharpness N} (sgd, momentum) also {@code batch_sharpness}, {@code batch_sharpness_se}
 * and {@code batch_sharpness_ratio}: E_B[g_Bᵀ H_B g_B / ‖g_B‖²] over N fresh batches of B windows
 * from a stream of their own (batches t·N … t·N + N − 1), as for the image models.
 * {@code above_threshold} compares the threshold with λ_max for sgd and momentum, with the
 * preconditioned value for AdamW. Under a learning-rate schedule ({@link GptTrainConfig#schedule})
 * {@code lr} is η_t, {@code threshold} is that of η_t (2/η_t, …) and {@code eta_t} the elapsed time
 * Σ_{s&lt;t} η_s (η·t when η is constant, the time axis of Kwag et al.).
 */
public final class GptTrainer {
    public static final String CHECKPOINT = "checkpoint.safetensors", METRICS = "metrics.jsonl", CONFIG = "config.json", TIMING = "timing.jsonl";
    static final String META_STEP = "eoslab.step", META_CONFIG = "eoslab.gpt.config",
            EXP_AVG = "eoslab.optimizer.exp_avg", EXP_AVG_SQ = "eoslab.optimizer.exp_avg_sq", MOMENTUM = "eoslab.optimizer.momentum_buffer",
            EIGVECS = "eoslab.sharpness.eigenvectors", PRECOND_EIGVECS = "eoslab.precond_sharpness.eigenvectors";
    /** Stream ids of the validation windows and the fixed sharpness batch, apart from the training windows. */
    private static final long VAL_STREAM = 0x7a1d_0000_0000_0001L, SHARPNESS_STREAM = 0x54a7_0000_0000_0002L,
            BATCH_SHARPNESS_STREAM = 0x6b5a_0000_0000_0b5eL;

    public final GptTrainConfig cfg;
    public final Backend be;
    public final TextData data;
    public final Gpt2 model;
    /** Step t's training windows (the optimizer's loss), the validation windows, the fixed sharpness batch (step 0). */
    public final GptObjective train, val, sharpnessBatch;
    private final GptObjective batchSharpnessBatches;
    public final Optimizer opt;
    public final SharpnessTracker sharpness, precondSharpness;
    private final PrintStream log;

    /** Loads and tokenizes the corpus, then builds everything (see {@link #GptTrainer(GptTrainConfig, Backend, TextData, PrintStream)}). */
    public GptTrainer(GptTrainConfig cfg, Backend be, PrintStream log) {
        this(cfg, be, loadData(cfg), log);
    }

    /** Everything is built and validated here, before any file is written; {@code data} must come from {@link #loadData}. */
    public GptTrainer(GptTrainConfig cfg, Backend be, TextData data, PrintStream log) {
        this.cfg = cfg;
        this.be = be;
        this.data = data;
        this.log = log;
        try {
            TransformerKernels.of(be);
        } catch (UnsupportedOperationException e) {
            throw new UserError("--device " + cfg.device() + ": " + e.getMessage());
        }
        DType dt = cfg.dtype();
        this.model = new Gpt2(cfg.shape(data.vocab()));
        if (cfg.initFrom() != null) checkInitFrom(Path.of(cfg.initFrom()), model.config());
        int b = cfg.batchSize(), t = cfg.tokensPerSequence();
        try {
            this.train = new GptObjective(be, dt, model, new TextBatches(data.train(), b, t, cfg.seed()), cfg.accum());
            this.val = new GptObjective(be, dt, model, new TextBatches(data.val(), b, t, cfg.seed() ^ VAL_STREAM), cfg.accum());
            this.sharpnessBatch = new GptObjective(be, dt, model, new TextBatches(data.train(), b, t, cfg.seed() ^ SHARPNESS_STREAM), cfg.accum());
            // batch sharpness: fresh batches of the run's size from a stream of their own (the trajectory does not see them)
            this.batchSharpnessBatches = new GptObjective(be, dt, model, new TextBatches(data.train(), b, t, cfg.seed() ^ BATCH_SHARPNESS_STREAM), cfg.accum());
        } catch (IllegalArgumentException e) {
            throw new UserError(data.name() + " (" + data.train().length + " train / " + data.val().length + " validation tokens) with --seq-len "
                    + t + ": " + e.getMessage());
        }
        this.opt = switch (cfg.optimizer()) {
            case "adamw" -> new AdamW(train, cfg.schedule(), cfg.beta1(), cfg.beta2(), cfg.adamEps(), cfg.weightDecay(), false, null);
            case "momentum" -> new Momentum(train, cfg.schedule(), cfg.momentum(), cfg.weightDecay(), null);
            default -> new Sgd(train, cfg.schedule(), cfg.weightDecay(), null);
        };
        this.sharpness = new SharpnessTracker(cfg.topK(), cfg.lanczosSteps(), cfg.lanczosTol(), cfg.seed());
        this.precondSharpness = opt instanceof AdamW ? new SharpnessTracker(cfg.topK(), cfg.lanczosSteps(), cfg.lanczosTol(), cfg.seed() + 1) : null;
    }

    /** The tokenizer {@code cfg.tokenizer()} names: auto = GPT-2 BPE when its files are found, else bytes. */
    public static Tokenizer tokenizer(GptTrainConfig cfg) {
        if (cfg.tokenizer().equals("auto")) return Tokenizer.find();
        try {
            return Tokenizer.parse(cfg.tokenizer());
        } catch (IllegalArgumentException e) {
            throw new UserError("--tokenizer " + cfg.tokenizer() + ": " + e.getMessage());
        }
    }

    /** The corpus of {@code cfg.data()}, tokenized and split 90/10 ({@link TextData}). */
    public static TextData loadData(GptTrainConfig cfg) {
        Path src = cfg.dataPath() == null ? TextData.findDefault() : Path.of(cfg.dataPath());
        try {
            return TextData.load(src, tokenizer(cfg));
        } catch (IllegalArgumentException e) {
            throw new UserError("--data " + cfg.data() + ": " + e.getMessage());
        }
    }

    /** The run's state at some step: optimizer state ((w), (w, m) or (w, m, v)) and the step it belongs to. */
    public record State(long step, Tensor x) {
    }

    /** Step 0: the parameters of {@code --init-from}, or the random init of {@code (seed, init scale)}; fresh optimizer state. */
    public State initial() {
        double[] w = cfg.initFrom() == null ? model.init(cfg.seed(), cfg.initScale()) : Gpt2Checkpoint.load(Path.of(cfg.initFrom()), model);
        return new State(0, opt.initialState(w));
    }

    /** The --init-from file must hold this run's model: same V, context, L, C (the heads come from the run's model). */
    private static void checkInitFrom(Path file, GptConfig run) {
        GptConfig c = Gpt2Checkpoint.config(file, run.heads());
        if (!c.equals(run)) {
            throw new UserError("--init-from " + file + ": holds a GPT-2 with " + describe(c) + ", this run's model has " + describe(run)
                    + "; choose --model, --layers, --channels, --heads, --context and --tokenizer to match it");
        }
    }

    private static String describe(GptConfig c) {
        return "V=" + c.vocab() + ", context " + c.maxT() + ", L=" + c.layers() + ", H=" + c.heads() + ", C=" + c.channels();
    }

    /** Tokens one optimizer step reads: B·T. */
    public long tokensPerStep() {
        return (long) cfg.batchSize() * cfg.tokensPerSequence();
    }

    /** Summary of a finished run. */
    public record Result(List<Map<String, Object>> metrics, long stepsDone, double seconds) {
    }

    /**
     * Run from {@code start} to cfg.steps(), logging to {@code dir}/metrics.jsonl (appending),
     * throughput to {@code dir}/timing.jsonl, and checkpointing. {@code onLog} sees every metrics
     * record and the tokens per second since the previous one (NaN for the first).
     */
    public Result run(State start, Path dir, BiConsumer<Map<String, Object>, Double> onLog) throws IOException {
        long t0 = System.nanoTime(), lastTime = t0, lastStep = -1;
        List<Map<String, Object>> logged = new ArrayList<>();
        Tensor x = start.x();
        long steps = cfg.steps();
        try (JsonlWriter metrics = JsonlWriter.append(dir.resolve(METRICS)); JsonlWriter timing = JsonlWriter.append(dir.resolve(TIMING))) {
            for (long t = start.step(); ; t++) {
                long now = System.nanoTime();
                if (t == steps || t > start.step() && cfg.checkpointEvery() > 0 && t % cfg.checkpointEvery() == 0) {
                    saveCheckpoint(dir.resolve(CHECKPOINT), new State(t, x));
                }
                if (t % cfg.logEvery() == 0 || t == steps) {
                    double tps = lastStep < 0 ? Double.NaN : (t - lastStep) * tokensPerStep() / ((now - lastTime) * 1e-9);
                    Map<String, Object> m = measure(t, x);
                    metrics.write(m);
                    Map<String, Object> tm = new LinkedHashMap<>();
                    tm.put("step", t);
                    tm.put("seconds", (now - t0) * 1e-9);
                    tm.put("tokens_per_s", Double.isNaN(tps) ? null : tps);
                    timing.write(tm);
                    logged.add(m);
                    if (onLog != null) onLog.accept(m, tps);
                    double tl = (Double) m.get("train_loss");
                    if (!Double.isFinite(tl)) throw new DivergedException(t, tl);
                    lastStep = t;
                    lastTime = System.nanoTime(); // throughput counts training steps, not the measurements
                }
                if (t == steps) break;
                opt.step(t, x, null, 0);
            }
        }
        return new Result(logged, steps - start.step(), (System.nanoTime() - t0) * 1e-9);
    }

    /** One metrics record for the state x at step t (see the class comment for the fields). */
    public Map<String, Object> measure(long t, Tensor x) {
        Tensor w = opt.params(x);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", t);
        m.put("tokens", t * tokensPerStep());
        m.put("eta_t", opt.lrSchedule().elapsed(t));   // the time axis Σ_{s<t} η_s (= η·t when constant)
        m.put("lr", opt.lr(t));                          // η_t, the rate step t uses
        double trainLoss = train.evaluate(t, w, null, null, 0, null);
        m.put("train_loss", trainLoss);
        m.put("val_loss", val.meanLossAndAccuracy(w, cfg.valBatches(), false)[0]);
        m.put("threshold", opt.threshold(t));
        // a diverged state (non-finite loss) gets no curvature: run() logs the record and stops with DivergedException
        boolean sharp = cfg.sharpnessEvery() > 0 && (t % cfg.sharpnessEvery() == 0 || t == cfg.steps()) && Double.isFinite(trainLoss);
        if (sharp) {
            double[] eig = sharpness.estimate(sharpnessBatch.hessian(w, 0), t);
            m.put("lambda_max", eig[0]);
            m.put("eigenvalues", Arrays.stream(eig).boxed().toList());
            m.put("lanczos_iters", sharpness.lastIterations());
            Double pre = null;
            if (precondSharpness != null && t > 0) {
                pre = precondSharpness.estimate(preconditionedHessian(x, t), t)[0];
            }
            if (precondSharpness != null) m.put("precond_lambda_max", pre);
            double ref = precondSharpness != null ? (pre == null ? Double.NaN : pre) : eig[0];
            m.put("above_threshold", ref >= opt.threshold(t));
            if (cfg.batchSharpness() > 0) {
                BatchSharpness.Estimate bs = BatchSharpness.estimate(batchSharpnessBatches.minibatchCurvature(w), batchSharpnessIndices(t));
                bs.putInto(m);
            }
        }
        return m;
    }

    /** The batches (of {@link #batchSharpnessObjective()}'s stream) batch sharpness averages over at step t: t·N … t·N + N − 1. */
    public long[] batchSharpnessIndices(long t) {
        return BatchSharpness.batchesAt(t, cfg.batchSharpness());
    }

    /** Where the batch-sharpness batches come from. */
    public GptObjective batchSharpnessObjective() {
        return batchSharpnessBatches;
    }

    /**
     * P^{-1/2} H P^{-1/2} for the AdamW state x after t steps: H the Hessian on the fixed sharpness
     * batch, P = diag(√v̂ + ε), v̂ = v/(1 − β₂ᵗ). Similar to P⁻¹H, so it has the same (real) eigenvalues,
     * and symmetric, so Lanczos applies.
     */
    public LinearOperator preconditionedHessian(Tensor x, long t) {
        return preconditioned(sharpnessBatch.hessian(opt.params(x), 0), preconditionerScale(x, t));
    }

    /** P^{-1/2} = 1/√(√v̂ + ε) per parameter, (d), for the AdamW state x after t ≥ 1 steps. */
    public Tensor preconditionerScale(Tensor x, long t) {
        if (!(opt instanceof AdamW a)) throw new IllegalStateException("the preconditioner is AdamW's; this run uses " + opt.name());
        if (t < 1) throw new IllegalArgumentException("AdamW's preconditioner is undefined before the first step (v = 0)");
        int d = model.numParams();
        double[] v = be.toDoubles(x.view(2L * d, d));
        double c2 = 1 - Math.pow(a.beta2(), t);
        double[] s = new double[d];
        for (int i = 0; i < d; i++) s[i] = 1 / Math.sqrt(Math.sqrt(v[i] / c2) + a.eps());
        return be.fromDoubles(cfg.dtype(), s);
    }

    /** S H S for a diagonal S given as the vector {@code scale} (d): symmetric when H is. */
    public static LinearOperator preconditioned(LinearOperator h, Tensor scale) {
        long d = h.dim();
        Backend be = h.backend();
        return new LinearOperator() {
            private Tensor tmp;

            @Override public long dim() { return d; }

            @Override public Backend backend() { return be; }

            @Override public DType dtype() { return h.dtype(); }

            @Override
            public void apply(Tensor in, Tensor out, int k) {
                if (tmp == null || tmp.size < k * d) tmp = be.zeros(h.dtype(), k * d);
                for (int j = 0; j < k; j++) be.mul(in.view(j * d, d), scale, tmp.view(j * d, d));
                h.apply(tmp.view(0, k * d), out, k);
                for (int j = 0; j < k; j++) be.mul(out.view(j * d, d), scale, out.view(j * d, d));
            }
        };
    }

    // ---- checkpoints ---------------------------------------------------------------------------

    /**
     * Write the state atomically. Parameters under GPT-2's names in the run's dtype, linear weights
     * (out, in) as nanoGPT and {@code nn.Linear} keep them ({@link Gpt2Checkpoint} reads the file back,
     * and transposes for Hugging Face's Conv1D layout); AdamW's m and v as PyTorch names them
     * ({@code exp_avg}, {@code exp_avg_sq}), the heavy-ball buffer, the sharpness warm starts; the
     * step, the configuration and the model shape as metadata.
     */
    public void saveCheckpoint(Path file, State s) throws IOException {
        SafetensorsWriter wr = new SafetensorsWriter();
        long d = model.numParams();
        Tensor w = opt.params(s.x());
        for (ParamSpec p : model.params()) {
            add(wr, p.name(), w.view(p.offset(), p.size()), Arrays.stream(p.shape()).asLongStream().toArray());
        }
        if (opt instanceof AdamW) {
            add(wr, EXP_AVG, s.x().view(d, d), d);
            add(wr, EXP_AVG_SQ, s.x().view(2 * d, d), d);
        } else if (opt instanceof Momentum) {
            add(wr, MOMENTUM, s.x().view(d, d), d);
        }
        if (sharpness.vectors() != null) add(wr, EIGVECS, sharpness.vectors(), sharpness.vectorCount(), d);
        if (precondSharpness != null && precondSharpness.vectors() != null) {
            add(wr, PRECOND_EIGVECS, precondSharpness.vectors(), precondSharpness.vectorCount(), d);
        }
        GptConfig c = model.config();
        wr.metadata(META_STEP, Long.toString(s.step()))
                .metadata(META_CONFIG, Json.line(cfg.toMap()))
                .metadata("vocab", "" + c.vocab()).metadata("maxT", "" + c.maxT()).metadata("layers", "" + c.layers())
                .metadata("heads", "" + c.heads()).metadata("channels", "" + c.channels())
                .metadata("format", "pt");
        wr.write(file);
    }

    private void add(SafetensorsWriter wr, String name, Tensor t, long... shape) {
        if (cfg.dtype() == DType.F32) wr.add(name, t.toFloats(), shape);
        else wr.add(name, t.toDoubles(), shape);
    }

    /** Whether {@code file} is an eoslab GPT training checkpoint (it carries a saved GPT configuration). */
    public static boolean isCheckpoint(Path file) {
        if (!Files.isRegularFile(file)) return false;
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            return r.metadata().containsKey(META_CONFIG);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The configuration stored in a GPT checkpoint. */
    public static GptTrainConfig configOf(Path checkpoint) {
        Map<String, Object> m = SafetensorsReader.metadataObject(checkpoint, META_CONFIG);
        if (m == null) throw new UserError(checkpoint + ": not an eoslab GPT training checkpoint (no " + META_CONFIG + " metadata)");
        return GptTrainConfig.fromMap(m);
    }

    /** Restore the state and the sharpness warm starts from a checkpoint of this run. */
    public State loadCheckpoint(Path file) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            String stepStr = r.metadata().get(META_STEP);
            if (stepStr == null) throw new UserError(file + ": not an eoslab training checkpoint (no step)");
            int d = model.numParams();
            double[] x = new double[Math.toIntExact(opt.dim())];
            for (ParamSpec p : model.params()) {
                double[] v = r.doubles(p.name(), Arrays.stream(p.shape()).asLongStream().toArray());
                System.arraycopy(v, 0, x, (int) p.offset(), v.length);
            }
            if (opt instanceof AdamW) {
                System.arraycopy(r.doubles(EXP_AVG, d), 0, x, d, d);
                System.arraycopy(r.doubles(EXP_AVG_SQ, d), 0, x, 2 * d, d);
            } else if (opt instanceof Momentum) {
                System.arraycopy(r.doubles(MOMENTUM, d), 0, x, d, d);
            }
            if (r.has(EIGVECS)) sharpness.setVectors(be.fromDoubles(cfg.dtype(), r.doubles(EIGVECS)), (int) r.shape(EIGVECS)[0]);
            if (precondSharpness != null && r.has(PRECOND_EIGVECS)) {
                precondSharpness.setVectors(be.fromDoubles(cfg.dtype(), r.doubles(PRECOND_EIGVECS)), (int) r.shape(PRECOND_EIGVECS)[0]);
            }
            return new State(Long.parseLong(stepStr), be.fromDoubles(cfg.dtype(), x));
        }
    }

    /** Write config.json (resolved configuration, corpus, model, device) atomically. */
    public void writeConfig(Path dir) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>(cfg.toMap());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("backend", be.name());
        r.put("model", model.describe());
        r.put("parameters", model.numParams());
        r.put("state_dim", opt.dim());
        r.put("data_source", data.name());
        r.put("tokenizer", data.tokenizer());
        r.put("vocab", data.vocab());
        r.put("train_tokens", data.train().length);
        r.put("val_tokens", data.val().length);
        r.put("seq_len", cfg.tokensPerSequence());
        r.put("micro_batch", cfg.batchSize() / cfg.accum());
        r.put("tokens_per_step", tokensPerStep());
        r.put("threshold", opt.threshold());
        if (!opt.lrSchedule().isConstant()) {
            r.put("threshold_at", "the peak --lr; metrics.jsonl has each step's threshold at its η_t");
            r.put("lr_schedule", opt.lrSchedule().describe());
        }
        r.put("threshold_applies_to", opt instanceof AdamW ? "precond_lambda_max (λ_max of P^-1 H)" : "lambda_max");
        m.put("resolved", r);
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.pretty(m));
    }

    public PrintStream log() {
        return log;
    }
}
