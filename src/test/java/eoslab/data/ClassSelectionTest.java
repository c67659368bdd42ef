package eoslab.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static eoslab.data.IdxTest.userError;
import static org.junit.jupiter.api.Assertions.*;

class ClassSelectionTest {
    @TempDir
    Path dir;

    /** labels: class 0 ×50, class 3 ×20, class 5 ×30, interleaved. */
    static int[] labels() {
        int[] y = new int[100];
        for (int i = 0; i < 100; i++) y[i] = i < 40 ? (i % 2 == 0 ? 0 : 3) : (i < 70 ? 5 : 0);
        return y;
    }

    static int count(int[] y, int[] idx, int c) {
        return (int) Arrays.stream(idx).filter(i -> y[i] == c).count();
    }

    @Test
    void balancedWhilePossibleThenFillsFromOthers() {
        int[] y = labels();
        int[] idx = ClassSelection.select(y, new int[]{0, 3}, 30, 1, "t");
        assertEquals(15, count(y, idx, 0));
        assertEquals(15, count(y, idx, 3));
        idx = ClassSelection.select(y, new int[]{0, 3}, 31, 1, "t");
        assertEquals(16, count(y, idx, 0)); // the first requested class takes the odd one
        idx = ClassSelection.select(y, new int[]{3, 0}, 50, 1, "t"); // class 3 has only 20
        assertEquals(20, count(y, idx, 3));
        assertEquals(30, count(y, idx, 0));
        for (int i = 1; i < idx.length; i++) assertTrue(idx[i - 1] < idx[i], "ascending file order, no repeats");
        assertEquals(70, ClassSelection.select(y, new int[]{0, 3}, 0, 1, "t").length, "n = 0 keeps all");
    }

    @Test
    void deterministicNestedAndSeedDependent() {
        int[] y = labels();
        int[] a = ClassSelection.select(y, new int[]{0, 5}, 20, 9, "t");
        assertArrayEquals(a, ClassSelection.select(y, new int[]{0, 5}, 20, 9, "t"));
        int[] big = ClassSelection.select(y, new int[]{0, 5}, 41, 9, "t");
        Set<Integer> bigSet = new HashSet<>();
        for (int i : big) bigSet.add(i);
        for (int i : a) assertTrue(bigSet.contains(i), "subset of size 20 inside subset of size 41");
        assertFalse(Arrays.equals(a, ClassSelection.select(y, new int[]{0, 5}, 20, 10, "t")), "another seed, another subset");
        for (int i : a) assertTrue(y[i] == 0 || y[i] == 5);
    }

    @Test
    void errors() {
        int[] y = labels();
        assertTrue(userError(() -> ClassSelection.select(y, new int[]{0, 3}, 71, 0, "--n-train")).contains("only 70"));
        assertTrue(userError(() -> ClassSelection.select(y, new int[]{0}, -1, 0, "--n-train")).contains("negative"));
        int[] avail = {0, 3, 5};
        assertTrue(userError(() -> ClassSelection.checkClasses(new int[]{0, 4}, avail, "src")).contains("class 4 is not in src"));
        assertTrue(userError(() -> ClassSelection.checkClasses(new int[]{3, 3}, avail, "src")).contains("twice"));
        assertTrue(userError(() -> new DataOptions(new int[]{1, 1}, 0, 0, null, 0)).contains("twice"));
        assertTrue(userError(() -> new DataOptions(new int[]{-2}, 0, 0, null, 0)).contains("negative"));
        assertTrue(userError(() -> new DataOptions(new int[0], 0, 0, null, 0)).contains("empty"));
        assertTrue(userError(() -> new DataOptions(null, -5, 0, null, 0)).contains("--n-train"));
        assertTrue(userError(() -> DataOptions.parseClasses("2,x")).contains("--classes"));
        assertArrayEquals(new int[]{2, 4}, DataOptions.parseClasses(" 2, 4"));
    }

    /** Through the whole pipeline on IDX files: relabel in the requested order, one-hot, sizes, test split independent. */
    @Test
    void relabelAndOneHotThroughPipeline() throws IOException {
        IdxTest.writeIdxDir(dir, 300, 120, 4, 4, 10, true, 3);
        RawImages raw = Idx.load(dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz"), 10);
        DataOptions o = DataOptions.defaults().withClasses(7, 2).withSizes(40, 10).withNormalization(Normalization.NONE_0_1).withSeed(5);
        Split s = Datasets.load("mnist:" + dir, o);
        assertEquals(40, s.train().n());
        assertEquals(10, s.test().n());
        assertEquals(2, s.train().classes());
        int[] hist = new int[2];
        for (int v : s.train().y()) hist[v]++;
        assertArrayEquals(new int[]{20, 20}, hist);
        // find each kept example in the raw data by its pixels and check its label maps 7 -> 0, 2 -> 1
        int f = 16;
        for (int r = 0; r < s.train().n(); r++) {
            int found = -1;
            for (int i = 0; i < raw.n() && found < 0; i++) {
                boolean eq = true;
                for (int j = 0; j < f && eq; j++) eq = (raw.pixels()[i * f + j] & 0xFF) / 255f == s.train().x()[r * f + j];
                if (eq) found = i;
            }
            assertTrue(found >= 0);
            assertEquals(raw.labels()[found] == 7 ? 0 : 1, s.train().y()[r]);
            assertTrue(raw.labels()[found] == 7 || raw.labels()[found] == 2);
        }
        float[] oh = s.train().oneHot();
        assertEquals(40 * 2, oh.length);
        for (int r = 0; r < 40; r++) {
            assertEquals(1f, oh[r * 2 + s.train().y()[r]]);
            assertEquals(0f, oh[r * 2 + 1 - s.train().y()[r]]);
        }
        assertSame(s.train().mseTargets().length, oh.length);
        // the test subset does not move when the training size changes
        Split s2 = Datasets.load("mnist:" + dir, o.withSizes(50, 10));
        assertArrayEquals(s.test().x(), s2.test().x());
        assertTrue(userError(() -> Datasets.load("mnist:" + dir, o.withSizes(10_000, 10))).contains("--n-train"));
    }
}
