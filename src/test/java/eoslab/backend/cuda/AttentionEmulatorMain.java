package eoslab.backend.cuda;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.gpt.AttentionKernels;
import eoslab.gpt.CpuAttention;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * Child-JVM entry point of {@link CudaAttentionEmulatorTest} (and, on a GPU, runnable as is): the
 * kernels of kernels/attention.cu through {@link CudaAttention} against {@link CpuAttention} for every
 * pass (y, lse, dqkv, R{y}, R{lse}, R{dqkv}), F32 and F64, at T = 1, 7, 16, 40 (several query and key
 * tiles), H = 1 and 3, head sizes 4 and 64; and bitwise repeatability (no atomics). Prints
 * "ATTENTION OK" and exits 0 when everything held.
 *
 * <p>Tolerance |gpu − cpu| ≤ atol·max(1, max|cpu|) + rtol·|cpu| per output: F64 atol 1e-12, rtol 1e-10
 * (only the summation order differs); F32 atol 2e-5, rtol 2e-4 (the kernels accumulate in float, the
 * reference in double).
 */
public final class AttentionEmulatorMain {
    static final int B = 2;

    public static void main(String[] args) {
        int failures;
        try (CudaBackend gpu = CudaBackend.open()) {
            failures = check(gpu, System.out);
        }
        if (failures > 0) {
            System.out.println("ATTENTION FAILED: " + failures + " mismatches");
            System.exit(1);
        }
        System.out.println("ATTENTION OK");
    }

    /** Every case against the CPU; prints one line per output and returns the number of failures. */
    static int check(CudaBackend gpu, java.io.PrintStream log) {
        int failures = 0;
        AttentionKernels dev = CudaAttention.of(gpu);
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (int[] shape : new int[][] {{1, 1, 4}, {7, 3, 4}, {16, 1, 4}, {40, 3, 4}, {20, 2, 64}}) {
                int t = shape[0], h = shape[1], hs = shape[2];
                double[][] in = inputs(t, h, hs, 11L * t + h + hs);
                double[][] ref = run(CpuAttention.INSTANCE, CpuBackend.INSTANCE, dt, in, t, h, hs);
                double[][] got = run(dev, gpu, dt, in, t, h, hs);
                double atol = dt == DType.F64 ? 1e-12 : 2e-5, rtol = dt == DType.F64 ? 1e-10 : 2e-4;
                String[] names = {"y", "lse", "dqkv", "R{y}", "R{lse}", "R{dqkv}"};
                for (int o = 0; o < names.length; o++) {
                    String err = compare(ref[o], got[o], atol, rtol);
                    String what = dt + " T=" + t + " H=" + h + " hs=" + hs + " " + names[o];
                    if (err != null) {
                        failures++;
                        log.println("MISMATCH " + what + ": " + err);
                    } else {
                        log.println("ok " + what);
                    }
                }
                double[][] again = run(dev, gpu, dt, in, t, h, hs);
                for (int o = 0; o < again.length; o++) {
                    if (!Arrays.equals(got[o], again[o])) {
                        failures++;
                        log.println("NOT DETERMINISTIC " + dt + " T=" + t + " output " + o);
                    }
                }
            }
        }
        return failures;
    }

    /** qkv, rqkv (N, 3C), dy, rdy (N, C), Gaussian. */
    static double[][] inputs(int t, int h, int hs, long seed) {
        Random r = new Random(seed);
        int n = B * t, c = h * hs;
        double[][] in = {new double[3 * n * c], new double[3 * n * c], new double[n * c], new double[n * c]};
        for (double[] a : in) for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
        for (int i = 0; i < in[0].length; i++) in[0][i] *= 1.5;   // peaked enough that the running max moves
        return in;
    }

    static double[][] run(AttentionKernels ak, Backend be, DType dt, double[][] in, int t, int h, int hs) {
        int n = B * t, c = h * hs;
        Tensor qkv = be.fromDoubles(dt, in[0]), rqkv = be.fromDoubles(dt, in[1]), dy = be.fromDoubles(dt, in[2]), rdy = be.fromDoubles(dt, in[3]);
        Tensor y = be.zeros(dt, (long) n * c), lse = be.zeros(dt, (long) n * h), dqkv = be.zeros(dt, 3L * n * c);
        Tensor ry = be.zeros(dt, (long) n * c), rlse = be.zeros(dt, (long) n * h), rdqkv = be.zeros(dt, 3L * n * c);
        ak.forward(qkv, y, lse, B, t, h, c);
        ak.backward(qkv, y, lse, dy, dqkv, B, t, h, c);
        ak.rForward(qkv, y, lse, rqkv, ry, rlse, B, t, h, c);
        ak.rBackward(qkv, y, lse, dy, rqkv, ry, rlse, rdy, rdqkv, B, t, h, c);
        return new double[][] {be.toDoubles(y), be.toDoubles(lse), be.toDoubles(dqkv), be.toDoubles(ry), be.toDoubles(rlse), be.toDoubles(rdqkv)};
    }

    /** null when |got − ref| ≤ atol·max(1, max|ref|) + rtol·|ref| everywhere, else the worst entry. */
    static String compare(double[] ref, double[] got, double atol, double rtol) {
        if (ref.length != got.length) return "length " + got.length + " != " + ref.length;
        double big = 1;
        for (double x : ref) big = Math.max(big, Math.abs(x));
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(got[i] - ref[i]);
            if (!(err <= atol * big + rtol * Math.abs(ref[i]))) return "[" + i + "] cpu " + ref[i] + " gpu " + got[i] + " err " + err;
        }
        return null;
    }
}
