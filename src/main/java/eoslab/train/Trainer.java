package eoslab.train;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.data.DataOptions;
import eoslab.data.Dataset;
import eoslab.data.Datasets;
import eoslab.data.Normalization;
import eoslab.data.Split;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.io.JsonlWriter;
import eoslab.io.SafetensorsReader;
import eoslab.io.SafetensorsWriter;
import eoslab.nn.Cnn;
import eoslab.curvature.BatchSharpness;
import eoslab.nn.HessianOperator;
import eoslab.nn.MinibatchHessian;
import eoslab.nn.Mlp;
import eoslab.nn.Objective;
import eoslab.nn.ParamSpec;
import eoslab.nn.ResNet;
import eoslab.nn.Sequential;
import eoslab.optim.BatchSchedule;
import eoslab.optim.DivergedException;
import eoslab.optim.Momentum;
import eoslab.optim.Optimizer;
import eoslab.optim.Sgd;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.UserError;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A training run: the model, data, optimizer and sharpness tracker of a {@link TrainConfig}, and
 * the loop that steps the optimizer, logs metrics on a fixed grid of steps and checkpoints.
 *
 * <p>Every logged quantity is a deterministic function of the configuration, so a run resumed
 * from a checkpoint writes the same metrics.jsonl lines, bit for bit, as one that never stopped:
 * the checkpoint holds the optimizer state and the eigenvectors that warm-start the next
 * Lanczos solve, and the noise is a pure function of (seed, step).
 */
public final class Trainer {
    public static final String CHECKPOINT = "checkpoint.safetensors";
    public static final String METRICS = "metrics.jsonl";
    public static final String CONFIG = "config.json";
    static final String META_STEP = "eoslab.step", META_CONFIG = "eoslab.config", META_ONSET = "eoslab.eos_onset",
            MOMENTUM = "eoslab.optimizer.momentum", EIGVECS = "eoslab.sharpness.eigenvectors";

    public final TrainConfig cfg;
    public final Backend be;
    public final Split split;
    public final Sequential model;
    public final Objective train, test;
    public final Optimizer opt;
    public final SharpnessTracker sharpness;
    /** The minibatches batch sharpness is measured on ({@link #batchSharpnessSchedule()}). */
    private final BatchSchedule bsSchedule;
    private final PrintStream log;

    /** Everything is built and validated here, before any file is written. */
    public Trainer(TrainConfig cfg, Backend be, PrintStream log) {
        this.cfg = cfg;
        this.be = be;
        this.log = log;
        DType dt = cfg.dtype();
        this.split = Datasets.load(cfg.data(), new DataOptions(cfg.classes().length == 0 ? null : cfg.classes(),
                cfg.n(), cfg.nTest(), cfg.normalization() == null ? null : Normalization.parse(cfg.normalization()), cfg.seed()));
        Dataset tr = split.train();
        this.model = buildModel(cfg, tr);
        this.train = new Objective(be, dt, model, cfg.loss(), tr, cfg.chunk());
        this.test = new Objective(be, dt, model, cfg.loss(), split.test(), cfg.chunk());
        BatchSchedule noise = new BatchSchedule(cfg.seed(), tr.n(), cfg.batchSize() == 0 ? tr.n() : cfg.batchSize());
        this.opt = switch (cfg.optimizer()) {
            case "momentum" -> new Momentum(train, cfg.lr(), cfg.momentum(), cfg.weightDecay(), noise);
            default -> new Sgd(train, cfg.lr(), cfg.weightDecay(), noise);
        };
        this.sharpness = new SharpnessTracker(cfg.topK(), cfg.lanczosSteps(), cfg.lanczosTol(), cfg.seed());
        this.bsSchedule = new BatchSchedule(cfg.seed() ^ BATCH_SHARPNESS_SEED, tr.n(), cfg.batchSize() == 0 ? tr.n() : cfg.batchSize());
    }

    /**
     * The network of {@code cfg.model()} for the training set {@code tr}: its input is tr's per-example
     * layout and its output width tr's classes (or regression width). PyTorch module indices, so a
     * checkpoint loads into the matching {@code nn.Sequential} (see {@link Cnn}, {@link ResNet}).
     */
    public static Sequential buildModel(TrainConfig cfg, Dataset tr) {
        return buildModel(cfg.model(), cfg.hidden(), cfg.act(), cfg.bias(), tr);
    }

    /**
     * The model named {@code model} (one of {@link TrainConfig#MODELS}) for data set {@code tr}:
     * {@code hidden} is the MLP's hidden widths, the CNN's (conv1, conv2, conv3, fc) or ResNet-14's
     * stage widths (empty: the paper's), input and output sizes come from the data.
     */
    public static Sequential buildModel(String model, int[] hidden, Act act, boolean bias, Dataset tr) {
        int[] h = hidden;
        return switch (model) {
            case "mlp" -> {
                int[] sizes = new int[h.length + 2];
                sizes[0] = tr.features();
                System.arraycopy(h, 0, sizes, 1, h.length);
                sizes[sizes.length - 1] = tr.outputs();
                yield Mlp.of(sizes, act, bias);
            }
            case "cnn" -> {
                int[] s = imageShape(model, tr);
                int[] c = h.length == 0 ? new int[]{64, 64, 128, 512} : h;
                try {
                    yield Cnn.of(s[0], s[1], s[2], tr.outputs(), c[0], c[1], c[2], c[3], act, bias);
                } catch (IllegalArgumentException e) {
                    throw new UserError("--model cnn on " + tr.name() + ": " + e.getMessage());
                }
            }
            case "resnet14" -> {
                int[] s = imageShape(model, tr);
                int[] widths = h.length == 0 ? new int[]{16, 32, 64} : h;
                try {
                    yield ResNet.of(s[0], s[1], s[2], tr.outputs(), widths, new int[]{2, 2, 2}, bias);
                } catch (IllegalArgumentException e) {
                    throw new UserError("--model resnet14 on " + tr.name() + ": " + e.getMessage());
                }
            }
            default -> throw new UserError("--model must be one of " + String.join(", ", TrainConfig.MODELS) + ", got '" + model + "'");
        };
    }

    /** (C, H, W) of an image data set; convolutional models cannot run on flat features. */
    private static int[] imageShape(String model, Dataset tr) {
        int[] s = tr.shape();
        if (s == null || s.length != 3) {
            throw new UserError("--model " + model + " needs image data with a (C, H, W) shape, but " + tr.name()
                    + " is flat (shape " + java.util.Arrays.toString(s) + "); use --model mlp, or an image set such as fashion-mnist or cifar10:DIR");
        }
        return s;
    }

    /** The run's state at some step: optimizer state plus the step it belongs to. */
    public record State(long step, Tensor x, Long eosOnset) {
    }

    public State initial() {
        return new State(0, opt.initialState(model.init(cfg.seed(), cfg.initScale())), null);
    }

    /** Summary of a finished run. */
    public record Result(List<Map<String, Object>> metrics, Long eosOnsetStep, long stepsDone, double seconds) {
    }

    /**
     * Run from {@code start} to cfg.steps(), logging to {@code dir}/metrics.jsonl (appending) and
     * checkpointing. {@code onLog} sees every metrics record as it is written.
     */
    public Result run(State start, Path dir, Consumer<Map<String, Object>> onLog) throws IOException {
        long t0 = System.nanoTime();
        List<Map<String, Object>> logged = new ArrayList<>();
        Long onset = start.eosOnset();
        Tensor x = start.x();
        long steps = cfg.steps();
        try (JsonlWriter metrics = JsonlWriter.append(dir.resolve(METRICS))) {
            for (long t = start.step(); ; t++) {
                // a checkpoint at t holds the state before anything of step t happens (its metrics
                // line included), so resuming from it re-logs step t exactly as the first time
                if (t == steps || t > start.step() && cfg.checkpointEvery() > 0 && t % cfg.checkpointEvery() == 0) {
                    saveCheckpoint(dir.resolve(CHECKPOINT), new State(t, x, onset));
                }
                if (t % cfg.logEvery() == 0 || t == steps) {
                    Map<String, Object> m = measure(t, x, onset);
                    if (onset == null && Boolean.TRUE.equals(m.get("above_threshold"))) {
                        onset = t;
                        m.put("eos_onset", true);
                    }
                    metrics.write(m);
                    logged.add(m);
                    if (onLog != null) onLog.accept(m);
                    double tl = (Double) m.get("train_loss");
                    if (!Double.isFinite(tl)) throw new DivergedException(t, tl);
                }
                if (t == steps) break;
                opt.step(t, x, null, 0);
            }
        }
        return new Result(logged, onset, steps - start.step(), (System.nanoTime() - t0) * 1e-9);
    }

    /** One metrics record for the state x at step t (see README for the fields). */
    public Map<String, Object> measure(long t, Tensor x, Long onset) {
        Tensor w = opt.params(x);
        double[] tr = train.lossAndAccuracy(w), te = test.lossAndAccuracy(w);
        // a diverged state (non-finite loss) gets no curvature: run() logs the record and stops with DivergedException
        boolean finite = Double.isFinite(tr[0]);
        double[] eig = finite ? sharpness.estimate(new HessianOperator(train, w, null), t) : nans(cfg.topK());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", t);
        m.put("eta_t", opt.lr() * t);
        m.put("train_loss", tr[0]);
        m.put("train_acc", tr[1]);
        m.put("test_loss", te[0]);
        m.put("test_acc", te[1]);
        m.put("lambda_max", eig[0]);
        List<Double> ev = new ArrayList<>();
        for (double e : eig) ev.add(e);
        m.put("eigenvalues", ev);
        if (cfg.batchSharpness() > 0 && finite) {
            BatchSharpness.Estimate bs = batchSharpness(t, w);
            bs.putInto(m);
        }
        m.put("threshold", opt.threshold());
        m.put("above_threshold", eig[0] >= opt.threshold());
        m.put("eos_onset", false);
        m.put("lanczos_iters", finite ? sharpness.lastIterations() : 0);
        return m;
    }

    private static double[] nans(int k) {
        double[] a = new double[k];
        java.util.Arrays.fill(a, Double.NaN);
        return a;
    }

    /** Keeps the batch-sharpness minibatches apart from the training noise ω of the same seed. */
    private static final long BATCH_SHARPNESS_SEED = 0x6b5a_0000_0000_0b5dL;

    /**
     * Where batch sharpness is estimated at log step t: minibatches of the run's size, from a
     * schedule of their own (so logging them never changes the trajectory), batches
     * t·N, …, t·N + N − 1 of it (fresh ones at each log step, a pure function of (seed, t), so a
     * resumed run logs the same values). Full batch: one batch, the whole training set.
     */
    public BatchSchedule batchSharpnessSchedule() {
        return bsSchedule;
    }

    /** The minibatches batch sharpness averages over at step t ({@link #batchSharpnessSchedule()} indices). */
    public long[] batchSharpnessBatches(long t) {
        return BatchSharpness.batchesAt(t, batchSharpnessSchedule().fullBatch() ? 1 : cfg.batchSharpness());
    }

    private BatchSharpness.Estimate batchSharpness(long t, Tensor w) {
        return BatchSharpness.estimate(new MinibatchHessian(train, w, batchSharpnessSchedule()), batchSharpnessBatches(t));
    }

    // ---- checkpoints ---------------------------------------------------------------------------

    /** Write the state atomically: a run killed at any moment leaves the previous checkpoint intact. */
    public void saveCheckpoint(Path file, State s) throws IOException {
        SafetensorsWriter wr = new SafetensorsWriter();
        long d = model.numParams();
        boolean f32 = cfg.dtype() == DType.F32;
        Tensor w = opt.params(s.x());
        for (ParamSpec p : model.params()) {
            long[] shape = java.util.Arrays.stream(p.shape()).mapToLong(i -> i).toArray();
            Tensor v = w.view(p.offset(), p.size());
            if (f32) wr.add(p.name(), v.toFloats(), shape);
            else wr.add(p.name(), v.toDoubles(), shape);
        }
        if (s.x().size > d) {
            Tensor m = s.x().view(d, s.x().size - d);
            if (f32) wr.add(MOMENTUM, m.toFloats(), m.size);
            else wr.add(MOMENTUM, m.toDoubles(), m.size);
        }
        Tensor vecs = sharpness.vectors();
        if (vecs != null) {
            if (f32) wr.add(EIGVECS, vecs.toFloats(), sharpness.vectorCount(), d);
            else wr.add(EIGVECS, vecs.toDoubles(), sharpness.vectorCount(), d);
        }
        wr.metadata(META_STEP, Long.toString(s.step()));
        wr.metadata(META_CONFIG, Json.line(cfg.toMap()));
        if (s.eosOnset() != null) wr.metadata(META_ONSET, Long.toString(s.eosOnset()));
        wr.metadata("format", "pt");
        wr.write(file);
    }

    /** The configuration stored in a checkpoint. */
    public static TrainConfig configOf(Path checkpoint) {
        Map<String, Object> m = SafetensorsReader.metadataObject(checkpoint, META_CONFIG);
        if (m == null) throw new UserError(checkpoint + ": not an eoslab training checkpoint (no " + META_CONFIG + " metadata)");
        return TrainConfig.fromMap(m);
    }

    /** Restore the state (and the sharpness tracker's warm start) from a checkpoint of this run. */
    public State loadCheckpoint(Path file) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            String stepStr = r.metadata().get(META_STEP);
            if (stepStr == null) throw new UserError(file + ": not an eoslab training checkpoint (no step)");
            long step = Long.parseLong(stepStr);
            long d = model.numParams();
            double[] x = new double[(int) opt.dim()];
            for (ParamSpec p : model.params()) {
                long[] shape = java.util.Arrays.stream(p.shape()).mapToLong(i -> i).toArray();
                double[] v = r.doubles(p.name(), shape);
                System.arraycopy(v, 0, x, (int) p.offset(), v.length);
            }
            if (opt.dim() > d) {
                double[] m = r.doubles(MOMENTUM, opt.dim() - d);
                System.arraycopy(m, 0, x, (int) d, m.length);
            }
            if (r.has(EIGVECS)) {
                long[] sh = r.shape(EIGVECS);
                sharpness.setVectors(be.fromDoubles(cfg.dtype(), r.doubles(EIGVECS)), (int) sh[0]);
            }
            String on = r.metadata().get(META_ONSET);
            return new State(step, be.fromDoubles(cfg.dtype(), x), on == null ? null : Long.parseLong(on));
        }
    }

    /** Write config.json (resolved configuration, data provenance, device) atomically. */
    public void writeConfig(Path dir) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>(cfg.toMap());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("backend", be.name());
        r.put("gemm_precision", be.gemmPrecision().label);
        r.put("train_examples", train.n());
        r.put("test_examples", test.n());
        r.put("parameters", model.numParams());
        r.put("model", model.describe());
        r.put("data_source", split.source());
        r.put("threshold", opt.threshold());
        m.put("resolved", r);
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.pretty(m));
    }

    public PrintStream log() {
        return log;
    }
}
