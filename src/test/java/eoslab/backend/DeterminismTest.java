package eoslab.backend;

import eoslab.data.Dataset;
import eoslab.nn.Activation;
import eoslab.nn.Conv2d;
import eoslab.nn.Layer;
import eoslab.nn.Linear;
import eoslab.nn.Loss;
import eoslab.nn.MaxPool2d;
import eoslab.nn.Model;
import eoslab.nn.Objective;
import eoslab.nn.ResNet;
import eoslab.nn.Sequential;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * "Reproducible to the bit": a CPU result may not depend on the thread count, on which thread runs
 * a task, on what earlier calls left in scratch buffers, or on the JIT. Tolerance everywhere: 0
 * (raw bits compared).
 *
 * <p>The JIT case is the one that broke: the GEMM dot path summed its vector lanes with
 * {@code reduceLanes(ADD)}, whose order is unspecified; JDK 25 on x86 adds the lanes sequentially
 * in the interpreter and C1 but in a halving tree once C2 compiles the kernel, so a gradient changed
 * in the last bit (2.8e-17) between two calls of {@code ConvFiniteDifferenceTest} when the compile
 * landed between them (more likely on a loaded machine, where C2 runs late). A JVM's JIT state
 * cannot be chosen from inside, so two tests pin it from both sides:
 * {@link #gemmPathsFollowTheirDocumentedSummationOrder} checks the kernels bit for bit against a
 * scalar reference of the documented order (it catches the interpreted and C1 state, e.g. on a
 * fresh JVM), and {@link #interpretedRunGivesTheSameBitsAsThisJvm} runs a workload in a child JVM
 * with {@code -Xint} and compares it with this (warmed-up) JVM (it catches the C2 state).
 */
class DeterminismTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final int FL = FloatVector.SPECIES_PREFERRED.length();
    static final int DL = DoubleVector.SPECIES_PREFERRED.length();
    private final int threadsBefore = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(threadsBefore);
    }

    // ---- 1. every GEMM path against a scalar reference of its documented order -------------------

    /**
     * One product C = alpha op(A) op(B) + beta C (batched with strides), chosen to hit a given path
     * of {@link CpuGemm}: dot (A rows contiguous in k), columns (A stored transposed) or packed.
     */
    record Gemm(boolean ta, boolean tb, int m, int n, int k, int batch, double alpha, double beta) {
        int lda() { return ta ? m + 1 : k + 2; }   // padded leading dimensions: strides are exercised too

        int ldb() { return tb ? k + 3 : n + 1; }

        int ldc() { return n + 2; }

        int sa() { return (ta ? k : m) * lda() + 1; }

        int sb() { return (tb ? n : k) * ldb(); }

        int sc() { return m * ldc() + 3; }

        double a(double[] x, int b, int i, int p) { return x[b * sa() + (ta ? p * lda() + i : i * lda() + p)]; }

        double b(double[] x, int bt, int p, int j) { return x[bt * sb() + (tb ? j * ldb() + p : p * ldb() + j)]; }
    }

    /** Dot path: vector FMA chains per lane, lanes summed in a halving tree, then the scalar tail. */
    static List<Gemm> dotCases(int lanes) {
        return List.of(new Gemm(false, true, 5, 7, 3 * lanes + 5, 1, 1, 0),
                new Gemm(false, false, 9, 6, 2 * lanes + 3, 3, 0.75, 0.5),
                new Gemm(false, true, 3, 2, lanes - 1, 2, 1, 0),       // k below one vector: scalar only
                new Gemm(false, false, 37, 3, 4 * lanes + 1, 1, 1, 1)); // 3 row tasks
    }

    /** Columns path (A stored transposed): one FMA chain over k per element. */
    static List<Gemm> columnCases(int lanes) {
        return List.of(new Gemm(true, false, 13, 5, 11, 1, 1, 0),
                new Gemm(true, true, 4 * lanes + 3, 3, 2 * lanes + 1, 2, -0.5, 0.25));
    }

    /** Packed path, one K-block (k at most 128): alpha·A packed, one FMA chain, then added to beta·C. */
    static List<Gemm> packedCases(int lanes) {
        return List.of(new Gemm(false, false, 40, 4 * lanes + 5, 100, 1, 1, 0),
                new Gemm(true, true, 80, 2 * lanes + 1, 97, 2, 1, 0.5),
                new Gemm(false, true, 30, 5 * lanes, 120, 3, 1, 1));
    }

    /** Random A, B, C (C with its padding) for g, as doubles (exact in float32 for F32). */
    static double[][] operands(Gemm g, long seed) {
        Random r = new Random(seed);
        double[][] abc = {new double[g.batch() * g.sa() + 1], new double[g.batch() * g.sb() + 1], new double[g.batch() * g.sc() + 1]};
        for (double[] x : abc) for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return abc;
    }

    /** C through the backend. */
    static double[] run(Gemm g, DType dt, double[][] abc) {
        Tensor a = BE.fromDoubles(dt, abc[0]), b = BE.fromDoubles(dt, abc[1]), c = BE.fromDoubles(dt, abc[2]);
        BE.gemm(g.ta(), g.tb(), g.m(), g.n(), g.k(), g.alpha(), a, g.lda(), g.sa(), b, g.ldb(), g.sb(),
                g.beta(), c, g.ldc(), g.sc(), g.batch());
        return c.toDoubles();
    }

    enum Path { DOT, COLUMNS, PACKED }

    /** The documented order of each path in float64, in scalar Java (whose rounding the JLS fixes). */
    static double[] referenceF64(Gemm g, Path path, double[][] abc) {
        double[] c = abc[2].clone();
        for (int bt = 0; bt < g.batch(); bt++)
            for (int i = 0; i < g.m(); i++)
                for (int j = 0; j < g.n(); j++) {
                    int ci = bt * g.sc() + i * g.ldc() + j;
                    double s;
                    if (path == Path.DOT) {
                        double[] lane = new double[DL];
                        int p = 0;
                        for (; g.k() >= DL && p <= g.k() - DL; p += DL)
                            for (int l = 0; l < DL; l++) lane[l] = Math.fma(g.a(abc[0], bt, i, p + l), g.b(abc[1], bt, p + l, j), lane[l]);
                        for (int h = DL / 2; h > 0; h /= 2) for (int l = 0; l < h; l++) lane[l] += lane[l + h];
                        s = lane[0];
                        for (; p < g.k(); p++) s += g.a(abc[0], bt, i, p) * g.b(abc[1], bt, p, j);
                        s *= g.alpha();
                        c[ci] = g.beta() == 0 ? s : s + g.beta() * c[ci];
                    } else if (path == Path.COLUMNS) {
                        s = 0;
                        for (int p = 0; p < g.k(); p++) s = Math.fma(g.a(abc[0], bt, i, p), g.b(abc[1], bt, p, j), s);
                        s *= g.alpha();
                        c[ci] = g.beta() == 0 ? s : s + g.beta() * c[ci];
                    } else {
                        s = 0;
                        for (int p = 0; p < g.k(); p++) s = Math.fma(g.alpha() * g.a(abc[0], bt, i, p), g.b(abc[1], bt, p, j), s);
                        c[ci] = g.beta() == 0 ? s : s + (g.beta() == 1 ? c[ci] : g.beta() * c[ci]);
                    }
                }
        return c;
    }

    /** The same in float32 arithmetic. */
    static double[] referenceF32(Gemm g, Path path, double[][] abc) {
        double[] c = abc[2].clone();
        float alpha = (float) g.alpha(), beta = (float) g.beta();
        for (int bt = 0; bt < g.batch(); bt++)
            for (int i = 0; i < g.m(); i++)
                for (int j = 0; j < g.n(); j++) {
                    int ci = bt * g.sc() + i * g.ldc() + j;
                    float s, old = (float) c[ci];
                    if (path == Path.DOT) {
                        float[] lane = new float[FL];
                        int p = 0;
                        for (; g.k() >= FL && p <= g.k() - FL; p += FL)
                            for (int l = 0; l < FL; l++)
                                lane[l] = Math.fma((float) g.a(abc[0], bt, i, p + l), (float) g.b(abc[1], bt, p + l, j), lane[l]);
                        for (int h = FL / 2; h > 0; h /= 2) for (int l = 0; l < h; l++) lane[l] += lane[l + h];
                        s = lane[0];
                        for (; p < g.k(); p++) s += (float) g.a(abc[0], bt, i, p) * (float) g.b(abc[1], bt, p, j);
                        s *= alpha;
                        c[ci] = beta == 0 ? s : s + beta * old;
                    } else if (path == Path.COLUMNS) {
                        s = 0;
                        for (int p = 0; p < g.k(); p++) s = Math.fma((float) g.a(abc[0], bt, i, p), (float) g.b(abc[1], bt, p, j), s);
                        s *= alpha;
                        c[ci] = beta == 0 ? s : s + beta * old;
                    } else {
                        s = 0;
                        for (int p = 0; p < g.k(); p++)
                            s = Math.fma(alpha * (float) g.a(abc[0], bt, i, p), (float) g.b(abc[1], bt, p, j), s);
                        c[ci] = beta == 0 ? s : s + (beta == 1 ? old : beta * old);
                    }
                }
        return c;
    }

    /**
     * Bit for bit against the scalar reference, repeated so that on a fresh JVM the kernels go from
     * interpreted to compiled during the test (with {@code reduceLanes} the interpreted calls failed).
     */
    @Test
    void gemmPathsFollowTheirDocumentedSummationOrder() {
        Parallel.setThreads(2);
        for (DType dt : new DType[]{DType.F64, DType.F32}) {
            int lanes = dt == DType.F64 ? DL : FL;
            List<Object[]> cases = new ArrayList<>();
            for (Gemm g : dotCases(lanes)) cases.add(new Object[]{g, Path.DOT});
            for (Gemm g : columnCases(lanes)) cases.add(new Object[]{g, Path.COLUMNS});
            for (Gemm g : packedCases(lanes)) cases.add(new Object[]{g, Path.PACKED});
            long seed = 1;
            for (Object[] cs : cases) {
                Gemm g = (Gemm) cs[0];
                Path path = (Path) cs[1];
                // CpuGemm.usePacked: at least 32^3 multiply-adds and n of at least one vector
                boolean packed = (long) g.m() * g.n() * g.k() >= 32 * 32 * 32 && g.n() >= lanes;
                assertEquals(path == Path.PACKED, packed, g + " takes the " + path + " path");
                double[][] abc = operands(g, seed++);
                double[] want = dt == DType.F64 ? referenceF64(g, path, abc) : referenceF32(g, path, abc);
                int reps = path == Path.PACKED ? 20 : 400;
                for (int rep = 0; rep < reps; rep++) assertBitsEqual(want, run(g, dt, abc), dt + " " + path + " " + g + " call " + rep);
            }
        }
    }

    // ---- 2. thread count, history and caller ---------------------------------------------------

    /** Models and data reused across calls, so scratch buffers carry whatever earlier calls left. */
    static final class Work {
        final Objective conv, convStrided, resnet, pool;

        Work() {
            conv = objective(around(new Conv2d(2, 3, 5, 5, 3, 1, 1, true), 2, 5, 5), Loss.CE, 11, 4);
            convStrided = objective(around(new Conv2d(3, 4, 7, 6, 3, 2, 1, true), 3, 7, 6), Loss.MSE, 9, 9);
            resnet = objective(ResNet.of(4, 6, 6, 3, new int[]{2, 3, 4}, new int[]{2, 2, 1}, true), Loss.CE, 7, 3);
            pool = objective(around(new MaxPool2d(2, 5, 5, 2), 2, 5, 5), Loss.CE, 6, 4);
        }

        /** Everything concatenated: GEMMs of odd shapes on every path, then gradient + 3 HVPs + plain gradient per model. */
        double[] all(boolean withGemm) {
            List<double[]> parts = new ArrayList<>();
            if (withGemm) {
                for (DType dt : new DType[]{DType.F64, DType.F32}) {
                    int lanes = dt == DType.F64 ? DL : FL;
                    List<Gemm> gs = new ArrayList<>(dotCases(lanes));
                    gs.addAll(columnCases(lanes));
                    gs.addAll(packedCases(lanes));
                    gs.add(new Gemm(false, false, 131, 3 * lanes + 7, 301, 1, 1, 0));   // packed, several K-blocks and row blocks
                    gs.add(new Gemm(true, false, 67, 2 * lanes + 3, 45, 5, 0.5, 0.5)); // packed, batched one per task
                    gs.add(new Gemm(false, true, 150, 3, 70, 2, 1, 0));                // dot, 10 row tasks
                    long seed = 100;
                    for (Gemm g : gs) parts.add(run(g, dt, operands(g, seed++)));
                }
            }
            for (Objective f : new Objective[]{conv, convStrided, resnet, pool}) parts.addAll(gradHvp(f, 3, 5));
            int len = 0;
            for (double[] p : parts) len += p.length;
            double[] out = new double[len];
            int o = 0;
            for (double[] p : parts) {
                System.arraycopy(p, 0, out, o, p.length);
                o += p.length;
            }
            return out;
        }

        /** Other shapes through the same models: more directions, a subset of rows. */
        void disturb(int salt) {
            int[] rows = {salt % 3, 2, 4};
            for (Objective f : new Objective[]{conv, convStrided, resnet, pool}) {
                int p = f.model().numParams(), k = 4 + salt % 2;
                Tensor w = BE.fromDoubles(DType.F64, f.model().init(50 + salt, 1.0));
                Tensor v = BE.fromDoubles(DType.F64, gaussian(k * p, new Random(salt)));
                f.evaluate(w, rows, BE.zeros(DType.F64, p), v, k, BE.zeros(DType.F64, (long) k * p), null);
            }
            Gemm g = new Gemm(false, false, 41 + salt, 29, 77, 2, 1, 0);
            run(g, DType.F32, operands(g, salt));
        }
    }

    static Objective objective(Model m, Loss loss, int n, int chunk) {
        Random r = new Random(n);
        float[] x = new float[n * m.inputSize()];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(m.outputSize());
        return new Objective(BE, DType.F64, m, loss, new Dataset("random", x, y, n, m.inputSize(), m.outputSize()), chunk);
    }

    /** pre-conv → tanh → layer → tanh → Linear(·, 3), as in ConvFiniteDifferenceTest. */
    static Sequential around(Layer l, int inC, int h, int w) {
        Conv2d pre = new Conv2d(inC, inC, h, w, 3, 1, 1, true);
        return new Sequential(List.of(pre, new Activation(Act.TANH, pre.outSize()), l,
                new Activation(Act.TANH, l.outSize()), new Linear(l.outSize(), 3, true)), l.toString());
    }

    static double[] gaussian(int len, Random r) {
        double[] v = new double[len];
        for (int i = 0; i < len; i++) v[i] = r.nextGaussian();
        return v;
    }

    /** [gradient from the shared pass, k HVPs, plain gradient]; the first and last must agree (the failure seen). */
    static List<double[]> gradHvp(Objective f, int k, long seed) {
        int p = f.model().numParams();
        Tensor w = BE.fromDoubles(DType.F64, f.model().init(seed, 1.0));
        Tensor v = BE.fromDoubles(DType.F64, gaussian(k * p, new Random(seed)));
        Tensor g = BE.zeros(DType.F64, p), hv = BE.zeros(DType.F64, (long) k * p), plain = BE.zeros(DType.F64, p);
        f.evaluate(w, null, g, v, k, hv, null);
        f.evaluate(w, null, plain, null, 0, null, null);
        assertBitsEqual(g.toDoubles(), plain.toDoubles(), f.model().describe() + ": gradient of the shared pass vs plain gradient");
        return List.of(g.toDoubles(), hv.toDoubles(), plain.toDoubles());
    }

    /**
     * The same results, bit for bit, under 1 to 4 threads in a scrambled order, after calls of other
     * shapes through the same models, and called from the test thread, from inside a pool worker
     * (nested {@code Parallel.forEach} runs inline) and from a foreign pool's worker.
     */
    @Test
    void sameBitsForAnyThreadCountHistoryAndCaller() throws Exception {
        Parallel.setThreads(1);
        double[] want = new Work().all(true);
        Work work = new Work();
        int salt = 0;
        for (int threads : new int[]{3, 1, 4, 2}) {
            Parallel.setThreads(threads);
            work.disturb(salt++);
            assertBitsEqual(want, work.all(true), threads + " threads, test thread");
            if (threads > 1) {
                double[][] got = new double[1][];
                Parallel.forEach(2, i -> { if (i == 1) got[0] = work.all(true); }); // inside a pool worker
                assertBitsEqual(want, got[0], threads + " threads, inside a pool worker");
            }
            work.disturb(salt++);
            double[] fromCommon = ForkJoinPool.commonPool().submit(() -> work.all(true)).get(60, TimeUnit.SECONDS);
            assertBitsEqual(want, fromCommon, threads + " threads, from a common-pool worker");
        }
    }

    // ---- 3. interpreter against this JVM's JIT -------------------------------------------------

    /** Small enough for -Xint (the Vector API is slow when interpreted): the failing conv case and small GEMMs. */
    static double[] smallWorkload() {
        List<double[]> parts = new ArrayList<>();
        for (DType dt : new DType[]{DType.F64, DType.F32}) {
            int lanes = dt == DType.F64 ? DL : FL;
            long seed = 7;
            for (Gemm g : dotCases(lanes)) parts.add(run(g, dt, operands(g, seed++)));
            for (Gemm g : columnCases(lanes)) parts.add(run(g, dt, operands(g, seed++)));
            Gemm packed = packedCases(lanes).get(0);
            parts.add(run(packed, dt, operands(packed, seed)));
        }
        Objective conv = objective(around(new Conv2d(2, 3, 5, 5, 3, 1, 1, true), 2, 5, 5), Loss.CE, 5, 5);
        parts.addAll(gradHvp(conv, 2, 3));
        int len = 0;
        for (double[] p : parts) len += p.length;
        double[] out = new double[len];
        int o = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** Entry point of the -Xint child: prints the raw bits of {@link #smallWorkload()}, one hex word each. */
    public static final class InterpretedChild {
        public static void main(String[] args) {
            StringBuilder sb = new StringBuilder("BITS");
            for (double d : smallWorkload()) sb.append(' ').append(Long.toHexString(Double.doubleToRawLongBits(d)));
            System.out.println(sb);
        }
    }

    @Test
    void interpretedRunGivesTheSameBitsAsThisJvm() throws Exception {
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(javaBin, "-Xint", "--add-modules", "jdk.incubator.vector", "-Deoslab.threads=1",
                "-cp", System.getProperty("java.class.path"), InterpretedChild.class.getName())
                .redirectErrorStream(true).start();
        // meanwhile warm up here, so that C2 compiles the kernels (thousands of calls of each)
        Parallel.setThreads(2);
        double[] here = null;
        for (int rep = 0; rep < 200; rep++) here = smallWorkload();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        child.getInputStream().transferTo(out);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the -Xint child did not finish");
        String text = out.toString(StandardCharsets.UTF_8);
        String line = text.lines().filter(s -> s.startsWith("BITS")).findFirst()
                .orElseThrow(() -> new AssertionError("the -Xint child printed no result (exit " + child.exitValue() + "):\n" + text));
        String[] words = line.substring(5).split(" ");
        double[] interpreted = new double[words.length];
        for (int i = 0; i < words.length; i++) interpreted[i] = Double.longBitsToDouble(Long.parseUnsignedLong(words[i], 16));
        assertBitsEqual(interpreted, here, "-Xint child vs this JVM after warm-up");
    }

    static void assertBitsEqual(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (Double.doubleToRawLongBits(want[i]) != Double.doubleToRawLongBits(got[i])) {
                fail(what + ": element " + i + " of " + want.length + " is " + got[i] + ", expected " + want[i]
                        + " (differs by " + (got[i] - want[i]) + ")");
            }
        }
    }
}
