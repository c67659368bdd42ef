package eoslab.cli;

import eoslab.train.TrainConfig;
import eoslab.util.UserError;
import picocli.CommandLine.Option;

import java.util.Arrays;

/** The options that define a training run; {@link #config(String)} validates them into a {@link TrainConfig}. */
public final class TrainOptions {
    @Option(names = "--data", defaultValue = "fashion-mnist", description = "data set: fashion-mnist (committed subset), fashion-mnist:full, fashion-mnist:DIR, mnist:DIR, cifar10:DIR, gaussian[:k=..,dim=..], teacher[:dim=..] (default: ${DEFAULT-VALUE})")
    String data;
    @Option(names = "--classes", description = "classes to keep, comma separated, relabelled 0..C-1 in this order (default: all)")
    String classes;
    @Option(names = {"--n-train", "--n"}, defaultValue = "0", description = "training examples, 0 = all (default: ${DEFAULT-VALUE})")
    int n;
    @Option(names = "--n-test", defaultValue = "0", description = "test examples, 0 = all (default: ${DEFAULT-VALUE})")
    int nTest;
    @Option(names = "--normalization", description = "none (x/255), center (minus the train mean image) or standardize (default: the data set's)")
    String normalization;
    @Option(names = "--model", defaultValue = "mlp", description = "mlp, cnn (convs 64-64-128 + FC 512) or resnet14 (BN-free, stages 16-32-64); cnn and resnet14 need image data (default: ${DEFAULT-VALUE})")
    String model;
    @Option(names = "--hidden", description = "widths: MLP hidden layers (default 512,512); cnn conv1,conv2,conv3,fc (default 64,64,128,512); resnet14 stage widths (default 16,32,64)")
    String hidden;
    @Option(names = "--activation", defaultValue = "relu", description = "relu, tanh or gelu (default: ${DEFAULT-VALUE})")
    String activation;
    @Option(names = "--no-bias", description = "Linear layers without bias")
    boolean noBias;
    @Option(names = "--init-scale", defaultValue = "1.0", description = "multiplies PyTorch's default init (default: ${DEFAULT-VALUE})")
    double initScale;
    @Option(names = "--loss", defaultValue = "mse", description = "mse (½‖f−y‖², one-hot y) or ce (default: ${DEFAULT-VALUE})")
    String loss;
    @Option(names = "--optimizer", defaultValue = "gd", description = "gd (full batch), sgd or momentum (default: ${DEFAULT-VALUE})")
    String optimizer;
    @Option(names = "--lr", defaultValue = "0.01", description = "learning rate η (default: ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--momentum", defaultValue = "0.9", description = "heavy-ball β for --optimizer momentum (default: ${DEFAULT-VALUE})")
    double momentum;
    @Option(names = "--weight-decay", defaultValue = "0", description = "L2 weight decay λ (default: ${DEFAULT-VALUE})")
    double weightDecay;
    @Option(names = "--batch-size", defaultValue = "0", description = "minibatch size, 0 = full batch (default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--steps", description = "optimizer steps (default: 1000)")
    Long steps;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the initialisation, data selection and minibatch noise (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--log-every", defaultValue = "32", description = "log metrics and λ_max every this many steps (default: ${DEFAULT-VALUE})")
    int logEvery;
    @Option(names = "--top-k", defaultValue = "1", description = "Hessian eigenvalues tracked (default: ${DEFAULT-VALUE})")
    int topK;
    @Option(names = "--lanczos-steps", defaultValue = "30", description = "Lanczos iterations per eigen-solve, at most (default: ${DEFAULT-VALUE})")
    int lanczosSteps;
    @Option(names = "--lanczos-tol", defaultValue = "1e-4", description = "relative residual at which Lanczos stops (default: ${DEFAULT-VALUE})")
    double lanczosTol;
    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
    String dtype;
    @Option(names = "--chunk", defaultValue = "4096", description = "rows per chunk of full-data passes, bounds memory (default: ${DEFAULT-VALUE})")
    int chunk;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "steps between checkpoints; 0 = only at the end (default: ${DEFAULT-VALUE})")
    int checkpointEvery;

    static int[] ints(String s, String option) {
        if (s == null || s.isBlank()) return new int[0];
        try {
            return Arrays.stream(s.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new UserError(option + " '" + s + "': expected comma-separated integers, e.g. 512,512");
        }
    }

    TrainConfig config(String device) {
        // the MLP's default widths apply only to the MLP; cnn/resnet14 take their paper widths from an empty list
        String widths = hidden != null ? hidden : "mlp".equals(model) ? "512,512" : "";
        return new TrainConfig(data, ints(classes, "--classes"), n, nTest, normalization, model, ints(widths, "--hidden"),
                activation, !noBias, initScale, loss, optimizer, lr, momentum, weightDecay, batchSize, steps == null ? 1000 : steps, seed,
                logEvery, topK, lanczosSteps, lanczosTol, dtype, device, chunk, checkpointEvery);
    }
}
