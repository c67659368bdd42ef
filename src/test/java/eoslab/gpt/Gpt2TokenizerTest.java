package eoslab.gpt;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPT-2 BPE against ids produced by an independent implementation: the npm package gpt-3-encoder's
 * own {@code Encoder.js} (v1.1.4) run on the same strings (see datasets/gpt2/README.md).
 */
class Gpt2TokenizerTest {
    static Gpt2Tokenizer tok;

    @BeforeAll
    static void load() {
        tok = Gpt2Tokenizer.load(Path.of("datasets", "gpt2"));
    }

    static void check(String text, int... ids) {
        assertArrayEquals(ids, tok.encode(text), "encode(" + text + ")");
        assertEquals(text, tok.decode(ids), "decode round trip of " + text);
    }

    @Test
    void knownIdsFromTheReferenceEncoder() {
        check("Hello world", 15496, 995);
        check("This is some text", 1212, 318, 617, 2420);
        check("indivisible values", 521, 452, 12843, 3815);
        check("hello 👋 world 🌍", 31373, 50169, 233, 995, 12520, 234, 235);
        check(" ", 220);
        check("\t", 197);
        check("");
        check("I'm here, you're there; we'll see... it's 2024!", 40, 1101, 994, 11, 345, 821, 612, 26, 356, 1183, 766, 986, 340, 338, 48609, 0);
        check("  leading and trailing spaces  ", 220, 3756, 290, 25462, 9029, 220, 220);
        check("naïve café déjà vu", 2616, 38776, 40304, 39073, 73, 24247, 410, 84);
        check("line one\nline two\n\n  indented", 1370, 530, 198, 1370, 734, 628, 220, 773, 4714);
        check("The LORD is my shepherd; I shall not want.", 464, 35750, 318, 616, 46721, 26, 314, 2236, 407, 765, 13);
        check("1234567 89", 10163, 2231, 3134, 9919);
        check("日本語のテキスト", 33768, 98, 17312, 105, 45739, 252, 5641, 24336, 25084, 43302);
        check("Call me Ishmael. Some years ago—never mind how long precisely—", 14134, 502, 1148, 21720, 417, 13, 2773, 812, 2084, 960, 12081, 2000, 703, 890, 10582, 960);
    }

    @Test
    void vocabularyAndByteMap() {
        assertEquals(50257, tok.vocabSize());
        int[] map = Gpt2Tokenizer.bytesToUnicode();
        assertEquals('!', map['!']);
        assertEquals(256 + 32, map[' ']); // bytes 0..32 are the first 33 non-printables: ' ' → 'Ġ' (U+0120)
        assertEquals(0x120, map[' ']);
        assertEquals(256, java.util.Arrays.stream(map).distinct().count(), "the byte map is a bijection");
        // the special token's text is plain text to encoder.py (id 50256 is only ever inserted by hand)
        check("<|endoftext|>", 27, 91, 437, 1659, 5239, 91, 29);
    }

    @Test
    void byteTokenizerRoundTripsUtf8() {
        String s = "naïve 👋";
        int[] ids = ByteTokenizer.INSTANCE.encode(s);
        assertEquals(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, ids.length);
        assertTrue(java.util.Arrays.stream(ids).allMatch(i -> i >= 0 && i < 256));
        assertEquals(s, ByteTokenizer.INSTANCE.decode(ids));
        assertThrows(IllegalArgumentException.class, () -> ByteTokenizer.INSTANCE.decode(new int[]{256}));
    }

    @Test
    void missingFilesIsAClearError() {
        var e = assertThrows(RuntimeException.class, () -> Gpt2Tokenizer.load(Path.of("no-such-dir")));
        assertTrue(e.getMessage().contains("encoder.json"), e.getMessage());
    }
}
