package eoslab.gpt;

import java.nio.charset.StandardCharsets;

/** The UTF-8 bytes of the text as ids 0–255: needs no files, and is what the tiny preset (V = 256) uses. */
public final class ByteTokenizer implements Tokenizer {
    public static final ByteTokenizer INSTANCE = new ByteTokenizer();

    private ByteTokenizer() {
    }

    @Override public String name() { return "bytes"; }

    @Override public int vocabSize() { return 256; }

    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xFF;
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] b = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] > 255) throw new IllegalArgumentException("byte token id " + ids[i] + " is outside [0, 256)");
            b[i] = (byte) ids[i];
        }
        return new String(b, StandardCharsets.UTF_8);
    }
}
