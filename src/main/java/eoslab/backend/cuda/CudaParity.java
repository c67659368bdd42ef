package eoslab.backend.cuda;

import eoslab.backend.Act;
import eoslab.backend.AdamWCoefficients;
import eoslab.backend.Backend;
import eoslab.backend.GemmPrecision;
import eoslab.gpt.AttentionKernels;
import eoslab.gpt.TransformerKernels;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs every {@link Backend} operation on a device backend and on the reference (CpuBackend) with
 * the same random inputs, and compares every output with {@code |dev − ref| ≤ atol + rtol·|ref|}
 * (llm.c's validate_result). Used by CudaBackendParityTest (which fails the build on a mismatch)
 * and by {@code eoslab doctor}. It only uses the Backend interface, so it also runs CPU against
 * CPU, which is how its own tests check it on machines without a GPU.
 *
 * <p>Tolerances, per dtype and kind of op (stated once, here):
 * <ul>
 * <li>EXACT (copies, fill, gather, axpby, mul, addBias, and the conv/pool ops: im2col, col2im,
 *     addChannelBias, maxPool2d, gatherIndexed, scatterIndexed; col2im and scatterIndexed sum in
 *     the CPU's order and are in fact bit-identical to it): F32 atol 0, rtol 0 for copies;
 *     arithmetic F32 atol 1e-7, rtol 1e-6 (one float rounding); F64 atol 1e-15, rtol 1e-13;
 * <li>TRANSCENDENTAL (activations, softmax, MSE, rows/CE outputs): tanh/exp/log differ by an ulp
 *     between CUDA's libdevice and Java: F32 atol 1e-6, rtol 1e-5; F64 atol 1e-13, rtol 1e-11;
 * <li>REDUCTION (dot, sumRows, sumChannels, loss sums; float64 accumulation, different order):
 *     F32 atol 1e-6, rtol 1e-6 (outputs rounded to float), F64 atol 1e-12, rtol 1e-11;
 * <li>GEMM (k ≤ 64, entries ~N(0,1); cuBLAS and the CPU sum in different orders, F32 without TF32):
 *     F32 atol 1e-4, rtol 1e-4; F64 atol 1e-12, rtol 1e-11.
 * </ul>
 * The GPT-2 kernels ({@link TransformerKernels}) are cases too: gptEmbedding (EXACT), gptLayerNorm and
 * gptLayerNormR (REDUCTION), gptSoftmaxCausal (TRANSCENDENTAL); and every other kernel family:
 * <ul>
 * <li>adamw (adamwUpdate + adamwTangents, kernels/optim.cu): TRANSCENDENTAL (a square root and a
 *     division per element; bit-identical on the host emulator, AdamWChecks);
 * <li>gram (one-pass float64 Gram of k vectors, the CholeskyQR kernel): REDUCTION;
 * <li>linearBias (a linear layer's forward y = x Wᵀ + b, {@link Backend#linearForward}: cuBLAS GEMM +
 *     addBias, or cuBLASLt's bias epilogue with -Deoslab.cuda.lt=true) and linearGelu (the same then
 *     GELU, {@link Backend#linearForwardAct}: cuBLASLt's GELU_AUX_BIAS epilogue with the property): GEMM;
 * <li>qrApply (one CholeskyQR pass V ← V U with the Gram of the result, applyUpperAndGram;
 *     k = 40 takes the k &gt; 32 kernels): REDUCTION (V agrees to the bit, GramQrChecks);
 * <li>attention (the fused causal attention of kernels/attention.cu: forward y and lse, backward,
 *     R-forward, R-backward, via {@link AttentionKernels#of}): ATTENTION, F32 atol 1e-4, rtol 2e-4
 *     (the kernels accumulate in float, the reference in double; outputs are O(1), up to ~10 for
 *     dqkv), F64 atol 1e-11, rtol 1e-10 (summation order only), as AttentionEmulatorMain;
 * <li>gemmBf16 / gemmTf32 (F32 GEMM with {@link GemmPrecision#BF16} / {@link GemmPrecision#TF32}
 *     operands on both sides): the output is C / S elementwise with S = Σ_l |a_il||b_lj| in float64
 *     on the host, and the tolerance is GemmPrecisionChecks' bound for real cuBLAS,
 *     |dev − cpu| ≤ (6u + 5u² + γ)·S with γ = (3K + 8)·2⁻²⁴ (each side within its own conversion
 *     error of the exact product, the GPU's conversion possibly truncating): atol 6u + 5u² + γ,
 *     rtol 0, at K = 64 (u = 2⁻⁸ bf16, 2⁻¹¹ TF32). F64 ignores the precision (GEMM tolerance).
 * </ul>
 */
public final class CudaParity {
    private CudaParity() {
    }

    public enum Kind {
        EXACT, TRANSCENDENTAL, REDUCTION, GEMM, ATTENTION, GEMM_BF16, GEMM_TF32
    }

    /** K of the gemmBf16 / gemmTf32 cases, on which their tolerance depends (γ). */
    static final int LOW_PRECISION_K = 64;

    public record Tolerance(double atol, double rtol) {
        public Tolerance {
            if (!(atol >= 0) || !(rtol >= 0)) throw new IllegalArgumentException("tolerances must be >= 0: " + atol + ", " + rtol);
        }
    }

    public static Tolerance tolerance(Kind kind, DType dtype) {
        boolean f32 = dtype == DType.F32;
        return switch (kind) {
            case EXACT -> f32 ? new Tolerance(1e-7, 1e-6) : new Tolerance(1e-15, 1e-13);
            case TRANSCENDENTAL -> f32 ? new Tolerance(1e-6, 1e-5) : new Tolerance(1e-13, 1e-11);
            case REDUCTION -> f32 ? new Tolerance(1e-6, 1e-6) : new Tolerance(1e-12, 1e-11);
            case GEMM -> f32 ? new Tolerance(1e-4, 1e-4) : new Tolerance(1e-12, 1e-11);
            case ATTENTION -> f32 ? new Tolerance(1e-4, 2e-4) : new Tolerance(1e-11, 1e-10);
            case GEMM_BF16, GEMM_TF32 -> {
                if (!f32) yield tolerance(Kind.GEMM, dtype);
                double u = (kind == Kind.GEMM_BF16 ? GemmPrecision.BF16 : GemmPrecision.TF32).unitRoundoff();
                yield new Tolerance(6 * u + 5 * u * u + (3.0 * LOW_PRECISION_K + 8) * 0x1p-24, 0);
            }
        };
    }

    /**
     * One comparison: the worst element's error and its ratio to the allowed error (ok iff ≤ 1).
     * {@code detail} names the output and element of the worst mismatch, or the exception thrown.
     */
    public record Result(String op, DType dtype, double maxAbsError, double worstRatio, boolean ok, String detail) {
        @Override
        public String toString() {
            return String.format("%-28s %-3s %s  max|err| %.3g  err/tol %.3g%s", op, dtype, ok ? "ok  " : "FAIL",
                    maxAbsError, worstRatio, detail.isEmpty() ? "" : "  " + detail);
        }
    }

    /** What one side of a case produced: named outputs (all brought to the host). */
    private interface Case {
        Map<String, double[]> run(Backend b, DType dt, SplittableRandom rnd);
    }

    private record Named(String name, Kind kind, Case body) {
    }

    private static final List<Named> CASES = cases();

    /** The case names, in run order. */
    public static List<String> names() {
        return CASES.stream().map(Named::name).toList();
    }

    /** Run every case for F32 and F64. */
    public static List<Result> runAll(Backend device, Backend reference, long seed) {
        List<Result> out = new ArrayList<>();
        for (Named c : CASES) {
            for (DType dt : new DType[] {DType.F32, DType.F64}) out.add(run(c, dt, device, reference, seed));
        }
        return out;
    }

    /** Run the case called {@code name} (see {@link #names()}). */
    public static Result run(String name, DType dtype, Backend device, Backend reference, long seed) {
        for (Named c : CASES) if (c.name.equals(name)) return run(c, dtype, device, reference, seed);
        throw new IllegalArgumentException("no parity case named " + name + " (have " + names() + ")");
    }

    private static Result run(Named c, DType dt, Backend device, Backend reference, long seed) {
        Map<String, double[]> want, got;
        try {
            want = c.body.run(reference, dt, new SplittableRandom(seed));
        } catch (RuntimeException e) {
            return new Result(c.name, dt, Double.NaN, Double.POSITIVE_INFINITY, false, "reference threw " + e);
        }
        try {
            got = c.body.run(device, dt, new SplittableRandom(seed));
        } catch (RuntimeException e) {
            return new Result(c.name, dt, Double.NaN, Double.POSITIVE_INFINITY, false, device.name() + " threw " + e);
        }
        return compare(c.name, dt, tolerance(c.kind, dt), want, got);
    }

    /** Compare named outputs element by element with atol + rtol·|ref|; NaN matches only NaN. */
    static Result compare(String op, DType dt, Tolerance tol, Map<String, double[]> want, Map<String, double[]> got) {
        double maxErr = 0, worst = 0;
        String detail = "";
        for (Map.Entry<String, double[]> e : want.entrySet()) {
            double[] w = e.getValue(), g = got.get(e.getKey());
            if (g == null || g.length != w.length) {
                return new Result(op, dt, Double.NaN, Double.POSITIVE_INFINITY, false,
                        "output " + e.getKey() + " missing or of length " + (g == null ? "none" : g.length) + " != " + w.length);
            }
            for (int i = 0; i < w.length; i++) {
                double err, ratio;
                if (Double.isNaN(w[i]) || Double.isNaN(g[i])) {
                    err = Double.isNaN(w[i]) && Double.isNaN(g[i]) ? 0 : Double.POSITIVE_INFINITY;
                    ratio = err;
                } else {
                    err = Math.abs(g[i] - w[i]);
                    double allowed = tol.atol() + tol.rtol() * Math.abs(w[i]);
                    ratio = err == 0 ? 0 : allowed == 0 ? Double.POSITIVE_INFINITY : err / allowed;
                }
                if (err > maxErr || Double.isNaN(maxErr)) maxErr = err;
                if (ratio > worst) {
                    worst = ratio;
                    detail = e.getKey() + "[" + i + "]: " + g[i] + " vs " + w[i];
                }
            }
        }
        boolean ok = worst <= 1;
        return new Result(op, dt, maxErr, worst, ok, ok ? "" : detail);
    }

    // ---- the cases ---------------------------------------------------------------------------------

    private static double[] normal(SplittableRandom r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            // Box–Muller from two uniforms: deterministic for a given seed.
            double u = r.nextDouble(), v = r.nextDouble();
            x[i] = Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v);
        }
        return x;
    }

    private static double[] nan(int n) {
        double[] x = new double[n];
        java.util.Arrays.fill(x, Double.NaN);
        return x;
    }

    private static Map<String, double[]> out(Object... kv) {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            m.put((String) kv[i], v instanceof Tensor t ? t.toDoubles() : v instanceof Double d ? new double[] {d} : (double[]) v);
        }
        return m;
    }

    private static List<Named> cases() {
        List<Named> l = new ArrayList<>();
        l.add(new Named("roundtrip", Kind.EXACT, (b, dt, r) -> {
            double[] x = normal(r, 1000);
            int[] ix = new int[100];
            float[] fx = new float[100];
            for (int i = 0; i < 100; i++) { ix[i] = r.nextInt(-1000, 1000); fx[i] = (float) x[i]; }
            return out("fromDoubles", b.fromDoubles(dt, x), "fromInts", b.fromInts(ix), "fromFloats", b.fromFloats(fx),
                    "zeros", b.zeros(dt, 77), "i32", b.fromDoubles(DType.I32, new double[] {3.7, -2.2, 1e9}));
        }));
        l.add(new Named("copy", Kind.EXACT, (b, dt, r) -> {
            Tensor x = b.fromDoubles(dt, normal(r, 1000));
            DType other = dt == DType.F32 ? DType.F64 : DType.F32;
            Tensor y = b.zeros(other, 1000), z = b.zeros(dt, 1200);
            b.copy(x, y);
            b.copy(x.view(100, 500), z.view(333, 500));   // offsets on both sides
            return out("converted", y, "view", z);
        }));
        l.add(new Named("fill", Kind.EXACT, (b, dt, r) -> {
            Tensor x = b.fromDoubles(dt, normal(r, 1000));
            b.fill(x.view(10, 900), 0.1);
            Tensor i = b.fromInts(new int[50]);
            b.fill(i.view(5, 40), -7.9);
            return out("x", x, "i32", i);
        }));
        l.add(new Named("gatherRows", Kind.EXACT, (b, dt, r) -> {
            int rows = 50, cols = 7, n = 30;
            Tensor src = b.fromDoubles(dt, normal(r, rows * cols));
            int[] ix = new int[n];
            for (int i = 0; i < n; i++) ix[i] = r.nextInt(rows);
            ix[0] = rows - 1;
            ix[1] = ix[0];
            Tensor dst = b.fromDoubles(dt, normal(r, n * cols + 5));
            b.gatherRows(src, b.fromInts(ix), cols, dst.view(5, n * cols));
            Tensor isrc = b.fromInts(new int[] {1, 2, 3, 4, 5, 6}), idst = b.fromInts(new int[4]);
            b.gatherRows(isrc, b.fromInts(new int[] {2, 0}), 2, idst);
            return out("dst", dst, "i32", idst);
        }));
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                l.add(new Named("gemm" + (ta ? "T" : "N") + (tb ? "T" : "N"), Kind.GEMM, (b, dt, r) -> {
                    int m = 37, n = 29, k = 41;
                    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
                    Tensor a = b.fromDoubles(dt, normal(r, (ta ? k : m) * lda));
                    Tensor bb = b.fromDoubles(dt, normal(r, (tb ? n : k) * ldb));
                    Tensor c = b.fromDoubles(dt, normal(r, m * ldc));
                    b.gemm(ta, tb, m, n, k, 0.7, a, lda, bb, ldb, 0.3, c, ldc);
                    Tensor c0 = b.fromDoubles(dt, nan(m * ldc));   // beta = 0 must not read C
                    b.gemm(ta, tb, m, n, k, 1.0, a, lda, bb, ldb, 0.0, c0, ldc);
                    return out("c", c, "beta0", c0);
                }));
            }
        }
        l.add(new Named("gemmBatched", Kind.GEMM, (b, dt, r) -> {
            int m = 17, n = 23, k = 19, batch = 4;
            Tensor a = b.fromDoubles(dt, normal(r, batch * m * k));
            Tensor bb = b.fromDoubles(dt, normal(r, batch * k * n));
            Tensor c = b.fromDoubles(dt, normal(r, batch * m * n));
            b.gemm(false, true, m, n, k, 1.3, a, k, m * k, bb, k, (long) n * k, 0.5, c, n, (long) m * n, batch);
            return out("c", c);
        }));
        l.add(new Named("gemmStride0A", Kind.GEMM, (b, dt, r) -> {
            int m = 16, n = 12, k = 20, batch = 3;                  // one A shared by every batch (weights)
            Tensor a = b.fromDoubles(dt, normal(r, m * k));
            Tensor bb = b.fromDoubles(dt, normal(r, batch * k * n));
            Tensor c = b.zeros(dt, batch * m * n);
            b.gemm(false, false, m, n, k, 1.0, a, k, 0, bb, n, (long) k * n, 0.0, c, n, (long) m * n, batch);
            return out("c", c);
        }));
        l.add(new Named("gemmStride0B", Kind.GEMM, (b, dt, r) -> {
            int m = 9, n = 14, k = 33, batch = 5;
            Tensor a = b.fromDoubles(dt, normal(r, batch * k * m));
            Tensor bb = b.fromDoubles(dt, normal(r, k * n));
            Tensor c = b.zeros(dt, batch * m * n);
            b.gemm(true, false, m, n, k, 1.0, a, m, (long) k * m, bb, n, 0, 0.0, c, n, (long) m * n, batch);
            return out("c", c);
        }));
        l.add(new Named("gemmStride0C", Kind.GEMM, (b, dt, r) -> {
            int m = 8, n = 6, k = 10, batch = 3;                    // batches accumulate into one C, in order
            Tensor a = b.fromDoubles(dt, normal(r, batch * m * k));
            Tensor bb = b.fromDoubles(dt, normal(r, batch * k * n));
            Tensor c = b.fromDoubles(dt, normal(r, m * n));
            b.gemm(false, false, m, n, k, 1.0, a, k, (long) m * k, bb, n, (long) k * n, 1.0, c, n, 0, batch);
            return out("c", c);
        }));
        l.add(new Named("axpby", Kind.EXACT, (b, dt, r) -> {
            Tensor x = b.fromDoubles(dt, normal(r, 5000)), y = b.fromDoubles(dt, normal(r, 5000));
            b.axpby(0.7, x, -1.3, y);
            Tensor z = b.fromDoubles(dt, nan(300));
            b.axpby(2.0, x.view(7, 300), 0.0, z);                    // beta = 0 must not read y
            Tensor s = b.fromDoubles(dt, normal(r, 100));
            b.scale(s, -0.25);
            return out("y", y, "beta0", z, "scale", s);
        }));
        l.add(new Named("dot", Kind.REDUCTION, (b, dt, r) -> {
            double[] x = normal(r, 300_007), y = normal(r, 300_007);
            Tensor tx = b.fromDoubles(dt, x), ty = b.fromDoubles(dt, y);
            return out("dot", b.dot(tx, ty), "small", b.dot(tx.view(3, 5), ty.view(11, 5)), "empty", b.dot(tx.view(0, 0), ty.view(0, 0)));
        }));
        l.add(new Named("dotRows", Kind.REDUCTION, (b, dt, r) -> {
            int rows = 7, d = 100_003;
            Tensor a = b.fromDoubles(dt, normal(r, (rows + 1) * d)), x = b.fromDoubles(dt, normal(r, d));
            Tensor rowsFrom1 = a.view(d, (long) rows * d);
            double[] c = b.dotRows(rowsFrom1, rows, d, x);
            // each entry has the bits of dot of its row on the same backend: the differences are 0 exactly
            double[] diff = new double[rows];
            for (int i = 0; i < rows; i++) diff[i] = c[i] - b.dot(rowsFrom1.view((long) i * d, d), x);
            return out("c", c, "minusDot", diff, "none", b.dotRows(a, 0, d, x));
        }));
        l.add(new Named("mul", Kind.EXACT, (b, dt, r) -> {
            Tensor x = b.fromDoubles(dt, normal(r, 3000)), y = b.fromDoubles(dt, normal(r, 3000)), o = b.zeros(dt, 3000);
            b.mul(x, y, o);
            return out("out", o);
        }));
        l.add(new Named("addBias", Kind.EXACT, (b, dt, r) -> {
            int rows = 13, cols = 70, batch = 3;
            Tensor bias = b.fromDoubles(dt, normal(r, batch * (cols + 4)));
            Tensor y = b.fromDoubles(dt, normal(r, batch * rows * cols));
            b.addBias(bias, cols + 4, y, rows, cols, batch);
            Tensor y0 = b.fromDoubles(dt, normal(r, batch * rows * cols));
            b.addBias(bias.view(2, cols), 0, y0, rows, cols, batch);  // stride 0: one shared bias
            return out("strided", y, "shared", y0);
        }));
        l.add(new Named("sumRows", Kind.REDUCTION, (b, dt, r) -> {
            int rows = 301, cols = 45, batch = 3;
            Tensor x = b.fromDoubles(dt, normal(r, batch * rows * cols));
            Tensor o = b.fromDoubles(dt, normal(r, batch * (cols + 1)));
            b.sumRows(x, rows, cols, batch, 0.5, o, cols + 1);
            Tensor o0 = b.fromDoubles(dt, nan(cols));
            b.sumRows(x, rows, cols, 1, 0.0, o0, 0);
            // 301 rows take the chunked two-pass path on CUDA (256 rows a block); 200 rows one pass
            Tensor os = b.fromDoubles(dt, normal(r, batch * cols));
            b.sumRows(x, 200, cols, batch, -1.0, os, cols);
            return out("beta", o, "beta0", o0, "short", os);
        }));
        for (Act act : Act.values()) {
            l.add(new Named("activation" + act, Kind.TRANSCENDENTAL, (b, dt, r) -> {
                int n = 4001, k = 3;
                double[] xs = normal(r, n);
                for (int i = 0; i < n; i++) xs[i] *= 3;
                xs[0] = 0;
                xs[1] = -0.0;
                Tensor x = b.fromDoubles(dt, xs), y = b.zeros(dt, n);
                b.activation(act, x, y);
                Tensor g = b.fromDoubles(dt, normal(r, n * k)), gx = b.zeros(dt, n * k);
                b.activationBackward(act, x, g, gx, k);
                Tensor dy = b.fromDoubles(dt, normal(r, n)), rx = b.fromDoubles(dt, normal(r, n * k));
                Tensor rdy = b.fromDoubles(dt, normal(r, n * k)), ro = b.zeros(dt, n * k);
                b.activationRBackward(act, x, dy, rx, rdy, ro, k);
                return out("y", y, "backward", gx, "rbackward", ro);
            }));
        }
        for (int classes : new int[] {10, 1000}) {
            l.add(new Named("softmaxCE" + classes, Kind.TRANSCENDENTAL, (b, dt, r) -> {
                int rows = 67;
                double[] z = normal(r, rows * classes);
                for (int i = 0; i < z.length; i++) z[i] *= 4;
                int[] y = new int[rows];
                for (int i = 0; i < rows; i++) y[i] = r.nextInt(classes);
                Tensor logits = b.fromDoubles(dt, z), labels = b.fromInts(y);
                Tensor p = b.zeros(dt, rows * classes), d = b.zeros(dt, rows * classes), rl = b.zeros(dt, rows);
                double loss = b.softmaxCrossEntropy(logits, labels, rows, classes, 1.0 / rows, p, d, rl);
                Tensor p2 = b.zeros(dt, rows * classes), d2 = b.zeros(dt, rows * classes);
                double loss2 = b.softmaxCrossEntropy(logits, labels, rows, classes, 0.5, p2, d2, null);
                int k = 2;
                Tensor rz = b.fromDoubles(dt, normal(r, k * rows * classes)), ro = b.zeros(dt, k * rows * classes);
                b.softmaxCrossEntropyR(p, rz, rows, classes, k, 1.0 / rows, ro);
                return out("loss", loss, "probs", p, "dlogits", d, "rowLoss", rl, "loss2", loss2, "dlogits2", d2, "R", ro);
            }));
        }
        l.add(new Named("mse", Kind.TRANSCENDENTAL, (b, dt, r) -> {
            int rows = 129, cols = 10;
            Tensor o = b.fromDoubles(dt, normal(r, rows * cols)), t = b.fromDoubles(dt, normal(r, rows * cols));
            Tensor d = b.zeros(dt, rows * cols), rl = b.zeros(dt, rows);
            double loss = b.mse(o, t, rows, cols, 1.0 / rows, d, rl);
            Tensor d2 = b.zeros(dt, rows * cols);
            double loss2 = b.mse(o, t, rows, cols, 2.0, d2, null);
            return out("loss", loss, "dout", d, "rowLoss", rl, "loss2", loss2, "dout2", d2);
        }));
        convCases(l);
        transformerCases(l);
        newerKernelCases(l);
        return List.copyOf(l);
    }

    /**
     * The GPT-2 kernels ({@link TransformerKernels}: kernels/transformer.cu on CUDA, CpuTransformerKernels
     * as the reference) at odd sizes: C = 1, C not a multiple of the block, C = 768 (GPT-2 small),
     * T = 1, one row, enough rows for several column-sum chunks, vocabularies wider than one block.
     * Overwritten outputs start as NaN (every element must be written); accumulated ones (+=) start
     * random. Embeddings are EXACT (same adds in the same order; in fact bit-identical); LayerNorm
     * sums in a different order (REDUCTION); the softmax calls exp (TRANSCENDENTAL).
     */
    private static void transformerCases(List<Named> l) {
        l.add(new Named("gptEmbedding", Kind.EXACT, (b, dt, r) -> {
            TransformerKernels tk = TransformerKernels.of(b);
            Map<String, double[]> m = new LinkedHashMap<>();
            // {B, T, C, V}: V over one block of vocabulary rows and C over one block of columns; T = 1; one token
            for (int[] g : new int[][] {{3, 5, 300, 300}, {4, 1, 7, 3}, {1, 1, 1, 2}}) {
                int bs = g[0], t = g[1], c = g[2], v = g[3], n = bs * t;
                Tensor tokens = b.fromInts(indices(r, n, v));
                Tensor wte = b.fromDoubles(dt, normal(r, v * c)), wpe = b.fromDoubles(dt, normal(r, (t + 2) * c));
                Tensor out = b.fromDoubles(dt, nan(n * c));
                tk.embeddingForward(tokens, wte, wpe, out, bs, t, c, v);
                Tensor dout = b.fromDoubles(dt, normal(r, n * c));
                Tensor dwte = b.fromDoubles(dt, normal(r, v * c)), dwpe = b.fromDoubles(dt, normal(r, (t + 2) * c));
                tk.embeddingBackward(tokens, dout, dwte, dwpe, bs, t, c);
                String k = java.util.Arrays.toString(g);
                m.put("out" + k, out.toDoubles());
                m.put("dwte" + k, dwte.toDoubles());
                m.put("dwpe" + k, dwpe.toDoubles());
            }
            return m;
        }));
        // {rows, C}: one row of one channel (σ² = 0), C < block, C > block and odd, GPT-2's C, several chunks
        int[][] lnShapes = {{1, 1}, {1, 7}, {5, 300}, {3, 768}, {130, 40}};
        l.add(new Named("gptLayerNorm", Kind.REDUCTION, (b, dt, r) -> {
            TransformerKernels tk = TransformerKernels.of(b);
            Map<String, double[]> m = new LinkedHashMap<>();
            for (int[] g : lnShapes) {
                int rows = g[0], c = g[1];
                double[] xs = normal(r, rows * c);
                for (int i = 0; i < xs.length; i++) xs[i] = 2 * xs[i] + 0.5;
                Tensor x = b.fromDoubles(dt, xs), gam = b.fromDoubles(dt, normal(r, c)), bet = b.fromDoubles(dt, normal(r, c));
                Tensor y = b.fromDoubles(dt, nan(rows * c)), mean = b.fromDoubles(dt, nan(rows)), rstd = b.fromDoubles(dt, nan(rows));
                tk.layerNormForward(x, gam, bet, y, mean, rstd, rows, c);
                Tensor dy = b.fromDoubles(dt, normal(r, rows * c)), dx = b.fromDoubles(dt, normal(r, rows * c));
                Tensor dg = b.fromDoubles(dt, normal(r, c)), db = b.fromDoubles(dt, normal(r, c));
                tk.layerNormBackward(x, mean, rstd, gam, dy, dx, dg, db, rows, c);
                Tensor dx0 = b.fromDoubles(dt, normal(r, rows * c));
                tk.layerNormBackward(x, mean, rstd, gam, dy, dx0, null, null, rows, c);   // no parameter gradients
                String k = java.util.Arrays.toString(g);
                m.put("y" + k, y.toDoubles());
                m.put("mean" + k, mean.toDoubles());
                m.put("rstd" + k, rstd.toDoubles());
                m.put("dx" + k, dx.toDoubles());
                m.put("dg" + k, dg.toDoubles());
                m.put("dbeta" + k, db.toDoubles());
                m.put("dxOnly" + k, dx0.toDoubles());
            }
            return m;
        }));
        l.add(new Named("gptLayerNormR", Kind.REDUCTION, (b, dt, r) -> {
            TransformerKernels tk = TransformerKernels.of(b);
            Map<String, double[]> m = new LinkedHashMap<>();
            for (int[] g : lnShapes) {
                int rows = g[0], c = g[1];
                Tensor x = b.fromDoubles(dt, normal(r, rows * c)), gam = b.fromDoubles(dt, normal(r, c)), bet = b.fromDoubles(dt, normal(r, c));
                Tensor y = b.zeros(dt, rows * c), mean = b.zeros(dt, rows), rstd = b.zeros(dt, rows);
                tk.layerNormForward(x, gam, bet, y, mean, rstd, rows, c);
                Tensor vg = b.fromDoubles(dt, normal(r, c)), vb = b.fromDoubles(dt, normal(r, c)), rx = b.fromDoubles(dt, normal(r, rows * c));
                Tensor ry = b.fromDoubles(dt, nan(rows * c));
                tk.layerNormRForward(x, mean, rstd, gam, vg, vb, rx, ry, rows, c);
                Tensor dy = b.fromDoubles(dt, normal(r, rows * c)), rdy = b.fromDoubles(dt, normal(r, rows * c));
                Tensor rdx = b.fromDoubles(dt, normal(r, rows * c)), rdg = b.fromDoubles(dt, normal(r, c)), rdb = b.fromDoubles(dt, normal(r, c));
                tk.layerNormRBackward(x, mean, rstd, gam, vg, dy, rx, rdy, rdx, rdg, rdb, rows, c);
                String k = java.util.Arrays.toString(g);
                m.put("ry" + k, ry.toDoubles());
                m.put("rdx" + k, rdx.toDoubles());
                m.put("rdg" + k, rdg.toDoubles());
                m.put("rdbeta" + k, rdb.toDoubles());
            }
            return m;
        }));
        l.add(new Named("gptSoftmaxCausal", Kind.TRANSCENDENTAL, (b, dt, r) -> {
            TransformerKernels tk = TransformerKernels.of(b);
            Map<String, double[]> m = new LinkedHashMap<>();
            // {rows, T}: T = 1; (B·H·T, T) blocks of a small model; T over one block, rows covering every query position once and a few twice
            for (int[] g : new int[][] {{3, 1}, {51, 17}, {262, 260}}) {
                int rows = g[0], t = g[1], n = rows * t;
                double[] ss = normal(r, n);
                for (int i = 0; i < n; i++) ss[i] *= 3;
                Tensor s = b.fromDoubles(dt, ss), p = b.fromDoubles(dt, nan(n));
                tk.softmaxCausalForward(s, p, rows, t);
                Tensor inPlace = b.fromDoubles(dt, ss);
                tk.softmaxCausalForward(inPlace, inPlace, rows, t);                   // s == p, as Gpt2 calls it
                Tensor gg = b.fromDoubles(dt, normal(r, n)), jvp = b.fromDoubles(dt, nan(n));
                tk.softmaxJvp(p, gg, jvp, rows, t);
                Tensor dp = b.fromDoubles(dt, normal(r, n)), rdp = b.fromDoubles(dt, normal(r, n)), jr = b.fromDoubles(dt, nan(n));
                tk.softmaxJvpR(p, dp, jvp, rdp, jr, rows, t);                           // RP = J_softmax G, as in attention
                String k = java.util.Arrays.toString(g);
                m.put("p" + k, p.toDoubles());
                m.put("inPlace" + k, inPlace.toDoubles());
                m.put("jvp" + k, jvp.toDoubles());
                m.put("jvpR" + k, jr.toDoubles());
            }
            return m;
        }));
    }

    /** Random indices in [0, bound) with a few forced repeats (so adjoint sums see duplicates). */
    /** AdamW update and tangents, the Gram kernel, fused attention, bf16/TF32 GEMM (tolerances: class comment). */
    private static void newerKernelCases(List<Named> l) {
        l.add(new Named("adamw", Kind.TRANSCENDENTAL, (b, dt, r) -> {
            int d = 301, k = 3, so = 5, xo = 3;                    // odd offsets: views into larger buffers
            AdamWCoefficients c = AdamWCoefficients.atStep(7, 1e-3, 0.9, 0.95, 1e-8, 0.1);
            double[] s = normal(r, so + 3 * d), g = normal(r, d), h = normal(r, k * d), x = normal(r, xo + 3 * d * k + 2);
            for (int i = 0; i < d; i++) {
                s[so + 2 * d + i] = 1e-4 * Math.abs(s[so + 2 * d + i]) * (i % 10 == 7 ? 0 : 1);   // v ≥ 0, some exactly 0
                g[i] *= i % 10 == 7 ? 0 : 0.01;
            }
            Map<String, double[]> m = new LinkedHashMap<>();
            for (boolean freeze : new boolean[] {false, true}) {
                Tensor st = b.fromDoubles(dt, s), gt = b.fromDoubles(dt, g), ht = b.fromDoubles(dt, h), xt = b.fromDoubles(dt, x);
                Tensor w = st.view(so, d), mm = st.view(so + d, d), v = st.view(so + 2L * d, d);
                b.adamwTangents(xt.view(xo, 3L * d * k), k, gt, ht, mm, v, c, freeze);
                b.adamwUpdate(w, mm, v, gt, c);
                m.put("state" + (freeze ? "Frozen" : ""), st.toDoubles());
                m.put("tangents" + (freeze ? "Frozen" : ""), xt.toDoubles());
            }
            return m;
        }));
        l.add(new Named("gram", Kind.REDUCTION, (b, dt, r) -> {
            Map<String, double[]> m = new LinkedHashMap<>();
            for (int[] dk : new int[][] {{1, 1}, {4099, 5}, {20000, 32}}) {
                int d = dk[0], k = dk[1];
                Tensor v = b.fromDoubles(dt, normal(r, d * k + 3));
                m.put("G" + d + "x" + k, b.gram(v.view(3, (long) d * k), d, k));
            }
            return m;
        }));
        // a whole model: an MLP's gradient, two HVPs and two Gauss-Newton products from the layers' passes
        // (Sequential), under both losses, rows in chunks of 10
        l.add(new Named("mlpGradHvpGgn", Kind.GEMM, (b, dt, r) -> {
            Map<String, double[]> m = new LinkedHashMap<>();
            int n = 24, f = 9, c = 3;
            double[] xd = normal(r, n * f);
            float[] x = new float[n * f];
            for (int i = 0; i < x.length; i++) x[i] = (float) xd[i];
            int[] y = new int[n];
            for (int i = 0; i < n; i++) y[i] = r.nextInt(c);
            eoslab.data.Dataset data = new eoslab.data.Dataset("parity", x, y, n, f, c);
            eoslab.nn.Sequential model = eoslab.nn.Mlp.of(new int[] {f, 16, 12, c}, Act.TANH, true);
            int d = model.numParams();
            double[] w = normal(r, d);
            for (int i = 0; i < d; i++) w[i] *= 0.3;
            Tensor wt = b.fromDoubles(dt, w), v = b.fromDoubles(dt, normal(r, 2 * d));
            for (eoslab.nn.Loss loss : eoslab.nn.Loss.values()) {
                eoslab.nn.Objective o = new eoslab.nn.Objective(b, dt, model, loss, data, 10);
                Tensor g = b.zeros(dt, d), hv = b.zeros(dt, 2L * d), gv = b.zeros(dt, 2L * d);
                o.evaluate(wt, null, g, v, 2, hv, null);
                o.ggn(wt, null, v, 2, gv);
                m.put(loss + "/grad", g.toDoubles());
                m.put(loss + "/hv", hv.toDoubles());
                m.put(loss + "/ggn", gv.toDoubles());
            }
            return m;
        }));
        l.add(new Named("linearBias", Kind.GEMM, (b, dt, r) -> {
            Map<String, double[]> m = new LinkedHashMap<>();
            // {n, in, out}: odd sizes; in <= 64 as the GEMM tolerance assumes
            for (int[] s : new int[][] {{1, 1, 1}, {37, 29, 11}, {8, 64, 300}}) {
                int n = s[0], in = s[1], out = s[2];
                Tensor x = b.fromDoubles(dt, normal(r, n * in)), w = b.fromDoubles(dt, normal(r, out * in + 2));
                Tensor bias = b.fromDoubles(dt, normal(r, out)), y = b.fromDoubles(dt, normal(r, n * out));   // y's old values must not leak
                b.linearForward(x, w.view(2, (long) out * in), bias, y, n, in, out);
                m.put("y" + n + "x" + in + "x" + out, y.toDoubles());
            }
            return m;
        }));
        l.add(new Named("linearGelu", Kind.GEMM, (b, dt, r) -> {
            Map<String, double[]> m = new LinkedHashMap<>();
            for (int[] s : new int[][] {{1, 1, 1}, {37, 29, 11}, {8, 64, 304}}) {
                int n = s[0], in = s[1], out = s[2];
                Tensor x = b.fromDoubles(dt, normal(r, n * in)), w = b.fromDoubles(dt, normal(r, out * in));
                Tensor bias = b.fromDoubles(dt, normal(r, out)), pre = b.fromDoubles(dt, normal(r, n * out)), y = b.fromDoubles(dt, normal(r, n * out));
                b.linearForwardAct(x, w, bias, pre, eoslab.backend.Act.GELU, y, n, in, out);
                m.put("pre" + n + "x" + in + "x" + out, pre.toDoubles());
                m.put("y" + n + "x" + in + "x" + out, y.toDoubles());
            }
            return m;
        }));
        l.add(new Named("lanczos", Kind.GEMM, (b, dt, r) -> {
            // top 3 of a 400 x 400 symmetric matrix with known, separated eigenvalues 10, 9, 8 above a
            // bulk in [-1, 4]: Lanczos on the backend's GEMMs, dotRows (classical Gram–Schmidt) and axpbys
            int n = 400;
            double[] lam = new double[n];
            for (int i = 0; i < n; i++) lam[i] = i < 3 ? 10 - i : -1 + 5.0 * i / n;
            eoslab.linalg.DenseMatrix q = eoslab.linalg.DenseMatrix.randomOrthogonal(n, r);
            var op = new eoslab.curvature.DenseOperator(b, dt, eoslab.linalg.DenseMatrix.fromEigen(q, lam));
            var res = eoslab.curvature.Lanczos.topK(op, 3, eoslab.curvature.Lanczos.Options.defaults().withTol(1e-5).withSeed(11));
            if (!res.converged()) throw new IllegalStateException("lanczos did not converge: " + res);
            return out("values", res.values());
        }));
        l.add(new Named("qrApply", Kind.REDUCTION, (b, dt, r) -> {
            Map<String, double[]> m = new LinkedHashMap<>();
            for (int[] dk : new int[][] {{1, 1}, {4099, 5}, {20000, 32}, {300, 40}}) {
                int d = dk[0], k = dk[1];
                double[] u = new double[k * k];   // upper triangular with a dominant diagonal, like R⁻¹
                double[] z = normal(r, k * k);
                for (int i = 0; i < k; i++) for (int j = i; j < k; j++) u[i * k + j] = i == j ? 1 + 0.1 * Math.abs(z[i * k + j]) : 0.1 * z[i * k + j];
                Tensor v = b.fromDoubles(dt, normal(r, d * k + 3));
                m.put("G" + d + "x" + k, b.applyUpperAndGram(v.view(3, (long) d * k), u, d, k));
                m.put("V" + d + "x" + k, v.toDoubles());
            }
            return m;
        }));
        l.add(new Named("attention", Kind.ATTENTION, (b, dt, r) -> {
            AttentionKernels ak = AttentionKernels.of(b);
            Map<String, double[]> m = new LinkedHashMap<>();
            // {B, T, H, head size}: T = 1, several query/key tiles, GPT-2's head size 64
            for (int[] sh : new int[][] {{2, 1, 1, 4}, {2, 40, 3, 4}, {1, 20, 2, 64}}) {
                int bs = sh[0], t = sh[1], h = sh[2], c = h * sh[3], n = bs * t;
                double[] q = normal(r, 3 * n * c);
                for (int i = 0; i < q.length; i++) q[i] *= 1.5;   // peaked enough that the running max moves
                Tensor qkv = b.fromDoubles(dt, q), rqkv = b.fromDoubles(dt, normal(r, 3 * n * c));
                Tensor dy = b.fromDoubles(dt, normal(r, n * c)), rdy = b.fromDoubles(dt, normal(r, n * c));
                Tensor y = b.fromDoubles(dt, nan(n * c)), lse = b.fromDoubles(dt, nan(n * h)), dqkv = b.zeros(dt, 3L * n * c);
                Tensor ry = b.fromDoubles(dt, nan(n * c)), rlse = b.fromDoubles(dt, nan(n * h)), rdqkv = b.zeros(dt, 3L * n * c);
                ak.forward(qkv, y, lse, bs, t, h, c);
                ak.backward(qkv, y, lse, dy, dqkv, bs, t, h, c);
                ak.rForward(qkv, y, lse, rqkv, ry, rlse, bs, t, h, c);
                ak.rBackward(qkv, y, lse, dy, rqkv, ry, rlse, rdy, rdqkv, bs, t, h, c);
                String key = java.util.Arrays.toString(sh);
                m.put("y" + key, y.toDoubles());
                m.put("lse" + key, lse.toDoubles());
                m.put("dqkv" + key, dqkv.toDoubles());
                m.put("R{y}" + key, ry.toDoubles());
                m.put("R{lse}" + key, rlse.toDoubles());
                m.put("R{dqkv}" + key, rdqkv.toDoubles());
            }
            return m;
        }));
        for (GemmPrecision p : new GemmPrecision[] {GemmPrecision.BF16, GemmPrecision.TF32}) {
            String name = p == GemmPrecision.BF16 ? "gemmBf16" : "gemmTf32";
            l.add(new Named(name, p == GemmPrecision.BF16 ? Kind.GEMM_BF16 : Kind.GEMM_TF32, (b, dt, r) -> {
                int m = 33, n = 29, k = LOW_PRECISION_K, batch = 2;
                double[] a = normal(r, batch * m * k), bb = normal(r, batch * k * n);
                // S = Σ_l |a_il||b_lj| (α = 1, β = 0), of the operands as stored (float32 for F32), in float64
                Tensor ta = b.fromDoubles(dt, a), tb = b.fromDoubles(dt, bb);
                double[] af = ta.toDoubles(), bf = tb.toDoubles();
                Tensor tc = b.fromDoubles(dt, nan(batch * m * n));
                GemmPrecision old = b.setGemmPrecision(p);
                try {
                    b.gemm(false, true, m, n, k, 1.0, ta, k, (long) m * k, tb, k, (long) n * k, 0.0, tc, n, (long) m * n, batch);
                } finally {
                    b.setGemmPrecision(old);
                }
                double[] c = tc.toDoubles();
                for (int q = 0; q < batch; q++)
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int e = 0; e < k; e++) s += Math.abs(af[q * m * k + i * k + e]) * Math.abs(bf[q * n * k + j * k + e]);
                            c[q * m * n + i * n + j] /= s;
                        }
                return out("c/S", c);
            }));
        }
    }

    private static int[] indices(SplittableRandom r, int n, int bound) {
        int[] ix = new int[n];
        for (int i = 0; i < n; i++) ix[i] = r.nextInt(bound);
        for (int i = 1; i < n; i += 5) ix[i] = ix[i - 1];
        return ix;
    }

    /** The conv/pool ops: odd sizes, padding, strides that skip pixels, overlapping windows, ties and NaN. */
    private static void convCases(List<Named> l) {
        // {n, C, H, W, kh, kw, stride, pad}: overlapping 3x3 with padding; 3x2 stride 2 (overlap in
        // one direction, pixels skipped in none); 2x2 stride 3 (pixels no patch reads); 1x1.
        int[][] geoms = {{2, 3, 7, 6, 3, 3, 1, 1}, {2, 2, 9, 8, 3, 2, 2, 1}, {1, 2, 8, 7, 2, 2, 3, 0}, {3, 4, 5, 5, 1, 1, 1, 0}};
        l.add(new Named("im2col", Kind.EXACT, (b, dt, r) -> {
            Map<String, double[]> m = new LinkedHashMap<>();
            for (int[] g : geoms) {
                int n = g[0], c = g[1], h = g[2], w = g[3], kh = g[4], kw = g[5], st = g[6], pad = g[7];
                int p = ((h + 2 * pad - kh) / st + 1) * ((w + 2 * pad - kw) / st + 1);
                Tensor x = b.fromDoubles(dt, normal(r, n * c * h * w + 3));
                Tensor cols = b.fromDoubles(dt, nan(n * c * kh * kw * p));          // every entry must be written
                b.im2col(x.view(3, n * c * h * w), n, c, h, w, kh, kw, st, pad, cols);
                m.put("cols" + java.util.Arrays.toString(g), cols.toDoubles());
            }
            return m;
        }));
        l.add(new Named("col2im", Kind.EXACT, (b, dt, r) -> {
            Map<String, double[]> m = new LinkedHashMap<>();
            for (int[] g : geoms) {
                int n = g[0], c = g[1], h = g[2], w = g[3], kh = g[4], kw = g[5], st = g[6], pad = g[7];
                int p = ((h + 2 * pad - kh) / st + 1) * ((w + 2 * pad - kw) / st + 1);
                Tensor cols = b.fromDoubles(dt, normal(r, n * c * kh * kw * p));
                Tensor x = b.fromDoubles(dt, nan(n * c * h * w + 2));                // overwritten, not accumulated
                b.col2im(cols, n, c, h, w, kh, kw, st, pad, x.view(2, n * c * h * w));
                m.put("x" + java.util.Arrays.toString(g), x.toDoubles());
            }
            return m;
        }));
        l.add(new Named("addChannelBias", Kind.EXACT, (b, dt, r) -> {
            int n = 3, c = 5, s = 11, batch = 3;
            Tensor bias = b.fromDoubles(dt, normal(r, batch * (c + 2)));
            Tensor y = b.fromDoubles(dt, normal(r, batch * n * c * s));
            b.addChannelBias(bias, c + 2, y, n, c, s, batch);
            Tensor y0 = b.fromDoubles(dt, normal(r, batch * n * c * s));
            b.addChannelBias(bias.view(1, c), 0, y0, n, c, s, batch);               // stride 0: one shared bias
            return out("strided", y, "shared", y0);
        }));
        l.add(new Named("sumChannels", Kind.REDUCTION, (b, dt, r) -> {
            int n = 7, c = 6, s = 49, batch = 3;
            Tensor x = b.fromDoubles(dt, normal(r, batch * n * c * s));
            Tensor o = b.fromDoubles(dt, normal(r, batch * (c + 1)));
            b.sumChannels(x, n, c, s, batch, 0.5, o, c + 1);
            Tensor o0 = b.fromDoubles(dt, nan(c));
            b.sumChannels(x, n, c, s, 1, 0.0, o0, 0);                                // beta = 0 must not read out
            return out("beta", o, "beta0", o0);
        }));
        l.add(new Named("maxPool2d", Kind.EXACT, (b, dt, r) -> {
            int n = 2, c = 3, h = 7, w = 9;                                          // H, W not multiples of the window
            double[] xs = normal(r, n * c * h * w);
            for (int i = 0; i < xs.length; i++) xs[i] = Math.rint(2 * xs[i]) / 2;   // many ties
            xs[5] = Double.NaN;                                                      // NaN wins its window
            xs[40] = Double.NEGATIVE_INFINITY;
            Tensor x = b.fromDoubles(dt, xs);
            Map<String, double[]> m = new LinkedHashMap<>();
            for (int size : new int[] {2, 3}) {
                int o = n * c * (h / size) * (w / size);
                Tensor y = b.fromDoubles(dt, nan(o)), a = b.fromInts(new int[o]);
                b.maxPool2d(x, n, c, h, w, size, y, a);
                Tensor yOnly = b.fromDoubles(dt, nan(o)), aOnly = b.fromInts(new int[o]);
                b.maxPool2d(x, n, c, h, w, size, yOnly, null);
                b.maxPool2d(x, n, c, h, w, size, null, aOnly);
                m.put("y" + size, y.toDoubles());
                m.put("argmax" + size, a.toDoubles());
                m.put("yOnly" + size, yOnly.toDoubles());
                m.put("argmaxOnly" + size, aOnly.toDoubles());
            }
            return m;
        }));
        l.add(new Named("gatherIndexed", Kind.EXACT, (b, dt, r) -> {
            int rows = 13, srcCols = 17, idxCols = 9, batch = 3;
            Tensor src = b.fromDoubles(dt, normal(r, batch * rows * srcCols));
            Tensor idx = b.fromInts(indices(r, rows * idxCols, srcCols));
            Tensor dst = b.fromDoubles(dt, nan(batch * rows * idxCols));
            b.gatherIndexed(src, srcCols, idx, rows, idxCols, dst, batch);
            return out("dst", dst);
        }));
        l.add(new Named("scatterIndexed", Kind.EXACT, (b, dt, r) -> {
            Map<String, double[]> m = new LinkedHashMap<>();
            // {rows, idxCols, dstCols, batch}: many rows (one tile per row); few rows over wide dst (several tiles)
            for (int[] g : new int[][] {{13, 9, 17, 3}, {2, 300, 200, 1}}) {
                int rows = g[0], idxCols = g[1], dstCols = g[2], batch = g[3];
                Tensor src = b.fromDoubles(dt, normal(r, batch * rows * idxCols));
                Tensor idx = b.fromInts(indices(r, rows * idxCols, dstCols));
                Tensor dst = b.fromDoubles(dt, nan(batch * rows * dstCols));        // zeroed, then summed into
                b.scatterIndexed(src, idx, rows, idxCols, dst, dstCols, batch);
                m.put("dst" + java.util.Arrays.toString(g), dst.toDoubles());
            }
            return m;
        }));
    }
}
