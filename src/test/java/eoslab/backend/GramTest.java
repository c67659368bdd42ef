package eoslab.backend;

import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The CPU backend's one-pass float64 Gram against the default (k(k+1)/2 float64 dots). */
class GramTest {
    @Test
    void onePassGramEqualsPairwiseDotsAndIsThreadIndependent() {
        CpuBackend be = CpuBackend.INSTANCE;
        Random r = new Random(3);
        for (DType dt : new DType[]{DType.F32, DType.F64}) {
            for (int[] dk : new int[][]{{1, 1}, {5, 3}, {2049, 4}, {10_000, 7}}) {
                int d = dk[0], k = dk[1];
                double[] h = new double[d * k + 5];
                for (int i = 0; i < h.length; i++) h[i] = r.nextGaussian();
                Tensor v = be.fromDoubles(dt, h).view(5, (long) d * k); // a view with an offset
                double[] fast = be.gram(v, d, k);
                double[] ref = new double[k * k]; // what Backend's default does: k(k+1)/2 float64 dots
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) ref[i * k + j] = be.dot(v.view((long) i * d, d), v.view((long) j * d, d));
                for (int q = 0; q < k * k; q++) {
                    // both sum the same float64 products, in different orders: rounding only
                    assertEquals(ref[q], fast[q], 1e-12 * (1 + d), dt + " d=" + d + " k=" + k + " G[" + q + "]");
                    assertEquals(fast[(q % k) * k + q / k], fast[q], 0.0, "symmetric");
                }
                int before = Parallel.threads();
                Parallel.setThreads(1);
                double[] one = be.gram(v, d, k);
                Parallel.setThreads(before);
                assertArrayEquals(fast, one, "same bits on 1 thread");
            }
        }
    }
}
