package eoslab.io;

import eoslab.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class JsonlWriterTest {
    @TempDir
    Path dir;

    private static Map<String, Object> rec(long step, double loss) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("loss", loss);
        return m;
    }

    @Test
    void linesAreVisibleImmediatelyWithoutClose() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        try (JsonlWriter w = JsonlWriter.create(f)) {
            w.write(rec(0, 0.5));
            // another reader (a plotting process, or the file after a kill) sees the line at once
            assertEquals(List.of("{\"step\":0,\"loss\":0.5}"), Files.readAllLines(f));
            w.write(rec(1, Double.POSITIVE_INFINITY));
            assertEquals(List.of("{\"step\":0,\"loss\":0.5}", "{\"step\":1,\"loss\":\"Infinity\"}"), Files.readAllLines(f));
        }
        try (JsonlWriter w = JsonlWriter.create(f)) { // create starts over
            w.write(rec(5, 1));
        }
        assertEquals(List.of("{\"step\":5,\"loss\":1.0}"), Files.readAllLines(f));
    }

    /**
     * Resume: the run crashed after logging step 7 (and tearing a line for step 8) but its last
     * checkpoint is step 4. Truncate to 4, append 5..9: the log must equal an uninterrupted run's.
     */
    @Test
    void truncateThenAppendReproducesTheUninterruptedLog() throws IOException {
        Path straight = dir.resolve("straight.jsonl"), resumed = dir.resolve("resumed.jsonl");
        try (JsonlWriter w = JsonlWriter.create(straight)) {
            w.write(Map.of("event", "start"));
            for (int s = 0; s < 10; s++) w.write(rec(s, 1.0 / (s + 1)));
        }
        try (JsonlWriter w = JsonlWriter.create(resumed)) {
            w.write(Map.of("event", "start"));
            for (int s = 0; s < 8; s++) w.write(rec(s, 1.0 / (s + 1)));
        }
        Files.writeString(resumed, "{\"step\":8,\"lo", StandardOpenOption.APPEND); // torn by the kill

        assertEquals(4, JsonlWriter.truncateAfterStep(resumed, 4)); // steps 5, 6, 7 and the torn line
        List<String> lines = Files.readAllLines(resumed);
        assertEquals(6, lines.size());
        assertEquals("{\"event\":\"start\"}", lines.getFirst(), "lines without a step are kept");
        assertEquals("{\"step\":4,\"loss\":0.2}", lines.getLast());

        try (JsonlWriter w = JsonlWriter.append(resumed)) {
            for (int s = 5; s < 10; s++) w.write(rec(s, 1.0 / (s + 1)));
        }
        assertArrayEquals(Files.readAllBytes(straight), Files.readAllBytes(resumed));
        assertEquals(0, JsonlWriter.truncateAfterStep(resumed, 100), "nothing to remove");
        assertEquals(0, JsonlWriter.truncateAfterStep(dir.resolve("absent.jsonl"), 3));
    }

    @Test
    void appendRepairsATornLastLine() throws IOException {
        Path f = dir.resolve("m.jsonl");
        Files.writeString(f, "{\"step\":0}\n{\"step\":1,\"lo");
        try (JsonlWriter w = JsonlWriter.append(f)) {
            w.write(rec(1, 0.25));
        }
        assertEquals("{\"step\":0}\n{\"step\":1,\"loss\":0.25}\n", Files.readString(f, StandardCharsets.UTF_8));
        Files.writeString(f, "{\"step\":0"); // only a torn line
        try (JsonlWriter w = JsonlWriter.append(f)) {
            w.write(rec(0, 2));
        }
        assertEquals("{\"step\":0,\"loss\":2.0}\n", Files.readString(f));
    }

    @Test
    void corruptCompleteLineIsAUserError() throws IOException {
        Path f = dir.resolve("m.jsonl");
        Files.writeString(f, "{\"step\":0}\nnot json\n{\"step\":2}\n");
        UserError e = assertThrows(UserError.class, () -> JsonlWriter.truncateAfterStep(f, 0));
        assertTrue(e.getMessage().startsWith(f + " line 2: invalid JSON"), e.getMessage());
        assertEquals("{\"step\":0}\nnot json\n{\"step\":2}\n", Files.readString(f), "file untouched on error");
    }
}
