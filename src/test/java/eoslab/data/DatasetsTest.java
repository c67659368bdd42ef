package eoslab.data;

import eoslab.util.UserError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static eoslab.data.IdxTest.userError;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The committed Fashion-MNIST subset and the spec-string entry point. */
class DatasetsTest {
    static final Path SUBSET = Path.of("datasets", "fashion-mnist-subset");
    @TempDir
    Path tmp;

    @AfterEach
    void clearProperty() {
        System.clearProperty("eoslab.datasets");
    }

    @Test
    void committedSubsetChecksumsMatch() throws Exception {
        List<String> lines = Files.readAllLines(SUBSET.resolve("SHA256SUMS"));
        assertEquals(4, lines.size());
        for (String line : lines) {
            String[] p = line.split("\\s+");
            byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(SUBSET.resolve(p[1])));
            assertEquals(p[0], HexFormat.of().formatHex(d), p[1]);
        }
        long bytes = 0;
        try (var s = Files.list(SUBSET)) {
            for (Path f : s.toList()) bytes += Files.size(f);
        }
        assertTrue(bytes < 3_000_000, "subset stays small: " + bytes);
    }

    @Test
    void committedSubsetLoads() {
        Split s = Datasets.load("fashion-mnist", DataOptions.defaults());
        assertArrayEquals(new int[]{2, 4}, s.classes());
        assertEquals(Normalization.CENTER, s.normalization());
        Dataset tr = s.train(), te = s.test();
        assertEquals(2000, tr.n());
        assertEquals(1000, te.n());
        assertEquals(784, tr.features());
        assertArrayEquals(new int[]{1, 28, 28}, tr.shape());
        int[] h = new int[2], ht = new int[2];
        for (int v : tr.y()) h[v]++;
        for (int v : te.y()) ht[v]++;
        assertArrayEquals(new int[]{1000, 1000}, h);
        assertArrayEquals(new int[]{500, 500}, ht);
        // CENTER: every pixel has train mean 0 (float32 sums of 2000 values in [-1, 1]: atol 1e-5)
        for (int j = 0; j < 784; j++) {
            double m = 0;
            for (int i = 0; i < tr.n(); i++) m += tr.x()[i * 784 + j];
            assertEquals(0, m / tr.n(), 1e-5, "pixel " + j);
        }
        Split raw = Datasets.load("fashion-mnist", DataOptions.defaults().withNormalization(Normalization.NONE_0_1).withSizes(100, 50).withSeed(1));
        float lo = 1, hi = 0;
        for (float v : raw.train().x()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        assertEquals(0f, lo);
        assertEquals(1f, hi);
        assertEquals(100, raw.train().n());
    }

    /** Provenance: the subset is the first 1000 / 500 pullovers and coats of the Debian files, in file order. */
    @Test
    void committedSubsetIsWhatTheReadmeSays() {
        Path full = Datasets.DEBIAN_FASHION_MNIST;
        assumeTrue(Files.isRegularFile(full.resolve("t10k-images-idx3-ubyte.gz")), "dataset-fashion-mnist not installed");
        RawImages f = Idx.load(full.resolve("t10k-images-idx3-ubyte.gz"), full.resolve("t10k-labels-idx1-ubyte.gz"), 10);
        RawImages s = Idx.load(SUBSET.resolve("t10k-images-idx3-ubyte.gz"), SUBSET.resolve("t10k-labels-idx1-ubyte.gz"), 10);
        int[] taken = new int[10];
        int r = 0;
        for (int i = 0; i < f.n(); i++) {
            int c = f.labels()[i];
            if ((c != 2 && c != 4) || taken[c] == 500) continue;
            taken[c]++;
            assertEquals(c, s.labels()[r]);
            for (int j = 0; j < 784; j++) assertEquals(f.pixels()[i * 784 + j], s.pixels()[r * 784 + j]);
            r++;
        }
        assertEquals(1000, r);
    }

    @Test
    void fullDebianFashionMnist() {
        assumeTrue(Files.isRegularFile(Datasets.DEBIAN_FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")), "dataset-fashion-mnist not installed");
        Split s = Datasets.load("fashion-mnist:full", DataOptions.defaults().withSizes(1000, 500).withNormalization(Normalization.STANDARDIZE));
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, s.classes());
        int[] h = new int[10];
        for (int v : s.train().y()) h[v]++;
        for (int c = 0; c < 10; c++) assertEquals(100, h[c], "balanced over the 10 classes");
        assertEquals(500, s.test().n());
    }

    @Test
    void tamperedSubsetIsRefused() throws IOException {
        Path copy = tmp.resolve("datasets").resolve("fashion-mnist-subset");
        Files.createDirectories(copy);
        try (var s = Files.list(SUBSET)) {
            for (Path f : s.toList()) Files.copy(f, copy.resolve(f.getFileName()));
        }
        System.setProperty("eoslab.datasets", tmp.resolve("datasets").toString());
        assertEquals(10, Datasets.load("fashion-mnist", DataOptions.defaults().withSizes(10, 10)).train().n(), "the intact copy loads");
        Path lab = copy.resolve("train-labels-idx1-ubyte.gz");
        byte[] b = Files.readAllBytes(lab);
        b[b.length / 2] ^= 1;
        Files.write(lab, b);
        String m = userError(() -> Datasets.load("fashion-mnist", DataOptions.defaults()));
        assertTrue(m.contains("train-labels-idx1-ubyte.gz") && m.contains("SHA-256"), m);
        m = userError(() -> Datasets.load("fashion-mnist:" + copy, DataOptions.defaults())); // any folder with SHA256SUMS is checked
        assertTrue(m.contains("SHA-256"), m);
        Files.delete(copy.resolve("SHA256SUMS"));
        m = userError(() -> Datasets.load("fashion-mnist", DataOptions.defaults()));
        assertTrue(m.contains("SHA256SUMS") && m.contains("missing"), m);
        System.setProperty("eoslab.datasets", tmp.resolve("elsewhere").toString());
        assertTrue(userError(() -> Datasets.load("fashion-mnist", DataOptions.defaults())).contains("EOSLAB_DATASETS"));
    }

    @Test
    void specErrors() throws IOException {
        DataOptions o = DataOptions.defaults();
        assertTrue(userError(() -> Datasets.load("imagenet", o)).contains("unknown data set 'imagenet'"));
        assertTrue(userError(() -> Datasets.load(" ", o)).contains("--data"));
        assertTrue(userError(() -> Datasets.load("mnist", o)).contains("mnist:DIR"));
        assertTrue(userError(() -> Datasets.load("mnist:" + tmp.resolve("none"), o)).contains("no such directory"));
        String m = userError(() -> Datasets.load("fashion-mnist", o.withClasses(0, 9)));
        assertTrue(m.contains("class 0 is not in") && m.contains("[2, 4]") && m.contains("fashion-mnist:full"), m);
        m = userError(() -> Datasets.load("fashion-mnist", o.withSizes(0, 1001)));
        assertTrue(m.contains("--n-test") && m.contains("only 1000"), m);
        IdxTest.writeIdxDir(tmp.resolve("m"), 20, 10, 3, 3, 10, false, 1);
        Files.delete(tmp.resolve("m").resolve("t10k-labels-idx1-ubyte"));
        m = userError(() -> Datasets.load("mnist:" + tmp.resolve("m"), o));
        assertTrue(m.contains("missing test labels-idx1 file") && m.contains("t10k-labels-idx1-ubyte.gz"), m);
    }

    @Test
    void plainIdxFolderWithOriginalMnistNames() throws IOException {
        Path d = tmp.resolve("mn");
        IdxTest.writeIdxDir(d, 30, 12, 28, 28, 10, false, 2);
        for (String s : new String[]{"train-images", "train-labels", "t10k-images", "t10k-labels"}) {
            String kind = s.endsWith("images") ? "idx3" : "idx1";
            Files.move(d.resolve(s + "-" + kind + "-ubyte"), d.resolve(s + "." + kind + "-ubyte"));
        }
        Split s = Datasets.load("mnist:" + d, DataOptions.defaults().withNormalization(Normalization.STANDARDIZE));
        assertEquals(30, s.train().n());
        assertEquals(12, s.test().n());
    }

    @Test
    void userErrorIsOneLine() {
        assertEquals("a b c", new UserError("a\nb\r\nc").getMessage());
    }
}
