package eoslab.backend.cuda;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.gpt.Gpt2;
import eoslab.gpt.GptConfig;
import eoslab.gpt.TransformerKernels;
import eoslab.nn.Batch;
import eoslab.nn.Loss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Random;

/**
 * The GPT-2 kernels of kernels/transformer.cu on a CUDA backend (a GPU, or the host emulator in a
 * child JVM) against CpuTransformerKernels and CpuBackend. Run by CudaTransformerKernelsTest, on
 * the GPU in process and on the emulator through {@link TransformerEmulatorMain}. Throws
 * AssertionError naming the first mismatch.
 * <ol>
 * <li>every kernel, F32 and F64, two seeds: the gpt* cases of {@link CudaParity} (odd sizes: C = 1,
 *     C = 7, 300, 768, T = 1, one row, several column-sum chunks, in-place softmax), tolerances
 *     atol + rtol·|ref| of {@link CudaParity#tolerance};
 * <li>the embedding backward is bit-identical to the CPU (same adds, same row order) and the
 *     LayerNorm parameter gradients are bit-reproducible run to run;
 * <li>a token id outside the vocabulary is reported at the next sync;
 * <li>GPT-2 end to end on {@link GptConfig#tiny()}: loss, gradient and k = 3 Hessian-vector
 *     products (Gpt2.lossGradHvp) on the device against CpuBackend, tolerances stated at {@link #gpt2}.
 * </ol>
 */
final class TransformerChecks {
    private TransformerChecks() {
    }

    /** Everything above; the kernel cases with each of {@code seeds} (the emulator runs one: it is slow). */
    static void run(CudaBackend gpu, PrintStream out, long... seeds) {
        for (String name : CudaParity.names()) {
            if (!name.startsWith("gpt")) continue;
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                for (long seed : seeds) {
                    long t0 = System.nanoTime();
                    CudaParity.Result r = CudaParity.run(name, dt, gpu, CpuBackend.INSTANCE, seed);
                    if (seed == seeds[0]) out.printf("%s  (%.1f s)%n", r, (System.nanoTime() - t0) * 1e-9);
                    check(r.ok(), r.toString());
                }
            }
        }
        long t0 = System.nanoTime();
        embeddingBackwardIsBitIdentical(gpu);
        layerNormParamGradsAreReproducible(gpu);
        badTokenIsReported(gpu);
        out.printf("bit-identity, reproducibility, bad token: %.1f s%n", (System.nanoTime() - t0) * 1e-9);
        for (DType dt : new DType[] {DType.F64, DType.F32}) {
            t0 = System.nanoTime();
            gpt2(gpu, dt, out);
            out.printf("GPT-2 %s: %.1f s%n", dt, (System.nanoTime() - t0) * 1e-9);
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    private static double[] gaussian(Random r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = r.nextGaussian();
        return x;
    }

    /** Same inputs on both sides; dwte and dwpe must come back with the same bits (F32 and F64). */
    static void embeddingBackwardIsBitIdentical(CudaBackend gpu) {
        Backend cpu = CpuBackend.INSTANCE;
        int b = 4, t = 9, c = 260, v = 300;
        Random r = new Random(11);
        int[] tok = new int[b * t];
        for (int i = 0; i < tok.length; i++) tok[i] = r.nextInt(5) == 0 ? 7 : r.nextInt(v);   // token 7 repeats often
        double[] dout = gaussian(r, b * t * c), wte0 = gaussian(r, v * c), wpe0 = gaussian(r, t * c);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            double[][] res = new double[2][];
            for (int side = 0; side < 2; side++) {
                Backend be = side == 0 ? cpu : gpu;
                Tensor dwte = be.fromDoubles(dt, wte0), dwpe = be.fromDoubles(dt, wpe0);
                TransformerKernels.of(be).embeddingBackward(be.fromInts(tok), be.fromDoubles(dt, dout), dwte, dwpe, b, t, c);
                double[] a = dwte.toDoubles(), p = dwpe.toDoubles();
                res[side] = Arrays.copyOf(a, a.length + p.length);
                System.arraycopy(p, 0, res[side], a.length, p.length);
            }
            for (int i = 0; i < res[0].length; i++) {
                check(Double.doubleToRawLongBits(res[0][i]) == Double.doubleToRawLongBits(res[1][i]),
                        "embeddingBackward " + dt + " not bit-identical to the CPU at " + i + ": " + res[1][i] + " vs " + res[0][i]);
            }
        }
    }

    /** dg and dβ (column sums in fixed chunks) have the same bits on every call. */
    static void layerNormParamGradsAreReproducible(CudaBackend gpu) {
        int rows = 70, c = 40;                        // two row chunks
        Random r = new Random(12);
        TransformerKernels tk = TransformerKernels.of(gpu);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = gpu.fromDoubles(dt, gaussian(r, rows * c)), g = gpu.fromDoubles(dt, gaussian(r, c)), be = gpu.fromDoubles(dt, gaussian(r, c));
            Tensor y = gpu.zeros(dt, rows * c), mean = gpu.zeros(dt, rows), rstd = gpu.zeros(dt, rows);
            tk.layerNormForward(x, g, be, y, mean, rstd, rows, c);
            Tensor dy = gpu.fromDoubles(dt, gaussian(r, rows * c)), rx = gpu.fromDoubles(dt, gaussian(r, rows * c));
            double[] first = null;
            for (int rep = 0; rep < 2; rep++) {
                Tensor dx = gpu.zeros(dt, rows * c), dg = gpu.zeros(dt, c), db = gpu.zeros(dt, c), rdx = gpu.zeros(dt, rows * c);
                Tensor rdg = gpu.zeros(dt, c), rdb = gpu.zeros(dt, c);
                tk.layerNormBackward(x, mean, rstd, g, dy, dx, dg, db, rows, c);
                tk.layerNormRBackward(x, mean, rstd, g, g, dy, rx, dy, rdx, rdg, rdb, rows, c);
                double[] now = concat(dg.toDoubles(), db.toDoubles(), rdg.toDoubles(), rdb.toDoubles());
                if (first == null) first = now;
                for (int i = 0; i < now.length; i++) {
                    check(Double.doubleToRawLongBits(now[i]) == Double.doubleToRawLongBits(first[i]), "LayerNorm parameter gradient " + dt + " changed between runs at " + i);
                }
            }
        }
    }

    static void badTokenIsReported(CudaBackend gpu) {
        TransformerKernels tk = TransformerKernels.of(gpu);
        Tensor wte = gpu.zeros(DType.F32, 3 * 4), wpe = gpu.zeros(DType.F32, 2 * 4), out = gpu.zeros(DType.F32, 2 * 4);
        tk.embeddingForward(gpu.fromInts(new int[] {1, 3}), wte, wpe, out, 1, 2, 4, 3);
        try {
            gpu.sync();
        } catch (IndexOutOfBoundsException e) {
            check(e.getMessage().contains("embeddingForward: token id 3 not in [0, 3)"), "wrong message: " + e.getMessage());
            gpu.sync();   // reported once
            return;
        }
        throw new AssertionError("token id 3 of a 3-token vocabulary was not reported");
    }

    private static double[] concat(double[]... parts) {
        int n = 0;
        for (double[] p : parts) n += p.length;
        double[] all = new double[n];
        int o = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, all, o, p.length);
            o += p.length;
        }
        return all;
    }

    /**
     * GPT-2 tiny (V = 256, maxT = 16, L = 2, H = 2, C = 32), B = 2 sequences of T = 7 tokens, weights
     * at init plus N(0, 0.1²) noise (generic LayerNorm gains and biases), k = 3 Gaussian directions:
     * loss, gradient and the HVPs on the device vs CpuBackend, |dev − cpu| ≤ atol + rtol·|cpu| with
     * atol relative to the vector's largest entry. F64: cuBLAS and the CPU sum GEMMs in different orders
     * (≈ 1e-16 per term; measured ≈ 1e-15·max|ref|), so atol = 1e-11·max|ref|, rtol = 1e-9. F32: float rounding through two blocks
     * and the R-pass, atol = 1e-4·max|ref|, rtol = 1e-3 (the model's own f32-vs-f64 test allows 1e-4 + 1e-4).
     */
    /**
     * GPT-2 tiny with b sequences of t random tokens (inputs and targets), weights = its init (seed 5)
     * plus 0.1·N(0, 1), and k random directions v: the problem {@link #gpt2} and LtChecks evaluate.
     */
    record TinyGpt(GptConfig cfg, int b, int k, int[] x, int[] y, double[] w, double[] v) {
        static TinyGpt of(long seed, int b, int t, int k) {
            GptConfig cfg = GptConfig.tiny();
            Random r = new Random(seed);
            int[] x = new int[b * t], y = new int[b * t];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextInt(cfg.vocab());
                y[i] = r.nextInt(cfg.vocab());
            }
            Gpt2 probe = new Gpt2(cfg);
            int d = probe.numParams();
            double[] w = probe.init(5, 1.0);
            for (int i = 0; i < d; i++) w[i] += 0.1 * r.nextGaussian();
            return new TinyGpt(cfg, b, k, x, y, w, gaussian(r, k * d));
        }

        int d() {
            return w.length;
        }

        /** {loss, gradient (d), the k HVPs (k·d)} on {@code be} in {@code dt}, as float64. */
        double[][] lossGradHvp(Backend be, DType dt) {
            int d = d();
            Batch batch = new Batch(be.fromInts(x), be.fromInts(y), null, b);
            Tensor g = be.zeros(dt, d), h = be.zeros(dt, (long) k * d);
            double loss = new Gpt2(cfg).lossGradHvp(be, be.fromDoubles(dt, w), batch, Loss.CE, 1.0 / b, g, be.fromDoubles(dt, v), k, h, null, null);
            return new double[][] {{loss}, g.toDoubles(), h.toDoubles()};
        }
    }

    static void gpt2(CudaBackend gpu, DType dt, PrintStream out) {
        TinyGpt p = TinyGpt.of(21, 2, 7, 3);
        int d = p.d(), k = p.k();
        double[] loss = new double[2];
        double[][] grad = new double[2][], hv = new double[2][];
        for (int side = 0; side < 2; side++) {
            double[][] r = p.lossGradHvp(side == 0 ? CpuBackend.INSTANCE : gpu, dt);
            loss[side] = r[0][0];
            grad[side] = r[1];
            hv[side] = r[2];
        }
        boolean f32 = dt == DType.F32;
        double rtol = f32 ? 1e-3 : 1e-9, arel = f32 ? 1e-4 : 1e-11;
        check(Math.abs(loss[1] - loss[0]) <= (f32 ? 1e-5 : 1e-12) * Math.abs(loss[0]), "GPT-2 " + dt + " loss " + loss[1] + " vs " + loss[0]);
        compare("GPT-2 " + dt + " gradient", grad[0], grad[1], arel, rtol, out);
        for (int j = 0; j < k; j++) {
            compare("GPT-2 " + dt + " Hv_" + j, Arrays.copyOfRange(hv[0], j * d, (j + 1) * d), Arrays.copyOfRange(hv[1], j * d, (j + 1) * d), arel, rtol, out);
        }
        out.printf("GPT-2 tiny %s: loss %.12f vs %.12f%n", dt, loss[1], loss[0]);
    }

    private static void compare(String what, double[] ref, double[] got, double arel, double rtol, PrintStream out) {
        double max = 0, worst = 0, maxErr = 0;
        int at = -1;
        for (double e : ref) max = Math.max(max, Math.abs(e));
        check(max > 0, what + " is zero: nothing compared");
        double atol = arel * max;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]), ratio = err / (atol + rtol * Math.abs(ref[i]));
            if (!(ratio <= worst)) {
                worst = ratio;
                at = i;
            }
            maxErr = Math.max(maxErr, err);
        }
        out.printf("%-24s max|ref| %.3g  max|err| %.3g  err/tol %.3g%n", what, max, maxErr, worst);
        check(worst <= 1, what + " differs at " + at + ": " + got[Math.max(at, 0)] + " vs " + ref[Math.max(at, 0)] + " (err/tol " + worst + ")");
    }
}
