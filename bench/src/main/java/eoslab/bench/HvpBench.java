package eoslab.bench;

import eoslab.backend.Act;
import eoslab.backend.CpuBackend;
import eoslab.data.Dataset;
import eoslab.nn.Loss;
import eoslab.nn.Mlp;
import eoslab.nn.Model;
import eoslab.nn.Objective;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One exact Hessian-vector product against one gradient on a ~1M-parameter MLP
 * (784-1024-256-10, ReLU, MSE, 1,068,810 parameters) over a batch of 512 examples, float32.
 * {@code gradient}: loss and ∇L. {@code hvp}: one forward-over-reverse product Hv (forward,
 * backward, and the two R-passes). {@code gradientAndHvp}: both from one shared primal pass, as
 * GD's tangent map uses. {@code hvp8}: eight directions in one pass. bench/hvp.sh reports the
 * ratios to {@code gradient}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class HvpBench {
    @Param({"2"})
    public int threads;

    private Objective f;
    private Tensor w, g, v1, hv1, v8, hv8;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        CpuBackend be = CpuBackend.INSTANCE;
        int n = 512, in = 784, classes = 10;
        Random r = new Random(1);
        float[] x = new float[n * in];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(classes);
        Model m = Mlp.of(new int[]{in, 1024, 256, classes}, Act.RELU, true);
        f = new Objective(be, DType.F32, m, Loss.MSE, new Dataset("bench", x, y, n, in, classes), n);
        w = be.fromDoubles(DType.F32, m.init(0, 1.0));
        int d = m.numParams();
        g = be.zeros(DType.F32, d);
        double[] v = new double[8 * d];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        v8 = be.fromDoubles(DType.F32, v);
        v1 = v8.view(0, d);
        hv1 = be.zeros(DType.F32, d);
        hv8 = be.zeros(DType.F32, 8L * d);
    }

    @Benchmark
    public double gradient() {
        return f.evaluate(w, null, g, null, 0, null, null);
    }

    @Benchmark
    public double hvp() {
        return f.evaluate(w, null, null, v1, 1, hv1, null);
    }

    @Benchmark
    public double gradientAndHvp() {
        return f.evaluate(w, null, g, v1, 1, hv1, null);
    }

    @Benchmark
    public double hvp8() {
        return f.evaluate(w, null, null, v8, 8, hv8, null);
    }
}
