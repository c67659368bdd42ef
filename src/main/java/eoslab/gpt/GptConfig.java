package eoslab.gpt;

/**
 * Shape of a GPT-2 model (Radford et al. 2019; nanoGPT's {@code GPTConfig}): vocabulary V, context
 * length maxT, L blocks, H heads, C channels (head size C/H). Validated on construction.
 */
public record GptConfig(int vocab, int maxT, int layers, int heads, int channels) {
    public GptConfig {
        if (vocab < 2) throw new IllegalArgumentException("GPT config: vocab must be >= 2, got " + vocab);
        if (maxT < 1) throw new IllegalArgumentException("GPT config: maxT must be >= 1, got " + maxT);
        if (layers < 1) throw new IllegalArgumentException("GPT config: layers must be >= 1, got " + layers);
        if (heads < 1) throw new IllegalArgumentException("GPT config: heads must be >= 1, got " + heads);
        if (channels < 1 || channels % heads != 0) {
            throw new IllegalArgumentException("GPT config: channels (" + channels + ") must be a positive multiple of heads (" + heads + ")");
        }
        long d = numParams(vocab, maxT, layers, channels);
        if (d > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("GPT config: " + d + " parameters do not fit one flat vector");
    }

    /** Byte-level toy model: V = 256, T = 16, L = 2, H = 2, C = 32 (about 34k parameters). */
    public static GptConfig tiny() {
        return new GptConfig(256, 16, 2, 2, 32);
    }

    /** GPT-2 small, 124M parameters: V = 50257, T = 1024, L = 12, H = 12, C = 768. */
    public static GptConfig gpt2() {
        return new GptConfig(50257, 1024, 12, 12, 768);
    }

    /** {@code tiny} or {@code gpt2-124M} (also {@code gpt2}). */
    public static GptConfig preset(String name) {
        return switch (name.toLowerCase()) {
            case "tiny" -> tiny();
            case "gpt2", "gpt2-124m", "124m" -> gpt2();
            default -> throw new IllegalArgumentException("unknown GPT preset '" + name + "' (use tiny or gpt2-124M)");
        };
    }

    public int headSize() {
        return channels / heads;
    }

    /** Parameters of one block: ln_1, c_attn, attn.c_proj, ln_2, c_fc, mlp.c_proj (weights and biases). */
    static long blockParams(int c) {
        return 2L * c + (3L * c * c + 3L * c) + ((long) c * c + c) + 2L * c + (4L * c * c + 4L * c) + (4L * c * c + c);
    }

    static long numParams(int v, int t, int l, int c) {
        return (long) v * c + (long) t * c + l * blockParams(c) + 2L * c;
    }

    public long numParams() {
        return numParams(vocab, maxT, layers, channels);
    }
}
