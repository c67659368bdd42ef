package eoslab.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static eoslab.data.IdxTest.randomBytes;
import static eoslab.data.IdxTest.userError;
import static org.junit.jupiter.api.Assertions.*;

/** CIFAR-10 binary reader: exact round trip, CHW layout, the six-file folder, malformed files. */
class Cifar10Test {
    @TempDir
    Path dir;

    /** Six batch files with {@code per} records each; returns {labels, pixels} of the train files concatenated. */
    static byte[][] writeCifarDir(Path d, int per, long seed) throws IOException {
        Files.createDirectories(d);
        byte[] allL = new byte[5 * per], allP = new byte[5 * per * Cifar10.FEATURES];
        for (int b = 0; b < 6; b++) {
            byte[] l = randomBytes(per, seed + 2L * b, 10), p = randomBytes(per * Cifar10.FEATURES, seed + 2L * b + 1, 256);
            String name = b < 5 ? Cifar10.TRAIN_FILES.get(b) : Cifar10.TEST_FILE;
            Cifar10.write(d.resolve(name), l, p);
            if (b < 5) {
                System.arraycopy(l, 0, allL, b * per, per);
                System.arraycopy(p, 0, allP, b * per * Cifar10.FEATURES, per * Cifar10.FEATURES);
            }
        }
        return new byte[][]{allL, allP};
    }

    @Test
    void roundTripAndRecordLayout() throws IOException {
        byte[] l = {3, 9, 0};
        byte[] p = randomBytes(3 * 3072, 4, 256);
        Path f = dir.resolve("b.bin");
        Cifar10.write(f, l, p);
        byte[] raw = Files.readAllBytes(f);
        assertEquals(3 * 3073, raw.length);
        // record 1: label byte then R plane, G plane, B plane (CHW); pixel (c=1 green, h=2, w=5)
        assertEquals(9, raw[3073]);
        assertEquals(p[3072 + 1024 + 2 * 32 + 5], raw[3073 + 1 + 1024 + 2 * 32 + 5]);
        RawImages r = Cifar10.read(List.of(f));
        assertArrayEquals(new int[]{3, 32, 32}, r.shape());
        assertArrayEquals(new int[]{3, 9, 0}, r.labels());
        assertArrayEquals(p, r.pixels());
    }

    @Test
    void folderWithSixBatchesAndSubfolder() throws IOException {
        byte[][] want = writeCifarDir(dir.resolve("cifar-10-batches-bin"), 4, 100);
        RawImages[] tt = Cifar10.loadDir(dir); // finds the subfolder
        assertEquals(20, tt[0].n());
        assertEquals(4, tt[1].n());
        assertArrayEquals(want[1], tt[0].pixels());
        for (int i = 0; i < 20; i++) assertEquals(want[0][i], tt[0].labels()[i]);
    }

    @Test
    void loadThroughDatasetsWithClassPair() throws IOException {
        writeCifarDir(dir, 30, 7);
        Split s = Datasets.load("cifar10:" + dir, DataOptions.defaults().withClasses(9, 1).withNormalization(Normalization.NONE_0_1));
        assertArrayEquals(new int[]{9, 1}, s.classes());
        assertEquals(3072, s.train().features());
        assertArrayEquals(new int[]{3, 32, 32}, s.train().shape());
        RawImages raw = Cifar10.loadDir(dir)[0];
        long want = Arrays.stream(raw.labels()).filter(c -> c == 9 || c == 1).count();
        assertEquals(want, s.train().n());
        // the kept examples in file order, truck (9) -> 0, automobile (1) -> 1, x = pixel/255
        int r = 0;
        for (int i = 0; i < raw.n(); i++) {
            int c = raw.labels()[i];
            if (c != 9 && c != 1) continue;
            assertEquals(c == 9 ? 0 : 1, s.train().y()[r]);
            for (int j = 0; j < 3072; j += 97) assertEquals((raw.pixels()[i * 3072 + j] & 0xFF) / 255f, s.train().x()[r * 3072 + j]);
            r++;
        }
    }

    @Test
    void errors() throws IOException {
        Path f = dir.resolve("b.bin");
        Cifar10.write(f, new byte[2], new byte[2 * 3072]);
        byte[] raw = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(raw, raw.length - 1));
        String m = userError(() -> Cifar10.read(List.of(f)));
        assertTrue(m.contains("3073") && m.contains("truncated"), m);
        raw[3073] = 10;
        Files.write(f, raw);
        m = userError(() -> Cifar10.read(List.of(f)));
        assertTrue(m.contains("label 10") && m.contains("record 1"), m);
        Path d = dir.resolve("partial");
        writeCifarDir(d, 2, 1);
        Files.delete(d.resolve("data_batch_3.bin"));
        m = userError(() -> Datasets.load("cifar10:" + d, DataOptions.defaults()));
        assertTrue(m.contains("data_batch_3.bin") && m.contains("missing"), m);
        assertTrue(userError(() -> Datasets.load("cifar10", DataOptions.defaults())).contains("cifar10:DIR"));
    }
}
