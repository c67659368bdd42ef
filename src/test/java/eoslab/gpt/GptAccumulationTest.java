package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradient accumulation: step t's B = 8 windows evaluated as 4 micro-batches of 2 must give the
 * one-shot batch's loss, gradient and HVPs (the same windows, summed in another order). In float64
 * the only difference is the order of additions: |a − b| ≤ 1e-12·max|ref| elementwise and 1e-12
 * relative for the loss. In float32 the summation order matters at the level of the f32 ulp
 * (≈ 6e-8) times the number of terms: tolerance 1e-5·max|ref| + 1e-5·|ref|.
 */
class GptAccumulationTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final GptConfig MICRO = new GptConfig(11, 6, 2, 2, 8);

    static double[] weights(Gpt2 m) {
        double[] w = m.init(4, 1.0);
        Random r = new Random(9);
        for (int i = 0; i < w.length; i++) w[i] += 0.05 * r.nextGaussian();
        return w;
    }

    /** [loss, grad…, hv_0…, hv_1…] of step t under {@code accum} micro-batches. */
    static double[][] evaluate(DType dt, int accum, long t) {
        Random r = new Random(1);
        int[] stream = new int[300];
        for (int i = 0; i < stream.length; i++) stream[i] = r.nextInt(11);
        Gpt2 m = new Gpt2(MICRO);
        GptObjective f = new GptObjective(BE, dt, m, new TextBatches(stream, 8, 6, 3), accum);
        int d = m.numParams(), k = 2;
        double[] dirs = new double[k * d];
        Random q = new Random(2);
        for (int i = 0; i < dirs.length; i++) dirs[i] = q.nextGaussian();
        Tensor w = BE.fromDoubles(dt, weights(m)), g = BE.zeros(dt, d), hv = BE.zeros(dt, (long) k * d);
        BE.fill(g, 7); // evaluate overwrites
        double loss = f.evaluate(t, w, g, BE.fromDoubles(dt, dirs), k, hv);
        return new double[][]{{loss}, g.toDoubles(), hv.toDoubles()};
    }

    static void close(double[] ref, double[] got, double atolScale, double rtol, String what) {
        double max = 0;
        for (double x : ref) max = Math.max(max, Math.abs(x));
        for (int i = 0; i < ref.length; i++) {
            double tol = atolScale * max + rtol * Math.abs(ref[i]);
            assertTrue(Math.abs(ref[i] - got[i]) <= tol, what + "[" + i + "]: " + ref[i] + " vs " + got[i]);
        }
    }

    @Test
    void fourMicroBatchesEqualTheOneShotBatchInFloat64() {
        for (long t : new long[]{0, 5}) {
            double[][] one = evaluate(DType.F64, 1, t), four = evaluate(DType.F64, 4, t);
            assertEquals(one[0][0], four[0][0], 1e-12 * Math.abs(one[0][0]), "loss");
            close(one[1], four[1], 1e-12, 0, "gradient");
            close(one[2], four[2], 1e-12, 0, "HVP");
            assertTrue(one[0][0] > 1 && one[0][0] < 5, "a cross-entropy over 11 tokens: " + one[0][0]);
        }
        // and accumulation is not a no-op: another step reads other windows
        assertTrue(Math.abs(evaluate(DType.F64, 4, 0)[0][0] - evaluate(DType.F64, 4, 5)[0][0]) > 1e-6);
    }

    @Test
    void fourMicroBatchesEqualTheOneShotBatchInFloat32() {
        double[][] ref = evaluate(DType.F64, 1, 2), one = evaluate(DType.F32, 1, 2), four = evaluate(DType.F32, 4, 2);
        assertEquals(one[0][0], four[0][0], 1e-5 * Math.abs(one[0][0]), "loss");
        close(one[1], four[1], 1e-5, 1e-5, "gradient");
        close(one[2], four[2], 1e-5, 1e-5, "HVP");
        // both are f32 approximations of the f64 values
        close(ref[1], four[1], 1e-4, 1e-3, "f32 gradient against f64");
    }

    @Test
    void batchNotDivisibleByAccumIsAClearError() {
        Gpt2 m = new Gpt2(MICRO);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new GptObjective(BE, DType.F64, m, new TextBatches(new int[100], 6, 6, 1), 4));
        assertTrue(e.getMessage().contains("batch size 6 is not divisible by the 4"), e.getMessage());
    }
}
