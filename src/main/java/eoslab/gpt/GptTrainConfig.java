package eoslab.gpt;

import eoslab.io.Json;

import eoslab.optim.LrSchedule;
import eoslab.tensor.DType;
import eoslab.util.UserError;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything that defines a GPT-2 training run ({@code eoslab train --model gpt2|gpt-tiny}), validated
 * on construction; saved as config.json and in every checkpoint, so a run can be resumed or repeated
 * exactly. Messages name the command-line option.
 *
 * @param data           {@code text} (the default corpus, {@link TextData#findDefault}) or {@code text:PATH}
 *                       (a UTF-8 file, or a folder of .txt files)
 * @param tokenizer      {@code auto} (GPT-2 BPE when its files are found, else bytes), {@code gpt2}, {@code bytes},
 *                       or a folder holding encoder.json and vocab.bpe; the model's vocabulary V is the tokenizer's
 * @param model          {@code gpt2} (GPT-2 small, 124M with the BPE vocabulary) or {@code gpt-tiny}
 *                       ({@link GptConfig#tiny()}: L = 2, H = 2, C = 32, context 16)
 * @param layers         L; 0 = the preset's
 * @param heads          H; 0 = the preset's
 * @param channels       C (a multiple of H); 0 = the preset's
 * @param context        maxT, the positions of wpe; 0 = the preset's (1024 for gpt2, 16 for gpt-tiny)
 * @param initScale      multiplies GPT-2's initial standard deviations (0.02, 0.02/√(2L))
 * @param optimizer      adamw, sgd or momentum (heavy ball)
 * @param lr             η, the peak of the learning-rate schedule (every step's η when it is constant)
 * @param lrSchedule     constant or cosine ({@link LrSchedule}: linear warmup, then η or a cosine decay to minLr)
 * @param warmupSteps    W, steps of linear warmup η(t + 1)/W; 0 = none; at most {@code steps} (constant) or
 *                       below the horizon {@code decaySteps} (cosine)
 * @param minLr          cosine: the floor η_min in (0, η]; NaN on input = η/10 (nanoGPT's); stored resolved; 0 for constant
 * @param decaySteps     cosine: D, the step at which η_t reaches the floor; 0 on input = {@code steps}; stored
 *                       resolved, so resuming with a larger --steps keeps the schedule already followed (η_min after D);
 *                       0 for constant
 * @param beta1          AdamW β₁
 * @param beta2          AdamW β₂
 * @param adamEps        AdamW ε
 * @param momentum       heavy-ball β
 * @param weightDecay    AdamW: decoupled λ (w ← (1 − ηλ)w − …); sgd and momentum: L2, λw added to the gradient
 * @param batchSize      B, sequences per step
 * @param seqLen         T, tokens per sequence; 0 = the context
 * @param accum          micro-batches per step (gradient accumulation); B must be a multiple of it
 * @param steps          optimizer steps
 * @param seed           initialisation and the windows every step reads
 * @param logEvery       metrics every this many steps
 * @param valBatches     validation batches (of B windows) averaged for the validation loss
 * @param sharpnessEvery λ_max every this many steps, a multiple of logEvery; 0 = never
 * @param topK           Hessian eigenvalues tracked
 * @param lanczosSteps   Lanczos basis size per restart
 * @param lanczosTol     relative residual at which Lanczos stops
 * @param dtypeName      f32 or f64
 * @param device         cpu, cuda or auto
 * @param checkpointEvery steps between checkpoints; 0 = only at the end
 */
public record GptTrainConfig(
        String data, String tokenizer, String model, int layers, int heads, int channels, int context, double initScale,
        String optimizer, double lr, String lrSchedule, long warmupSteps, double minLr, long decaySteps, double beta1, double beta2, double adamEps, double momentum, double weightDecay,
        int batchSize, int seqLen, int accum, long steps, long seed, int logEvery, int valBatches,
        int sharpnessEvery, int topK, int lanczosSteps, double lanczosTol, String dtypeName, String device, int checkpointEvery,
        int batchSharpness, String initFrom) {

    /** The model names {@code --model} accepts for GPT-2 runs. */
    public static final List<String> MODELS = List.of("gpt2", "gpt-tiny");
    public static final List<String> OPTIMIZERS = List.of("adamw", "sgd", "momentum");

    public GptTrainConfig {
        require(data != null && (data.equals("text") || data.startsWith("text:") && data.length() > 5),
                "--data for a GPT model must be text (the default corpus) or text:PATH (a file or a folder of .txt files), got '" + data + "'");
        require(tokenizer != null && !tokenizer.isBlank(), "--tokenizer must be auto, gpt2, bytes or a folder with encoder.json and vocab.bpe");
        require(MODELS.contains(model), "--model for GPT-2 runs must be one of " + String.join(", ", MODELS) + ", got '" + model + "'");
        require(layers >= 0 && heads >= 0 && channels >= 0 && context >= 0, "--layers, --heads, --channels and --context must be >= 0 (0 = the preset's)");
        try {
            GptConfig c = shapeOf(model, layers, heads, channels, context, 256); // fields are not assigned yet
            require(seqLen <= c.maxT(), "--seq-len " + seqLen + " exceeds the model's context " + c.maxT() + " (--context)");
        } catch (IllegalArgumentException e) {
            throw new UserError("--model " + model + ": " + e.getMessage().replace("GPT config: ", ""));
        }
        require(initScale > 0 && Double.isFinite(initScale), "--init-scale must be a positive number, got " + initScale);
        require(OPTIMIZERS.contains(optimizer), "--optimizer for a GPT model must be adamw, sgd or momentum, got '" + optimizer + "'");
        require(lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
        require(lrSchedule != null && (lrSchedule.equals("constant") || lrSchedule.equals("cosine")),
                "--lr-schedule must be constant or cosine, got '" + lrSchedule + "'");
        require(warmupSteps >= 0, "--warmup-steps must be >= 0, got " + warmupSteps);
        if (lrSchedule.equals("cosine")) {
            if (Double.isNaN(minLr)) minLr = lr / 10;
            if (decaySteps == 0) decaySteps = steps;
            require(decaySteps > 0, "--decay-steps must be >= 1 (0 = --steps), got " + decaySteps);
        } else {
            require(Double.isNaN(minLr) || minLr == 0, "--min-lr is the floor of --lr-schedule cosine; this run's schedule is constant");
            require(decaySteps == 0, "--decay-steps is the horizon of --lr-schedule cosine; this run's schedule is constant");
            minLr = 0;
            // the warmup must end within the run (a cosine's bound is its horizon D, checked by LrSchedule,
            // so a first leg shorter than the warmup can be resumed when --decay-steps is given)
            require(warmupSteps <= steps, "--warmup-steps " + warmupSteps + " exceeds --steps " + steps);
        }
        try {
            schedule(lr, lrSchedule, warmupSteps, minLr, decaySteps);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        require(beta1 >= 0 && beta1 < 1, "--beta1 must be in [0, 1), got " + beta1);
        require(beta2 >= 0 && beta2 < 1, "--beta2 must be in [0, 1), got " + beta2);
        require(adamEps > 0 && Double.isFinite(adamEps), "--adam-eps must be a positive number, got " + adamEps);
        require(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + momentum);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "--weight-decay must be >= 0, got " + weightDecay);
        require(batchSize >= 1, "--batch-size must be >= 1 sequence for a GPT model, got " + batchSize);
        require(seqLen >= 0, "--seq-len must be >= 1 (or 0 = the context), got " + seqLen);
        require(accum >= 1, "--accum must be >= 1, got " + accum);
        require(batchSize % accum == 0, "--batch-size " + batchSize + " is not divisible by --accum " + accum
                + ": every micro-batch must hold the same number of sequences");
        require(steps >= 1 || steps == 0 && initFrom != null, "--steps must be >= 1 (0 only with --init-from: evaluate the checkpoint), got " + steps);
        require(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
        require(valBatches >= 1, "--val-batches must be >= 1, got " + valBatches);
        require(sharpnessEvery >= 0, "--sharpness-every must be >= 0 (0 = never), got " + sharpnessEvery);
        require(sharpnessEvery % logEvery == 0, "--sharpness-every " + sharpnessEvery + " must be a multiple of --log-every " + logEvery
                + " (λ_max is written in the logged lines)");
        require(topK >= 1 && topK <= 64, "--top-k must be in [1, 64], got " + topK);
        require(lanczosSteps >= 2 * topK, "--lanczos-steps must be >= 2·top-k, got " + lanczosSteps);
        require(lanczosTol > 0 && lanczosTol < 1, "--lanczos-tol must be in (0, 1), got " + lanczosTol);
        try {
            DType.parse(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        require(device.equals("cpu") || device.equals("cuda") || device.equals("auto"), "--device must be cpu, cuda or auto, got '" + device + "'");
        require(checkpointEvery >= 0, "--checkpoint-every must be >= 0, got " + checkpointEvery);
        require(batchSharpness >= 0 && batchSharpness <= 4096, "--batch-sharpness must be in [0, 4096] batches (0 = off), got " + batchSharpness);
        require(batchSharpness == 0 || sharpnessEvery > 0, "--batch-sharpness is measured at the --sharpness-every steps: set --sharpness-every too");
        require(initFrom == null || java.nio.file.Files.isReadable(java.nio.file.Path.of(initFrom)),
                "--init-from " + initFrom + ": no such readable file; give a safetensors checkpoint of GPT-2 (Hugging Face's or eoslab's)");
        require(batchSharpness == 0 || !optimizer.equals("adamw"),
                "--batch-sharpness: its threshold 2/η is SGD's (and (2+2β)/η momentum's); AdamW's stability is about λ_max(P⁻¹H), which --sharpness-every logs");
    }

    /** η_t of this run ({@link LrSchedule}); constant η when {@code lrSchedule} is constant and there is no warmup. */
    public LrSchedule schedule() {
        return schedule(lr, lrSchedule, warmupSteps, minLr, decaySteps);
    }

    private static LrSchedule schedule(double lr, String kind, long warmup, double minLr, long decay) {
        return new LrSchedule(LrSchedule.Kind.parse(kind), lr, warmup, minLr, decay);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new UserError(message);
    }

    /** The model's shape for a tokenizer of {@code vocab} ids: the preset with the given overrides. */
    public GptConfig shape(int vocab) {
        return shapeOf(model, layers, heads, channels, context, vocab);
    }

    private static GptConfig shapeOf(String model, int layers, int heads, int channels, int context, int vocab) {
        GptConfig p = model.equals("gpt2") ? GptConfig.gpt2() : GptConfig.tiny();
        return new GptConfig(vocab, context > 0 ? context : p.maxT(), layers > 0 ? layers : p.layers(),
                heads > 0 ? heads : p.heads(), channels > 0 ? channels : p.channels());
    }

    /** T: {@link #seqLen}, or the context when 0. */
    public int tokensPerSequence() {
        return seqLen > 0 ? seqLen : shape(256).maxT();
    }

    public DType dtype() { return DType.parse(dtypeName); }

    /** The text source: null for the default corpus. */
    public String dataPath() {
        return data.equals("text") ? null : data.substring(5);
    }

    public GptTrainConfig withSteps(long s) {
        Map<String, Object> m = toMap();
        m.put("steps", s);
        return fromMap(m);
    }

    /**
     * A grid point of a sweep: η, B and weight decay replaced (the rest, the seed included, kept). A
     * cosine floor keeps its ratio to η (η_min/η), so every point decays by the same factor.
     */
    public GptTrainConfig withGridPoint(double newLr, int newBatch, double newWeightDecay) {
        Map<String, Object> m = toMap();
        m.put("lr", newLr);
        if (lrSchedule.equals("cosine")) m.put("min_lr", minLr * (newLr / lr));
        m.put("batch_size", newBatch);
        m.put("weight_decay", newWeightDecay);
        return fromMap(m);
    }

    /** Ordered map for config.json and checkpoint metadata. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", data);
        m.put("tokenizer", tokenizer);
        m.put("model", model);
        m.put("layers", layers);
        m.put("heads", heads);
        m.put("channels", channels);
        m.put("context", context);
        m.put("init_scale", initScale);
        m.put("optimizer", optimizer);
        m.put("lr", lr);
        m.put("lr_schedule", lrSchedule);
        m.put("warmup_steps", warmupSteps);
        m.put("min_lr", minLr);
        m.put("decay_steps", decaySteps);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("adam_eps", adamEps);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("batch_size", batchSize);
        m.put("seq_len", seqLen);
        m.put("accum", accum);
        m.put("steps", steps);
        m.put("seed", seed);
        m.put("log_every", logEvery);
        m.put("val_batches", valBatches);
        m.put("sharpness_every", sharpnessEvery);
        m.put("top_k", topK);
        m.put("lanczos_steps", lanczosSteps);
        m.put("lanczos_tol", lanczosTol);
        m.put("dtype", dtypeName);
        m.put("device", device);
        m.put("checkpoint_every", checkpointEvery);
        m.put("batch_sharpness", batchSharpness);
        if (initFrom != null) m.put("init_from", initFrom);
        return m;
    }

    /** Inverse of {@link #toMap()} (numbers may arrive as any Number). */
    public static GptTrainConfig fromMap(Map<String, Object> m) {
        try {
            return new GptTrainConfig(Json.str(m, "data"), Json.str(m, "tokenizer"), Json.str(m, "model"), Json.num(m, "layers").intValue(),
                    Json.num(m, "heads").intValue(), Json.num(m, "channels").intValue(), Json.num(m, "context").intValue(), Json.num(m, "init_scale").doubleValue(),
                    Json.str(m, "optimizer"), Json.num(m, "lr").doubleValue(),
                    // runs saved before the schedule existed were constant
                    m.containsKey("lr_schedule") ? Json.str(m, "lr_schedule") : "constant",
                    m.containsKey("warmup_steps") ? Json.num(m, "warmup_steps").longValue() : 0,
                    m.containsKey("min_lr") ? Json.num(m, "min_lr").doubleValue() : Double.NaN,
                    m.containsKey("decay_steps") ? Json.num(m, "decay_steps").longValue() : 0, Json.num(m, "beta1").doubleValue(), Json.num(m, "beta2").doubleValue(),
                    Json.num(m, "adam_eps").doubleValue(), Json.num(m, "momentum").doubleValue(), Json.num(m, "weight_decay").doubleValue(),
                    Json.num(m, "batch_size").intValue(), Json.num(m, "seq_len").intValue(), Json.num(m, "accum").intValue(), Json.num(m, "steps").longValue(),
                    Json.num(m, "seed").longValue(), Json.num(m, "log_every").intValue(), Json.num(m, "val_batches").intValue(),
                    Json.num(m, "sharpness_every").intValue(), Json.num(m, "top_k").intValue(), Json.num(m, "lanczos_steps").intValue(),
                    Json.num(m, "lanczos_tol").doubleValue(), Json.str(m, "dtype"), Json.str(m, "device"), Json.num(m, "checkpoint_every").intValue(),
                    m.get("batch_sharpness") instanceof Number bs ? bs.intValue() : 0,   // absent in runs from before it existed
                    m.get("init_from") instanceof String f ? f : null);
        } catch (NullPointerException | ClassCastException e) {
            throw new UserError("saved GPT configuration is incomplete or malformed (" + e.getMessage() + ")");
        }
    }
}
