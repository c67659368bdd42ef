package eoslab.data;

import eoslab.backend.CpuBackend;
import eoslab.nn.Linear;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static eoslab.data.IdxTest.userError;
import static org.junit.jupiter.api.Assertions.*;

/** The modular-addition task: the whole table, the right labels, a seeded disjoint 40/60 split, one-hot ⊕ one-hot = embedding sum. */
class ModularArithmeticTest {

    /** (a, b) decoded from a feature row, checking it is exactly one-hot ⊕ one-hot. */
    static int[] decode(Dataset d, int row, int p) {
        int a = -1, b = -1;
        for (int j = 0; j < 2 * p; j++) {
            float v = d.x()[row * 2 * p + j];
            if (v == 0f) continue;
            assertEquals(1f, v, "row " + row + ": feature " + j + " is neither 0 nor 1");
            if (j < p) {
                assertEquals(-1, a, "row " + row + ": two ones in the a block");
                a = j;
            } else {
                assertEquals(-1, b, "row " + row + ": two ones in the b block");
                b = j - p;
            }
        }
        assertTrue(a >= 0 && b >= 0, "row " + row + ": a one-hot block is empty");
        return new int[]{a, b};
    }

    @Test
    void everyPairOnceWithItsSumModPAndDisjointSplits() {
        for (int p : new int[]{2, 11, 97}) {
            Split s = Datasets.load("modadd:p=" + p + ",train=0.4", DataOptions.defaults().withSeed(7));
            assertEquals(2 * p, s.train().features());
            assertEquals(p, s.train().classes());
            Set<Integer> seen = new HashSet<>();
            for (Dataset d : new Dataset[]{s.train(), s.test()}) {
                for (int i = 0; i < d.n(); i++) {
                    int[] ab = decode(d, i, p);
                    assertEquals((ab[0] + ab[1]) % p, d.y()[i], "label of " + ab[0] + " + " + ab[1] + " mod " + p);
                    assertTrue(seen.add(ab[0] * p + ab[1]), "pair (" + ab[0] + ", " + ab[1] + ") appears twice: splits overlap");
                }
            }
            assertEquals(p * p, seen.size(), "train ∪ test is the whole table");
        }
    }

    @Test
    void splitSizesAre40And60Percent() {
        var s97 = new ModularArithmetic.Spec(97, 0.4);
        int[][] tt = ModularArithmetic.splitIndices(s97, 0);
        assertEquals(3764, tt[0].length, "round(0.4 · 9409) = round(3763.6)");
        assertEquals(5645, tt[1].length);
        Split s = Datasets.load("modadd:p=11", DataOptions.defaults());
        assertEquals(48, s.train().n(), "round(0.4 · 121), the default train fraction");
        assertEquals(73, s.test().n());
        Split h = Datasets.load("modadd:p=10,train=0.5", DataOptions.defaults());
        assertEquals(50, h.train().n());
        assertEquals(50, h.test().n());
    }

    @Test
    void splitIsAPureFunctionOfTheSeed() {
        var spec = new ModularArithmetic.Spec(31, 0.4);
        int[][] a = ModularArithmetic.splitIndices(spec, 3), b = ModularArithmetic.splitIndices(spec, 3), c = ModularArithmetic.splitIndices(spec, 4);
        assertArrayEquals(a[0], b[0]);
        assertArrayEquals(a[1], b[1]);
        assertFalse(Arrays.equals(a[0], c[0]), "another seed gives another split");
        Split x = Datasets.load("modadd:p=31", DataOptions.defaults().withSeed(3)), y = Datasets.load("modadd:p=31", DataOptions.defaults().withSeed(3));
        assertArrayEquals(x.train().x(), y.train().x());
        assertArrayEquals(x.test().y(), y.test().y());
        // the seeded split is random: of 31² pairs, the train share among a < 16 is near 0.4
        long low = Arrays.stream(a[0]).filter(i -> i / 31 < 16).count();
        double share = (double) low / (16 * 31);
        // hypergeometric sd of the share ≈ √(0.4·0.6/496 · (1 − 496/961)) ≈ 0.015; bound 6 sd
        assertEquals(0.4, share, 0.09);
    }

    /**
     * Linear(2p, h) on one-hot(a) ⊕ one-hot(b) is E_a[:, a] + E_b[:, b] + c with E_a = W[:, 0:p],
     * E_b = W[:, p:2p]: checked against the lookup-and-sum in float64. The f32 product adds two
     * nonzero terms exactly rounded, so the tolerance is atol 1e-6 + rtol 1e-6.
     */
    @Test
    void oneHotLinearIsTheSumOfTwoEmbeddings() {
        int p = 13, h = 5;
        Split s = Datasets.load("modadd:p=" + p + ",train=0.5", DataOptions.defaults().withSeed(1));
        Dataset d = s.train();
        Linear lin = new Linear(2 * p, h, true);
        double[] w = new double[lin.numParams()];
        SeededRandom r = new SeededRandom(5);
        for (int i = 0; i < w.length; i++) w[i] = r.nextGaussian();
        float[] wf = new float[w.length];
        for (int i = 0; i < w.length; i++) wf[i] = (float) w[i];
        var be = CpuBackend.INSTANCE;
        Tensor y = be.zeros(eoslab.tensor.DType.F32, (long) d.n() * h);
        lin.forward(be, be.fromFloats(wf), be.fromFloats(d.x()), y, d.n());
        double[] got = be.toDoubles(y); // (n, h)
        int in = 2 * p;
        for (int i = 0; i < d.n(); i++) {
            int[] ab = decode(d, i, p);
            for (int u = 0; u < h; u++) {
                double ea = wf[u * in + ab[0]], eb = wf[u * in + p + ab[1]], c = wf[h * in + u]; // W (h, 2p) then bias (h)
                double ref = ea + eb + c;
                assertEquals(ref, got[i * h + u], 1e-6 + 1e-6 * Math.abs(ref), "example " + i + " unit " + u);
            }
        }
    }

    @Test
    void badSpecsAreOneLineUserErrors() {
        DataOptions o = DataOptions.defaults();
        assertTrue(userError(() -> Datasets.load("modadd:p=1", o)).contains("p = 1"));
        assertTrue(userError(() -> Datasets.load("modadd:p=9.5", o)).contains("whole number"));
        assertTrue(userError(() -> Datasets.load("modadd:train=1.5", o)).contains("train = 1.5"));
        assertTrue(userError(() -> Datasets.load("modadd:p=3,train=0.01", o)).contains("empty training"));
        assertTrue(userError(() -> Datasets.load("modadd:q=3", o)).contains("unknown parameter 'q'"));
        assertTrue(userError(() -> Datasets.load("modadd", o.withSizes(100, 0))).contains("--n"));
        assertTrue(userError(() -> Datasets.load("modadd", o.withNormalization(Normalization.CENTER))).contains("one-hot"));
        assertTrue(userError(() -> Datasets.load("modadd", o.withClasses(1, 2))).contains("--classes"));
    }
}
