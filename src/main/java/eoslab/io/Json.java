package eoslab.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import eoslab.util.UserError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * eoslab's one JSON configuration (Jackson), used for {@code config.json} (pretty) and metric lines
 * (compact). The rules below make two runs that computed the same numbers write byte-identical files,
 * so metric logs can be compared with {@code cmp}/{@code diff}:
 * <ul>
 *   <li>Key order is insertion order: a {@code LinkedHashMap} is written in the order it was filled,
 *       a record in component order. Nothing is sorted.</li>
 *   <li>A {@code double} is written as the shortest decimal that parses back to the same double
 *       ({@link Double#toString}, shortest since JDK 19, JDK-4511638), e.g. {@code 0.1},
 *       {@code 0.30000000000000004}, {@code 1.0E-5}; a {@code float} as the shortest that parses back
 *       to the same float ({@code 0.1f} is {@code 0.1}, not {@code 0.10000000149011612}). Every such
 *       token is valid JSON and round-trips bit-exactly through Python's {@code json} and Jackson.</li>
 *   <li>Non-finite values are written as the JSON <em>strings</em> {@code "NaN"}, {@code "Infinity"},
 *       {@code "-Infinity"}. Bare {@code NaN} is not JSON; {@code null} would erase the difference
 *       between a diverged run (loss = Infinity) and a missing value. Python reads them back with
 *       {@code float(x)}, pandas with {@code pd.to_numeric}; Jackson reads them into a double.</li>
 * </ul>
 * Reading is strict: unknown properties in a config are errors (a typo must not be silently ignored).
 */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .disable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Two-space indent, {@code "key": value} (as Python's json.dumps(indent=2)), arrays of scalars on one line. */
    private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultPrettyPrinter.FixedSpaceIndenter()));

    private static final ObjectWriter COMPACT = MAPPER.writer();

    private Json() {
    }

    /** The shared, configured mapper (thread-safe); use it for anything not covered below. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Compact one-line JSON of {@code value} (no trailing newline): a metrics line. */
    public static String line(Object value) {
        try {
            return COMPACT.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + value.getClass().getName() + " to JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Indented JSON of {@code value}, ending with a newline. */
    public static String pretty(Object value) {
        try {
            return PRETTY.writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + value.getClass().getName() + " to JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Write {@link #pretty} of {@code value} to {@code file} atomically (e.g. {@code config.json}). */
    public static void writePretty(Path file, Object value) throws IOException {
        AtomicFiles.writeString(file, pretty(value));
    }

    /** Parse JSON text; {@code source} names it in the error message. */
    public static JsonNode parse(String source, String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UserError(source + ": invalid JSON: " + firstLine(e.getOriginalMessage()) + location(e));
        }
    }

    /**
     * Field {@code k} of a map read back from JSON (a saved configuration), as text; a
     * NullPointerException naming the field when it is missing, for the caller to turn into its error.
     */
    public static String str(java.util.Map<String, Object> m, String k) {
        Object o = m.get(k);
        if (o == null) throw new NullPointerException("missing '" + k + "'");
        return o.toString();
    }

    /** Field {@code k} of a map read back from JSON, as a number; NullPointerException naming it otherwise. */
    public static Number num(java.util.Map<String, Object> m, String k) {
        Object o = m.get(k);
        if (!(o instanceof Number x)) throw new NullPointerException("missing number '" + k + "'");
        return x;
    }

    /** Read a JSON file into a tree; UserError if missing or invalid. */
    public static JsonNode readTree(Path file) {
        return parse(file.toString(), readText(file));
    }

    /** Read a JSON file into {@code type} (e.g. a config record, validated by its constructor). */
    public static <T> T read(Path file, Class<T> type) {
        String text = readText(file);
        try {
            return MAPPER.readValue(text, type);
        } catch (JsonProcessingException e) {
            // a record constructor's IllegalArgumentException arrives wrapped; show the validation message
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            String why = root instanceof IllegalArgumentException ? root.getMessage() : e.getOriginalMessage();
            throw new UserError(file + ": " + firstLine(why) + location(e), e);
        }
    }

    /**
     * The records of a metrics file (JSON lines, each an object with a numeric {@code step}). A last
     * line without its newline is a record a running job is still writing and is left out; any other
     * bad line is a UserError naming the file and line.
     */
    @SuppressWarnings("unchecked")
    public static java.util.List<java.util.Map<String, Object>> readStepRecords(Path file) {
        String[] lines = readText(file).split("\n", -1);
        java.util.List<java.util.Map<String, Object>> out = new java.util.ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            Object rec;
            try {
                rec = MAPPER.readValue(lines[i], Object.class);
            } catch (JsonProcessingException e) {
                if (i == lines.length - 1) continue; // no newline yet: the run is writing it
                throw new UserError(file + " line " + (i + 1) + ": not a JSON record (" + firstLine(e.getOriginalMessage())
                        + "); was the file edited or truncated?");
            }
            if (!(rec instanceof java.util.Map<?, ?> m) || !(m.get("step") instanceof Number)) {
                throw new UserError(file + " line " + (i + 1) + ": not a metrics record (a JSON object with a numeric step); was the file edited?");
            }
            out.add((java.util.Map<String, Object>) m);
        }
        return out;
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
