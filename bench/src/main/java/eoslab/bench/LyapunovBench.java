package eoslab.bench;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.dynamics.LyapunovTracker;
import eoslab.dynamics.qr.QrMethod;
import eoslab.dynamics.qr.TallQr;
import eoslab.nn.Objective;
import eoslab.optim.Optimizer;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import eoslab.util.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The cost of one step of the Lyapunov tracker (SPEC §4) on a ~100k-parameter MLP, on the CPU,
 * against its parts. Model: MLP 784 → 128 → 10 (ReLU, bias, MSE), 101,770 parameters, float32,
 * full-batch GD over {@code n} Gaussian-cluster examples (784 features, 10 classes).
 *
 * <ul>
 *   <li>{@code trackerStep}: what {@link LyapunovTracker#run} does per step at qrInterval 1: the
 *       optimizer's step with k tangents (gradient and k HVPs in one primal pass, then
 *       δw ← δw − η H δw, w ← w − η∇L) followed by the thin QR of the tangents (CholeskyQR2, float64
 *       Gram);</li>
 *   <li>{@code trainStep}: one plain GD step (k = 0);</li>
 *   <li>{@code hvp}: one Hessian-vector product (no gradient);</li>
 *   <li>{@code hvpBatched}: k HVPs in one batched pass (no gradient);</li>
 *   <li>{@code qr}: the tracker's QR alone.</li>
 * </ul>
 * bench/lyapunov.sh runs this and reports the tracker step as multiples of one HVP and of one
 * training step, the QR's share, and the ratio to (k batched HVPs + QR) (target ≤ 1.2).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class LyapunovBench {
    @Param({"8", "32"})
    public int k;

    @Param({"256"})
    public int n;

    private Objective f;
    private Optimizer opt;
    private TallQr tallQr;
    private Tensor x, tangents, v1, hv1, hvk, qrIn;
    private long t;

    @Setup(Level.Trial)
    public void setup() {
        Backend be = CpuBackend.INSTANCE;
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        TrainConfig cfg = new TrainConfig("gaussian:k=10,dim=784", new int[0], n, 16, null, "mlp", new int[]{128}, "relu", true, 1.0,
                "mse", "gd", 0.01, 0.9, 0, 0, 1000, 0, 1000, 1, 8, 1e-4, "f32", "cpu", 4096, 0);
        Trainer tr = new Trainer(cfg, be, quiet);
        f = tr.train;
        opt = tr.opt;
        long d = opt.dim();
        x = tr.initial().x();
        tangents = LyapunovTracker.randomOrthonormal(be, opt, d, k, 1);   // (k, d)
        qrIn = LyapunovTracker.randomOrthonormal(be, opt, d, k, 2);
        tallQr = TallQr.create(QrMethod.CHOLESKY_QR2, be, DType.F32, d, k, Double.NaN);
        SplittableRandom rng = new SplittableRandom(3);
        double[] v = new double[(int) d];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextGaussian() / Math.sqrt(d);
        v1 = be.fromDoubles(DType.F32, v);
        hv1 = be.zeros(DType.F32, d);
        hvk = be.zeros(DType.F32, k * d);
        // The QR benchmarks must time CholeskyQR2 itself, not its Householder fallback: say which path ran.
        Tensor probe = LyapunovTracker.randomOrthonormal(be, opt, d, k, 4);
        Tensor q = be.zeros(DType.F32, k * d);
        be.copy(qrIn, q);
        opt.step(0, tr.initial().x(), probe, k);
        System.err.printf("LyapunovBench: %d parameters, n=%d, k=%d, %d threads; QR path on a tangent step: %s, on Q: %s%n",
                d, n, k, Parallel.threads(), tallQr.factor(probe).path(), tallQr.factor(q).path());
    }

    @Benchmark
    public Tensor trackerStep() {
        opt.step(t++, x, tangents, k);
        tallQr.factor(tangents);
        return tangents;
    }

    @Benchmark
    public Tensor trainStep() {
        opt.step(t++, x, null, 0);
        return x;
    }

    @Benchmark
    public Tensor hvp() {
        f.evaluate(x, null, null, v1, 1, hv1, null);
        return hv1;
    }

    @Benchmark
    public Tensor hvpBatched() {
        f.evaluate(x, null, null, tangents, k, hvk, null);
        return hvk;
    }

    @Benchmark
    public Tensor qr() {
        tallQr.factor(qrIn);   // qrIn stays orthonormal, so every call does the same work
        return qrIn;
    }

    // ---- interleaved rounds ------------------------------------------------------------------

    /**
     * The same five operations timed in interleaved rounds, for a shared, loaded machine: JMH runs
     * the benchmarks one after another, minutes apart, so a change in the load between them lands
     * in their ratios. Here every round times each operation once (cheap ones repeated to ≥ 50 ms,
     * the order rotated round to round) and the ratios are formed within the round; the report takes
     * medians over rounds. The tracker step is also split into its tangent step (gradient + k HVPs +
     * updates) and its QR, timed inside the same calls.
     *
     * <pre>  java -cp target/benchmarks.jar eoslab.bench.LyapunovBench K N ROUNDS   # one JSON line</pre>
     */
    public static void main(String[] args) {
        LyapunovBench b = new LyapunovBench();
        b.k = Integer.parseInt(args[0]);
        b.n = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        b.setup();
        Runnable[] ops = {b::trackerStep, b::hvp, b::trainStep, b::hvpBatched, b::qr};
        String[] names = {"trackerStep", "hvp", "trainStep", "hvpBatched", "qr"};
        int[] reps = new int[ops.length];
        for (int i = 0; i < ops.length; i++) {                 // warm-up, and repetitions to reach ≥ 50 ms
            double ms = 0;
            for (int w = 0; w < 3; w++) ms = timeMs(ops[i], 1);
            reps[i] = (int) Math.max(1, Math.ceil(50 / Math.max(ms, 1e-3)));
        }
        double[][] ms = new double[ops.length][rounds];
        double[] tangentMs = new double[rounds], qrMs = new double[rounds]; // the tracker step's two halves
        for (int r = 0; r < rounds; r++) {
            for (int j = 0; j < ops.length; j++) {
                int i = (j + r) % ops.length;
                if (i != 0) {
                    ms[i][r] = timeMs(ops[i], reps[i]);
                    continue;
                }
                long tangent = 0, qr = 0;
                for (int rep = 0; rep < reps[0]; rep++) {   // trackerStep(), timed in its two parts
                    long t0 = System.nanoTime();
                    b.opt.step(b.t++, b.x, b.tangents, b.k);
                    long t1 = System.nanoTime();
                    b.tallQr.factor(b.tangents);
                    long t2 = System.nanoTime();
                    tangent += t1 - t0;
                    qr += t2 - t1;
                }
                tangentMs[r] = tangent * 1e-6 / reps[0];
                qrMs[r] = qr * 1e-6 / reps[0];
                ms[0][r] = tangentMs[r] + qrMs[r];
            }
        }
        StringBuilder sb = new StringBuilder("{\"k\": " + b.k + ", \"n\": " + b.n + ", \"threads\": " + Parallel.threads());
        for (int i = 0; i < ops.length; i++) {
            sb.append(", \"").append(names[i]).append("\": [");
            for (int r = 0; r < rounds; r++) sb.append(r == 0 ? "" : ", ").append(ms[i][r]);
            sb.append(']');
        }
        for (String part : new String[]{"trackerTangent", "trackerQr"}) {
            double[] a = part.equals("trackerQr") ? qrMs : tangentMs;
            sb.append(", \"").append(part).append("\": [");
            for (int r = 0; r < rounds; r++) sb.append(r == 0 ? "" : ", ").append(a[r]);
            sb.append(']');
        }
        System.out.println(sb.append('}'));
    }

    /** Milliseconds per call of {@code op}, over {@code reps} calls. */
    private static double timeMs(Runnable op, int reps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) op.run();
        return (System.nanoTime() - t0) * 1e-6 / reps;
    }
}
