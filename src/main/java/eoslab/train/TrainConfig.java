package eoslab.train;


import eoslab.backend.Act;
import eoslab.io.Json;
import eoslab.nn.Loss;
import eoslab.tensor.DType;
import eoslab.util.UserError;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that defines a training run, validated on construction; saved as config.json and in
 * every checkpoint, so a run can be resumed or repeated exactly.
 *
 * @param data         data set spec (see {@code eoslab.data.Datasets}), e.g. {@code fashion-mnist}
 * @param classes      classes to keep, relabelled 0..C−1 in this order; empty keeps all
 * @param n            training examples (0 = all available)
 * @param nTest        test examples (0 = all available)
 * @param model        architecture: {@code mlp}, {@code cnn} (Kwag et al. App. C.1, {@link eoslab.nn.Cnn}) or
 *                     {@code resnet14} (BN-free ResNet-14, {@link eoslab.nn.ResNet}); cnn and resnet14 need image
 *                     data with a per-example (C, H, W) shape
 * @param hidden       widths: for mlp the hidden layers; for cnn empty (the paper's 64,64,128,512) or the four
 *                     widths conv1,conv2,conv3,fc; for resnet14 empty (the paper's 16,32,64) or the three stage widths
 * @param activation   relu, tanh or gelu; resnet14 is ReLU only (as in the paper)
 * @param lossName     mse or ce (SPEC §2 conventions)
 * @param optimizer    gd, sgd or momentum
 * @param batchSize    minibatch size; 0 means full batch
 * @param logEvery     metrics (losses, λ_max) every this many steps
 * @param topK         Hessian eigenvalues tracked at each log step
 * @param chunk        rows per chunk in full-data passes (bounds memory)
 * @param checkpointEvery steps between checkpoints (0 = only at the end)
 * @param batchSharpness minibatches over which batch sharpness E_B[g_Bᵀ H_B g_B / ‖g_B‖²] (Andreyev &amp;
 *                     Beneventano 2024) is averaged at each log step, 0 = not logged; with full batches it
 *                     is the gradient's Rayleigh quotient gᵀHg/‖g‖², computed once
 */
public record TrainConfig(
        String data, int[] classes, int n, int nTest, String normalization,
        String model, int[] hidden, String activation, boolean bias, double initScale,
        String lossName, String optimizer, double lr, double momentum, double weightDecay, int batchSize,
        long steps, long seed, int logEvery, int topK, int lanczosSteps, double lanczosTol,
        String dtypeName, String device, int chunk, int checkpointEvery, int batchSharpness) {

    /** Without batch-sharpness logging ({@code batchSharpness = 0}). */
    public TrainConfig(String data, int[] classes, int n, int nTest, String normalization,
                       String model, int[] hidden, String activation, boolean bias, double initScale,
                       String lossName, String optimizer, double lr, double momentum, double weightDecay, int batchSize,
                       long steps, long seed, int logEvery, int topK, int lanczosSteps, double lanczosTol,
                       String dtypeName, String device, int chunk, int checkpointEvery) {
        this(data, classes, n, nTest, normalization, model, hidden, activation, bias, initScale, lossName, optimizer, lr, momentum,
                weightDecay, batchSize, steps, seed, logEvery, topK, lanczosSteps, lanczosTol, dtypeName, device, chunk, checkpointEvery, 0);
    }

    public TrainConfig {
        classes = classes == null ? new int[0] : classes.clone();
        hidden = hidden == null ? new int[0] : hidden.clone();
        require(data != null && !data.isBlank(), "--data must name a data set");
        require(n >= 0, "--n-train must be >= 0 (0 = all), got " + n);
        require(nTest >= 0, "--n-test must be >= 0 (0 = all), got " + nTest);
        require(MODELS.contains(model), "--model must be one of " + String.join(", ", MODELS) + ", got '" + model + "'");
        for (int h : hidden) require(h >= 1, "--hidden widths must be >= 1, got " + Arrays.toString(hidden));
        require(!model.equals("cnn") || hidden.length == 0 || hidden.length == 4,
                "--model cnn takes --hidden with 4 widths conv1,conv2,conv3,fc (or none for the paper's 64,64,128,512), got " + Arrays.toString(hidden));
        require(!model.equals("resnet14") || hidden.length == 0 || hidden.length == 3,
                "--model resnet14 takes --hidden with 3 stage widths (or none for the paper's 16,32,64), got " + Arrays.toString(hidden));
        parse(() -> Act.parse(activation));
        require(!model.equals("resnet14") || Act.parse(activation) == Act.RELU,
                "--model resnet14 is ReLU only (Kwag et al. App. C.1), got --activation " + activation);
        require(initScale > 0 && Double.isFinite(initScale), "--init-scale must be a positive number, got " + initScale);
        parse(() -> Loss.parse(lossName));
        require(optimizer.equals("gd") || optimizer.equals("sgd") || optimizer.equals("momentum"),
                "--optimizer must be gd, sgd or momentum, got '" + optimizer + "'");
        require(lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
        require(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + momentum);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "--weight-decay must be >= 0, got " + weightDecay);
        require(batchSize >= 0, "--batch-size must be >= 0 (0 = full batch), got " + batchSize);
        require(!optimizer.equals("gd") || batchSize == 0, "--optimizer gd is full batch: leave --batch-size at 0, or use sgd");
        require(!optimizer.equals("sgd") || batchSize > 0, "--optimizer sgd needs --batch-size > 0 (use gd for full batch)");
        require(steps >= 1, "--steps must be >= 1, got " + steps);
        require(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
        require(topK >= 1 && topK <= 64, "--top-k must be in [1, 64], got " + topK);
        require(lanczosSteps >= 2 * topK, "--lanczos-steps must be >= 2·top-k, got " + lanczosSteps);
        require(lanczosTol > 0 && lanczosTol < 1, "--lanczos-tol must be in (0, 1), got " + lanczosTol);
        parse(() -> DType.parse(dtypeName));
        require(device.equals("cpu") || device.equals("cuda") || device.equals("auto"), "--device must be cpu, cuda or auto, got '" + device + "'");
        require(chunk >= 1, "--chunk must be >= 1, got " + chunk);
        require(checkpointEvery >= 0, "--checkpoint-every must be >= 0, got " + checkpointEvery);
        require(batchSharpness >= 0 && batchSharpness <= 4096, "--batch-sharpness must be in [0, 4096] minibatches (0 = off), got " + batchSharpness);
    }

    /** The architectures {@code model} may name. */
    public static final java.util.List<String> MODELS = java.util.List.of("mlp", "cnn", "resnet14");

    private static void require(boolean ok, String message) {
        if (!ok) throw new UserError(message);
    }

    private static void parse(Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    public Act act() { return Act.parse(activation); }

    public Loss loss() { return Loss.parse(lossName); }

    public DType dtype() { return DType.parse(dtypeName); }

    public TrainConfig withSteps(long newSteps) {
        return new TrainConfig(data, classes, n, nTest, normalization, model, hidden, activation, bias, initScale,
                lossName, optimizer, lr, momentum, weightDecay, batchSize, newSteps, seed, logEvery, topK,
                lanczosSteps, lanczosTol, dtypeName, device, chunk, checkpointEvery, batchSharpness);
    }

    public TrainConfig withLr(double newLr) {
        return new TrainConfig(data, classes, n, nTest, normalization, model, hidden, activation, bias, initScale,
                lossName, optimizer, newLr, momentum, weightDecay, batchSize, steps, seed, logEvery, topK,
                lanczosSteps, lanczosTol, dtypeName, device, chunk, checkpointEvery, batchSharpness);
    }

    /** Ordered map for config.json and checkpoint metadata. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", data);
        m.put("classes", Arrays.stream(classes).boxed().toList());
        m.put("n", n);
        m.put("n_test", nTest);
        m.put("normalization", normalization);
        m.put("model", model);
        m.put("hidden", Arrays.stream(hidden).boxed().toList());
        m.put("activation", activation);
        m.put("bias", bias);
        m.put("init_scale", initScale);
        m.put("loss", lossName);
        m.put("optimizer", optimizer);
        m.put("lr", lr);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("batch_size", batchSize);
        m.put("steps", steps);
        m.put("seed", seed);
        m.put("log_every", logEvery);
        m.put("top_k", topK);
        m.put("lanczos_steps", lanczosSteps);
        m.put("lanczos_tol", lanczosTol);
        m.put("dtype", dtypeName);
        m.put("device", device);
        m.put("chunk", chunk);
        m.put("checkpoint_every", checkpointEvery);
        m.put("batch_sharpness", batchSharpness);
        return m;
    }

    /** Inverse of {@link #toMap()} (numbers may arrive as any Number, arrays as lists). */
    public static TrainConfig fromMap(Map<String, Object> m) {
        try {
            return new TrainConfig(Json.str(m, "data"), ints(m.get("classes")), Json.num(m, "n").intValue(), Json.num(m, "n_test").intValue(),
                    m.get("normalization") == null ? null : m.get("normalization").toString(), Json.str(m, "model"), ints(m.get("hidden")), Json.str(m, "activation"),
                    (Boolean) m.get("bias"), Json.num(m, "init_scale").doubleValue(), Json.str(m, "loss"), Json.str(m, "optimizer"),
                    Json.num(m, "lr").doubleValue(), Json.num(m, "momentum").doubleValue(), Json.num(m, "weight_decay").doubleValue(),
                    Json.num(m, "batch_size").intValue(), Json.num(m, "steps").longValue(), Json.num(m, "seed").longValue(),
                    Json.num(m, "log_every").intValue(), Json.num(m, "top_k").intValue(), Json.num(m, "lanczos_steps").intValue(),
                    Json.num(m, "lanczos_tol").doubleValue(), Json.str(m, "dtype"), Json.str(m, "device"), Json.num(m, "chunk").intValue(),
                    Json.num(m, "checkpoint_every").intValue(),
                    m.get("batch_sharpness") instanceof Number bs ? bs.intValue() : 0);   // absent in runs from before it existed
        } catch (NullPointerException | ClassCastException e) {
            throw new UserError("saved configuration is incomplete or malformed (" + e.getMessage() + ")");
        }
    }

    private static int[] ints(Object o) {
        if (o instanceof int[] a) return a;
        if (o instanceof java.util.List<?> l) return l.stream().mapToInt(x -> ((Number) x).intValue()).toArray();
        return new int[0];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainConfig c && toMap().equals(c.toMap());
    }

    @Override
    public int hashCode() {
        return toMap().hashCode();
    }
}
