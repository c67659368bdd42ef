package eoslab.backend.cuda;

import eoslab.backend.CpuBackend;
import eoslab.backend.GemmPrecision;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * The cuBLASLt bias-epilogue path of {@link CudaBackend#linearForward} (-Deoslab.cuda.lt=true), shared
 * by the host emulator run ({@link LtEmulatorMain}) and a GPU run ({@link CudaLtTest}):
 * <ul>
 * <li>the path is taken (usesLt) and no call falls back to cuBLAS, for F32, F64 (on a GPU F64 may fall
 *     back: cuBLASLt need not have float64 epilogues) and (emulator) F32 with bf16 / TF32 GEMM operands, for the bias epilogue (linearForward) and GELU_AUX_BIAS
 *     (linearForwardAct: the pre-activation and y);
 * <li>y equals the same backend's cuBLAS GEMM + addBias path: to the bit on the emulator (both run
 *     the reference GEMM, then add the bias once); on a GPU within the GEMM tolerance of the parity
 *     table (|Δ| ≤ 1e-4 + 1e-4·|ref| in F32 with in ≤ 64, 1e-12 + 1e-11·|ref| in F64), since cuBLASLt
 *     may pick another kernel (bf16/TF32: the GemmPrecisionChecks bound is not re-derived here, so
 *     those are compared on the emulator only);
 * <li>y agrees with the CPU backend's linearForward within the same GEMM tolerance (F32, F64);
 * <li>y's previous contents never leak (it is filled with NaN first);
 * <li>GPT-2 tiny's loss, gradient and k = 2 HVPs (every c_attn and c_proj forward goes through
 *     linearForward, c_fc + GELU through linearForwardAct) are the same with the path on and off: to the bit on the emulator, within the
 *     tolerance of TransformerChecks.gpt2 (F32: 1e-4·max + 1e-3·|ref|) on a GPU.
 * </ul>
 */
final class LtChecks {
    private LtChecks() {
    }

    static void run(CudaBackend gpu, boolean emulator) {
        gpu.requestLt(true);
        try {
            if (!gpu.usesLt()) throw new AssertionError("cuBLASLt path not taken (library " + (CublasLt.loaded() ? "found" : "missing") + ")");
            long before = gpu.ltFallbacks();
            // {n, in, out}: on a GPU only sizes cuBLASLt's epilogues surely take (multiples of 8; odd
            // ones may legitimately fall back to cuBLAS); on the emulator odd ones too
            int[][] shapes = emulator ? new int[][] {{1, 1, 1}, {37, 29, 11}, {64, 64, 304}, {5, 17, 2304}}
                    : new int[][] {{8, 32, 8}, {64, 64, 304}, {16, 64, 2304}};
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                long f = gpu.ltFallbacks();
                for (int[] s : shapes)
                    for (boolean withGelu : new boolean[] {false, true}) check(gpu, dt, GemmPrecision.F32, s, withGelu, emulator);
                // cuBLASLt may lack float64 epilogue kernels: a fallback there is allowed (and still compared)
                if (dt == DType.F64 && !emulator) before += gpu.ltFallbacks() - f;
            }
            if (emulator) {
                for (GemmPrecision p : new GemmPrecision[] {GemmPrecision.BF16, GemmPrecision.TF32})
                    for (boolean withGelu : new boolean[] {false, true}) check(gpu, DType.F32, p, new int[] {37, 29, 11}, withGelu, true);
            }
            plans(gpu, emulator);
            gpt2(gpu, emulator);
            if (gpu.ltFallbacks() != before) throw new AssertionError((gpu.ltFallbacks() - before) + " cuBLASLt calls fell back to cuBLAS");
        } finally {
            gpu.requestLt(false);
        }
    }

    /**
     * Plans are built once per shape and reused, and a buffer less aligned than the one a plan was made
     * for gets its own plan (the emulator's algorithm refuses pointers less aligned than its
     * preference promised, as a real one may): x as a view 1 float (emulator) or 4 floats (GPU) into a
     * larger tensor gives the same y.
     */
    private static void plans(CudaBackend gpu, boolean emulator) {
        int n = 37, in = 29, out = 11, shift = emulator ? 1 : 4;
        SplittableRandom r = new SplittableRandom(5);
        double[] x = new double[shift + n * in], w = new double[out * in], b = new double[out];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian();
        Tensor xs = gpu.fromDoubles(DType.F32, x), wt = gpu.fromDoubles(DType.F32, w), bt = gpu.fromDoubles(DType.F32, b);
        Tensor x0 = gpu.fromDoubles(DType.F32, java.util.Arrays.copyOfRange(x, shift, x.length));
        Tensor y0 = gpu.zeros(DType.F32, (long) n * out), y1 = gpu.zeros(DType.F32, (long) n * out);
        int plans0 = gpu.ltPlanCount();
        gpu.linearForward(x0, wt, bt, y0, n, in, out);
        int plans1 = gpu.ltPlanCount();
        gpu.linearForward(x0, wt, bt, y0, n, in, out);
        if (gpu.ltPlanCount() != plans1 || plans1 > plans0 + 1) {
            throw new AssertionError("cuBLASLt plans: " + plans0 + " before, " + plans1 + " after one call, " + gpu.ltPlanCount() + " after the same call again");
        }
        long fallbacks = gpu.ltFallbacks();
        gpu.linearForward(xs.view(shift, (long) n * in), wt, bt, y1, n, in, out);
        if (gpu.ltFallbacks() != fallbacks) throw new AssertionError("cuBLASLt refused x at a " + 4 * shift + "-byte offset");
        double[] a = y0.toDoubles(), c = y1.toDoubles();
        for (int i = 0; i < a.length; i++) {
            boolean same = emulator ? a[i] == c[i] : Math.abs(a[i] - c[i]) <= 1e-4 + 1e-4 * Math.abs(a[i]);
            if (!same) throw new AssertionError("cuBLASLt y[" + i + "] = " + c[i] + " with x at an offset, " + a[i] + " without");
        }
    }

    private static void gpt2(CudaBackend gpu, boolean emulator) {
        TransformerChecks.TinyGpt p = TransformerChecks.TinyGpt.of(23, 2, 7, 2);
        double[][] out = new double[2][];
        for (int side = 0; side < 2; side++) {
            gpu.requestLt(side == 0);
            double[][] r = p.lossGradHvp(gpu, DType.F32);   // {loss}, gradient, HVPs
            out[side] = java.util.stream.Stream.of(r).flatMapToDouble(java.util.Arrays::stream).toArray();
        }
        gpu.requestLt(true);
        double max = 0;
        for (double z : out[1]) max = Math.max(max, Math.abs(z));
        for (int i = 0; i < out[0].length; i++) {
            boolean same = emulator ? Double.doubleToRawLongBits(out[0][i]) == Double.doubleToRawLongBits(out[1][i])
                    : Math.abs(out[0][i] - out[1][i]) <= 1e-4 * max + 1e-3 * Math.abs(out[1][i]);
            if (!same) throw new AssertionError("GPT-2 tiny with cuBLASLt: entry " + i + " (0 loss, then gradient, then HVPs) " + out[0][i] + " vs " + out[1][i]);
        }
    }

    /** linearForward, or linearForwardAct with GELU (then both the pre-activation and y are compared). */
    private static void check(CudaBackend gpu, DType dt, GemmPrecision prec, int[] s, boolean withGelu, boolean emulator) {
        int n = s[0], in = s[1], out = s[2];
        SplittableRandom r = new SplittableRandom(31L * n + 7L * in + out);
        double[] x = new double[n * in], w = new double[out * in], b = new double[out];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = 3 * r.nextGaussian();
        double[] nan = new double[n * out];
        java.util.Arrays.fill(nan, Double.NaN);
        String what = (withGelu ? "linearForwardAct(GELU) " : "linearForward ") + dt + " " + prec + " n=" + n + " in=" + in + " out=" + out;
        GemmPrecision before = gpu.gemmPrecision();
        gpu.setGemmPrecision(prec);
        try {
            double[][] lt = forward(gpu, dt, x, w, b, nan, n, in, out, withGelu);
            gpu.requestLt(false);
            double[][] ref = forward(gpu, dt, x, w, b, nan, n, in, out, withGelu);
            gpu.requestLt(true);
            // GEMM tolerance (in <= 64); GELU's slope is below 1.13, so y gets twice that
            double atol = dt == DType.F32 ? 1e-4 : 1e-12, rtol = dt == DType.F32 ? 1e-4 : 1e-11;
            for (int o = 0; o < lt.length; o++) {
                double tl = o == 0 ? 1 : 2;
                for (int i = 0; i < lt[o].length; i++) {
                    double a = lt[o][i], c = ref[o][i];
                    boolean same = emulator ? Double.doubleToRawLongBits(a) == Double.doubleToRawLongBits(c)
                            : Math.abs(a - c) <= tl * (atol + rtol * Math.abs(c));
                    if (!same) throw new AssertionError(what + ": cuBLASLt " + (o == 0 ? "pre" : "y") + "[" + i + "] = " + a + ", cuBLAS path " + c);
                }
            }
            if (prec == GemmPrecision.F32) {
                double[][] cpu = forward(CpuBackend.INSTANCE, dt, x, w, b, nan, n, in, out, withGelu);
                for (int o = 0; o < lt.length; o++) {
                    double tl = o == 0 ? 1 : 2;
                    for (int i = 0; i < lt[o].length; i++) {
                        if (!(Math.abs(lt[o][i] - cpu[o][i]) <= tl * (atol + rtol * Math.abs(cpu[o][i])))) {
                            throw new AssertionError(what + ": " + (o == 0 ? "pre" : "y") + "[" + i + "] = " + lt[o][i] + ", CPU " + cpu[o][i]);
                        }
                    }
                }
            }
        } finally {
            gpu.setGemmPrecision(before);
        }
    }

    /** {pre (or y without GELU)} or {pre, y}, the outputs filled with NaN first so stale values show. */
    private static double[][] forward(eoslab.backend.Backend be, DType dt, double[] x, double[] w, double[] b, double[] nan,
                                      int n, int in, int out, boolean withGelu) {
        Tensor xt = be.fromDoubles(dt, x), wt = be.fromDoubles(dt, w), bt = be.fromDoubles(dt, b), pre = be.fromDoubles(dt, nan);
        if (!withGelu) {
            be.linearForward(xt, wt, bt, pre, n, in, out);
            return new double[][] {pre.toDoubles()};
        }
        Tensor y = be.fromDoubles(dt, nan);
        be.linearForwardAct(xt, wt, bt, pre, eoslab.backend.Act.GELU, y, n, in, out);
        return new double[][] {pre.toDoubles(), y.toDoubles()};
    }
}
