package eoslab.bench;

import eoslab.backend.CpuBackend;
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
 * C (n, n) = A (n, n) B (n, n) through the engine's entry point, {@code CpuBackend.gemm}, in
 * float32 (SGEMM) and float64 (DGEMM). Score: milliseconds per product; GFLOP/s = 2 n^3 / time.
 * bench/gemm.sh runs this next to numpy/OpenBLAS and reports medians and the ratio.
 *
 * <p>{@code threads} sets the engine's pool ({@link Parallel#setThreads}); JMH itself runs one
 * benchmark thread, which hands the blocks of C to the pool.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class GemmBench {
    @Param({"1024"})
    public int n;

    @Param({"1", "2"})
    public int threads;

    private Tensor a32, b32, c32, a64, b64, c64;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        CpuBackend be = CpuBackend.INSTANCE;
        Random rnd = new Random(42);
        double[] a = new double[n * n], b = new double[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextDouble() * 2 - 1;
            b[i] = rnd.nextDouble() * 2 - 1;
        }
        a32 = be.fromDoubles(DType.F32, a);
        b32 = be.fromDoubles(DType.F32, b);
        c32 = be.zeros(DType.F32, (long) n * n);
        a64 = be.fromDoubles(DType.F64, a);
        b64 = be.fromDoubles(DType.F64, b);
        c64 = be.zeros(DType.F64, (long) n * n);
    }

    @Benchmark
    public Tensor sgemm() {
        CpuBackend.INSTANCE.gemm(false, false, n, n, n, 1.0, a32, n, b32, n, 0.0, c32, n);
        return c32;
    }

    @Benchmark
    public Tensor dgemm() {
        CpuBackend.INSTANCE.gemm(false, false, n, n, n, 1.0, a64, n, b64, n, 0.0, c64, n);
        return c64;
    }
}
