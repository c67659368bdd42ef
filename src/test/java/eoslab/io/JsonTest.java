package eoslab.io;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class JsonTest {
    @TempDir
    Path dir;

    /** A config record as the CLI will have them: validated in its constructor. */
    public record TrainConfig(String model, double lr, int steps, List<Integer> hidden) {
        public TrainConfig {
            if (!(lr > 0)) throw new IllegalArgumentException("lr must be > 0, got " + lr);
        }
    }

    private static Map<String, Object> line(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void metricLinesAreCompactInInsertionOrderWithShortestDoubles() {
        assertEquals("{\"step\":3,\"loss\":0.30000000000000004,\"lr\":0.01,\"tiny\":1.0E-5,\"f\":0.1,\"big\":1.0E21,\"name\":\"a\\\"b\"}",
                Json.line(line("step", 3, "loss", 0.1 + 0.2, "lr", 0.01, "tiny", 1e-5, "f", 0.1f, "big", 1e21, "name", "a\"b")));
        // insertion order, not alphabetical
        assertEquals("{\"z\":1,\"a\":2}", Json.line(line("z", 1, "a", 2)));
    }

    @Test
    void nonFiniteValuesAreStrings() {
        assertEquals("{\"a\":\"NaN\",\"b\":\"Infinity\",\"c\":\"-Infinity\",\"d\":\"NaN\"}",
                Json.line(line("a", Double.NaN, "b", Double.POSITIVE_INFINITY, "c", Double.NEGATIVE_INFINITY, "d", Float.NaN)));
        JsonNode n = Json.parse("test", "{\"a\":\"Infinity\"}");
        assertEquals(Double.POSITIVE_INFINITY, Json.mapper().convertValue(n.get("a"), Double.class));
    }

    /** Doubles must survive write -> parse bit-exactly, and the token must be Double.toString's (shortest). */
    @Test
    void doublesRoundTripBitExactly() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            double d = i % 2 == 0 ? Double.longBitsToDouble(rng.nextLong()) : rng.nextGaussian() * Math.pow(10, rng.nextInt(-12, 12));
            if (!Double.isFinite(d)) continue;
            String s = Json.line(line("x", d));
            String token = s.substring(5, s.length() - 1);
            assertEquals(Double.toString(d), token);
            assertEquals(Double.doubleToLongBits(d), Double.doubleToLongBits(Double.parseDouble(token)));
            assertEquals(Double.doubleToLongBits(d), Double.doubleToLongBits(Json.parse("t", s).get("x").doubleValue()));
            float f = (float) d;
            if (Float.isFinite(f)) {
                String fs = Json.line(line("x", f));
                assertEquals(Float.floatToIntBits(f), Float.floatToIntBits(Float.parseFloat(fs.substring(5, fs.length() - 1))));
            }
        }
        // shortest: these need exactly the digits shown
        assertEquals("{\"x\":0.1}", Json.line(line("x", 0.1)));
        assertEquals("{\"x\":200.0}", Json.line(line("x", 2 / 0.01)));
        assertEquals("{\"x\":0.3333333333333333}", Json.line(line("x", 1 / 3.0)));
        assertEquals("{\"x\":2.0E-323}", Json.line(line("x", Double.MIN_VALUE * 4)));
    }

    @Test
    void prettyConfigWritesAndReadsBack() throws IOException {
        TrainConfig c = new TrainConfig("mlp", 0.01, 10_000, List.of(512, 512));
        Path f = dir.resolve("run/config.json");
        Json.writePretty(f, c);
        String text = Files.readString(f, StandardCharsets.UTF_8);
        assertEquals("{\n  \"model\": \"mlp\",\n  \"lr\": 0.01,\n  \"steps\": 10000,\n  \"hidden\": [ 512, 512 ]\n}\n", text);
        assertEquals(c, Json.read(f, TrainConfig.class));
    }

    @Test
    void badConfigsAreUserErrorsNamingTheFile() throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"model\": \"mlp\", \"lr\": 0.01, \"stepz\": 5}");
        UserError e = assertThrows(UserError.class, () -> Json.read(f, TrainConfig.class));
        assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains("stepz"), e.getMessage());

        Files.writeString(f, "{\"model\": \"mlp\", \"lr\": -1, \"steps\": 5}");
        e = assertThrows(UserError.class, () -> Json.read(f, TrainConfig.class));
        assertTrue(e.getMessage().contains("lr must be > 0, got -1.0"), e.getMessage());

        Files.writeString(f, "{\"model\": ");
        e = assertThrows(UserError.class, () -> Json.readTree(f));
        assertTrue(e.getMessage().startsWith(f + ": invalid JSON"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));

        e = assertThrows(UserError.class, () -> Json.readTree(dir.resolve("missing.json")));
        assertTrue(e.getMessage().endsWith("no such file"), e.getMessage());
    }
}
