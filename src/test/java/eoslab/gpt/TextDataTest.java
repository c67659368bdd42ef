package eoslab.gpt;

import eoslab.backend.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextDataTest {

    @Test
    void splitsNinetyTenContiguously() {
        String text = "abcdefghij".repeat(10); // 100 bytes
        TextData d = TextData.of("t", text, ByteTokenizer.INSTANCE);
        assertEquals(90, d.train().length);
        assertEquals(10, d.val().length);
        assertEquals('a', d.train()[0]);
        assertEquals('a', d.val()[0]); // token 90 is 'a'
        assertEquals(256, d.vocab());
    }

    @Test
    void foldersAreReadInNaturalOrder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("chapter_10.txt"), "ten");
        Files.writeString(dir.resolve("chapter_2.txt"), "two");
        Files.writeString(dir.resolve("chapter_1.txt"), "one\n");
        Files.writeString(dir.resolve("notes.json"), "{}");
        assertEquals("one\n\ntwo\n\nten\n", TextData.read(dir));
        var e = assertThrows(RuntimeException.class, () -> TextData.read(dir.resolve("missing.txt")));
        assertTrue(e.getMessage().contains("missing.txt"));
    }

    @Test
    void wikiTextFoldersKeepTheirOwnTrainAndValidationFiles(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("wiki.train.raw"), " = Valkyria = \n the train text \n");
        Files.writeString(dir.resolve("wiki.valid.raw"), " = Homarus = \n");
        Files.writeString(dir.resolve("wiki.test.raw"), " never read \n");
        TextData d = TextData.load(dir, ByteTokenizer.INSTANCE);
        assertEquals(" = Valkyria = \n the train text \n", decode(d.train()));
        assertEquals(" = Homarus = \n", decode(d.val()));
        Path half = Files.createDirectory(dir.resolve("half"));
        Files.writeString(half.resolve("wiki.train.tokens"), "only train");
        var e = assertThrows(RuntimeException.class, () -> TextData.load(half, ByteTokenizer.INSTANCE));
        assertTrue(e.getMessage().contains("wiki.valid.tokens"), e.getMessage());
    }

    private static String decode(int[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int b : bytes) sb.append((char) b);
        return sb.toString();
    }

    @Test
    void batchesAreWindowsAndAPureFunctionOfSeedAndStep() {
        int[] stream = new int[500];
        for (int i = 0; i < stream.length; i++) stream[i] = i;
        TextBatches a = new TextBatches(stream, 4, 16, 7), b = new TextBatches(stream, 4, 16, 7);
        int[][] late = b.hostBatch(9); // read out of order: no hidden state
        int[][] x = null;
        for (int t = 0; t <= 9; t++) x = a.hostBatch(t);
        assertArrayEquals(late[0], x[0]);
        assertArrayEquals(late[1], x[1]);
        for (int i = 0; i < 4 * 16; i++) assertEquals(x[0][i] + 1, x[1][i], "labels are the next tokens");
        for (int r = 0; r < 4; r++) {
            for (int c = 1; c < 16; c++) assertEquals(x[0][r * 16] + c, x[0][r * 16 + c], "a window is contiguous");
            assertTrue(x[0][r * 16] + 16 < 500, "window + target fits");
        }
        assertNotEquals(java.util.Arrays.toString(a.starts(0)), java.util.Arrays.toString(a.starts(1)));
        assertNotEquals(java.util.Arrays.toString(a.starts(0)), java.util.Arrays.toString(new TextBatches(stream, 4, 16, 8).starts(0)));
        var batch = a.batch(CpuBackend.INSTANCE, 3);
        assertEquals(4, batch.n());
        assertEquals(64, batch.x().size);
        // every start in [0, len − T − 1] is reachable; none beyond
        TextBatches small = new TextBatches(new int[20], 1, 16, 1);
        java.util.Set<Integer> seen = new java.util.TreeSet<>();
        for (int t = 0; t < 400; t++) seen.add(small.starts(t)[0]);
        assertEquals(java.util.Set.of(0, 1, 2, 3), seen);
    }
}
