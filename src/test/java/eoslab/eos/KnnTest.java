package eoslab.eos;

import eoslab.data.SeededRandom;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/** Blocked k-NN against a naive float64 Σ(a−b)² sort. */
class KnnTest {

    static float[] gaussian(int n, int d, long seed) {
        SeededRandom r = new SeededRandom(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** Naive reference: squared distance as Σ(a−b)² in float64, sort by (distance, index). */
    static int[] naive(float[] q, int nq, float[] ref, int nr, int d, int k, boolean excludeSelf) {
        int[] out = new int[nq * k];
        for (int i = 0; i < nq; i++) {
            double[] dist = new double[nr];
            for (int j = 0; j < nr; j++) {
                double s = 0;
                for (int p = 0; p < d; p++) {
                    double t = (double) q[i * d + p] - ref[j * d + p];
                    s += t * t;
                }
                dist[j] = s;
            }
            final int self = excludeSelf ? i : -1;
            int[] order = IntStream.range(0, nr).filter(j -> j != self).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(j -> dist[j]).thenComparingInt(j -> j))
                    .mapToInt(Integer::intValue).toArray();
            System.arraycopy(order, 0, out, i * k, k);
        }
        return out;
    }

    /** Sizes straddle the tile (8) and block (256) widths so partial tiles/blocks are exercised. */
    @Test
    void matchesNaiveSelfExcluded() {
        int n = 301, d = 37, k = 50;
        float[] x = gaussian(n, d, 1);
        int[] got = Knn.search(x, n, x, n, d, k, true);
        assertArrayEquals(naive(x, n, x, n, d, k, true), got);
        for (int i = 0; i < n; i++) for (int r = 0; r < k; r++) assertNotEquals(i, got[i * k + r], "a point is not its own neighbour");
        assertArrayEquals(got, Knn.searchScalar(x, n, x, n, d, k, true), "Vector API kernel = scalar reference kernel");
    }

    @Test
    void matchesNaiveQueryAgainstReference() {
        int nq = 19, nr = 530, d = 11, k = 7;
        float[] q = gaussian(nq, d, 2), ref = gaussian(nr, d, 3);
        assertArrayEquals(naive(q, nq, ref, nr, d, k, false), Knn.search(q, nq, ref, nr, d, k, false));
        assertArrayEquals(naive(q, nq, ref, nr, d, k, false), Knn.searchScalar(q, nq, ref, nr, d, k, false));
    }

    /** Duplicated points: equal distances are ordered by index, and the duplicate of i is i's nearest. */
    @Test
    void tiesBrokenByIndex() {
        int d = 3;
        float[] x = {0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 1, 0, 0, 0, 0};
        int[] got = Knn.search(x, 5, x, 5, d, 4, true);
        // point 0: the duplicate 4 (distance 0), then 1, 2, 3 (all distance 1, by index)
        assertArrayEquals(new int[]{4, 1, 2, 3}, Arrays.copyOfRange(got, 0, 4));
        assertArrayEquals(new int[]{0, 1, 2, 3}, Arrays.copyOfRange(got, 16, 20));
    }

    @Test
    void labelFractionCounts() {
        int[] nb = {0, 1, 2, 3, 1, 1, 1, 1};
        int[] y = {1, 0, 1, 1};
        assertArrayEquals(new double[]{0.75, 0.0}, Knn.labelFraction(nb, 4, y, 1));
    }

    @Test
    void rejectsBadK() {
        float[] x = gaussian(5, 2, 4);
        assertThrows(IllegalArgumentException.class, () -> Knn.search(x, 5, x, 5, 2, 5, true));
        assertThrows(IllegalArgumentException.class, () -> Knn.search(x, 5, x, 5, 2, 0, false));
    }

    /** The size of the committed Fashion-MNIST subset: 2000 × 784, k = 50. */
    @Test
    void fastEnoughOnFashionMnistSize() {
        int n = 2000, d = 784;
        float[] x = gaussian(n, d, 5);
        float[] w = java.util.Arrays.copyOf(x, 300 * d);
        Knn.search(w, 300, w, 300, d, 50, true); // warm up the JIT on a small case
        long t0 = System.nanoTime();
        int[] nb = Knn.search(x, n, x, n, d, 50, true);
        double s = (System.nanoTime() - t0) * 1e-9;
        System.out.printf("k-NN 2000x784, k=50: %.3f s on %d threads%n", s, eoslab.util.Parallel.threads());
        assertEquals(n * 50, nb.length);
        assertTrue(s < 10, "k-NN took " + s + " s");
    }
}
