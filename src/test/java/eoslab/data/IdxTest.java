package eoslab.data;

import eoslab.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/** IDX reader/writer: exact round trips (gzip and plain) and every malformed-file error. */
class IdxTest {
    @TempDir
    Path dir;

    static byte[] randomBytes(int n, long seed, int bound) {
        SeededRandom r = new SeededRandom(seed);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt(bound);
        return b;
    }

    /** Writes a 4-file IDX folder of n train / m test images of rows x cols with labels in [0, classes). */
    static void writeIdxDir(Path d, int n, int m, int rows, int cols, int classes, boolean gzip, long seed) throws IOException {
        Files.createDirectories(d);
        String ext = gzip ? ".gz" : "";
        Idx.writeImages(d.resolve("train-images-idx3-ubyte" + ext), n, rows, cols, randomBytes(n * rows * cols, seed, 256), gzip);
        Idx.writeLabels(d.resolve("train-labels-idx1-ubyte" + ext), randomBytes(n, seed + 1, classes), gzip);
        Idx.writeImages(d.resolve("t10k-images-idx3-ubyte" + ext), m, rows, cols, randomBytes(m * rows * cols, seed + 2, 256), gzip);
        Idx.writeLabels(d.resolve("t10k-labels-idx1-ubyte" + ext), randomBytes(m, seed + 3, classes), gzip);
    }

    @Test
    void roundTripPlainAndGzip() throws IOException {
        for (boolean gz : new boolean[]{false, true}) {
            byte[] px = randomBytes(7 * 5 * 3, 11, 256), lb = randomBytes(7, 12, 10);
            Path im = dir.resolve("im" + gz), la = dir.resolve("la" + gz);
            Idx.writeImages(im, 7, 5, 3, px, gz);
            Idx.writeLabels(la, lb, gz);
            byte[] head = Arrays.copyOf(Files.readAllBytes(im), 2);
            assertEquals(gz, (head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B, "gzip magic present iff gzip");
            Idx.Images r = Idx.readImages(im);
            assertEquals(7, r.n());
            assertEquals(5, r.rows());
            assertEquals(3, r.cols());
            assertArrayEquals(px, r.pixels());
            assertArrayEquals(lb, Idx.readLabels(la));
            RawImages raw = Idx.load(im, la, 10);
            assertArrayEquals(new int[]{1, 5, 3}, raw.shape());
            for (int i = 0; i < 7; i++) assertEquals(lb[i] & 0xFF, raw.labels()[i]);
        }
    }

    @Test
    void plainFileHeaderIsBigEndianAsSpecified() throws IOException {
        Path im = dir.resolve("im");
        Idx.writeImages(im, 2, 3, 4, new byte[24], false);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(im));
        assertEquals(0x00000803, b.getInt());
        assertEquals(2, b.getInt());
        assertEquals(3, b.getInt());
        assertEquals(4, b.getInt());
        assertEquals(16 + 24, b.capacity());
    }

    @Test
    void gzipIsDetectedByContentNotName() throws IOException {
        byte[] px = randomBytes(2 * 4 * 4, 5, 256);
        Path gzNoExt = dir.resolve("images-no-extension");
        Path plainWithGzName = dir.resolve("images.gz");
        Idx.writeImages(gzNoExt, 2, 4, 4, px, true);
        Idx.writeImages(plainWithGzName, 2, 4, 4, px, false);
        assertArrayEquals(px, Idx.readImages(gzNoExt).pixels());
        assertArrayEquals(px, Idx.readImages(plainWithGzName).pixels());
    }

    static String userError(Runnable r) {
        UserError e = assertThrows(UserError.class, r::run);
        assertFalse(e.getMessage().contains("\n"), "one line");
        return e.getMessage();
    }

    @Test
    void missingFile() {
        String m = userError(() -> Idx.readImages(dir.resolve("nope")));
        assertTrue(m.contains("nope") && m.contains("missing"), m);
    }

    @Test
    void truncatedPlainFile() throws IOException {
        Path im = dir.resolve("im");
        Idx.writeImages(im, 10, 4, 4, new byte[160], false);
        byte[] b = Files.readAllBytes(im);
        Files.write(im, Arrays.copyOf(b, b.length - 7));
        String m = userError(() -> Idx.readImages(im));
        assertTrue(m.contains("truncated") && m.contains("160") && m.contains("153"), m);
        Files.write(im, Arrays.copyOf(b, 10)); // header itself cut
        assertTrue(userError(() -> Idx.readImages(im)).contains("truncated"));
        Files.write(im, new byte[0]);
        assertTrue(userError(() -> Idx.readImages(im)).contains("truncated"));
    }

    @Test
    void trailingBytesAreAnError() throws IOException {
        Path la = dir.resolve("la");
        Idx.writeLabels(la, new byte[5], false);
        byte[] b = Files.readAllBytes(la);
        Files.write(la, Arrays.copyOf(b, b.length + 3));
        assertTrue(userError(() -> Idx.readLabels(la)).contains("3 bytes after"));
    }

    @Test
    void truncatedAndCorruptGzip() throws IOException {
        Path im = dir.resolve("im.gz");
        Idx.writeImages(im, 50, 8, 8, randomBytes(3200, 3, 256), true);
        byte[] b = Files.readAllBytes(im);
        Files.write(im, Arrays.copyOf(b, b.length / 2));
        String m = userError(() -> Idx.readImages(im));
        assertTrue(m.contains("gzip") && m.contains("ends early"), m);
        byte[] c = b.clone();
        for (int i = 10; i < 40; i++) c[i] ^= (byte) 0x5A; // smash the deflate stream just after the header
        Files.write(im, c);
        m = userError(() -> Idx.readImages(im));
        assertTrue(m.contains("gzip"), m);
    }

    @Test
    void wrongMagic() throws IOException {
        Path la = dir.resolve("labels");
        Idx.writeLabels(la, new byte[4], true);
        String m = userError(() -> Idx.readImages(la));
        assertTrue(m.contains("0x00000801") && m.contains("label file") && m.contains("0x00000803"), m);
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[]{0x50, 0x4B, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        m = userError(() -> Idx.readLabels(junk));
        assertTrue(m.contains("0x504b0304"), m);
    }

    @Test
    void countMismatchAndLabelRange() throws IOException {
        Path im = dir.resolve("im"), la = dir.resolve("la");
        Idx.writeImages(im, 6, 2, 2, new byte[24], false);
        Idx.writeLabels(la, new byte[5], false);
        String m = userError(() -> Idx.load(im, la, 10));
        assertTrue(m.contains("5 labels") && m.contains("6 images"), m);
        byte[] lb = {0, 1, 2, 10, 3, 4};
        Idx.writeLabels(la, lb, false);
        m = userError(() -> Idx.load(im, la, 10));
        assertTrue(m.contains("label 10") && m.contains("example 3"), m);
        lb[3] = (byte) 200; // uint8, not a negative byte
        Idx.writeLabels(la, lb, false);
        assertTrue(userError(() -> Idx.load(im, la, 10)).contains("label 200"));
    }

    @Test
    void checksumFileInFolderIsEnforced() throws IOException {
        Path im = dir.resolve("im.gz");
        Idx.writeImages(im, 3, 2, 2, randomBytes(12, 9, 256), true);
        String good = DataFiles.sha256(Files.readAllBytes(im));
        Files.writeString(dir.resolve("SHA256SUMS"), good + "  im.gz\n");
        assertEquals(3, Idx.readImages(im).n());
        Files.writeString(dir.resolve("SHA256SUMS"), "0".repeat(64) + "  im.gz\n");
        String m = userError(() -> Idx.readImages(im));
        assertTrue(m.contains("SHA-256") && m.contains(good), m);
    }

    /** A gzip stream with two members (what `cat a.gz b.gz` gives) is one file for gunzip; we accept it too. */
    @Test
    void concatenatedGzipMembers() throws IOException {
        byte[] px = randomBytes(2 * 3 * 3, 1, 256);
        ByteBuffer h = ByteBuffer.allocate(16).putInt(0x803).putInt(2).putInt(3).putInt(3);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : new byte[][]{h.array(), px}) {
            ByteArrayOutputStream one = new ByteArrayOutputStream();
            try (GZIPOutputStream g = new GZIPOutputStream(one)) {
                g.write(part);
            }
            all.write(one.toByteArray());
        }
        Path im = dir.resolve("im");
        Files.write(im, all.toByteArray());
        assertArrayEquals(px, Idx.readImages(im).pixels());
    }
}
