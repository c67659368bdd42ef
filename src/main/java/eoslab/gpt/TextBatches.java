package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.nn.Batch;
import eoslab.util.CounterRng;

/**
 * Minibatches of a token stream for next-token prediction: step t reads B windows of T + 1
 * consecutive tokens, x = window[0, T) and labels = window[1, T + 1). Window starts are a pure
 * function of (seed, t) (counter-based, like {@link eoslab.optim.BatchSchedule}; SPEC §1), uniform
 * over [0, len − T − 1], drawn with replacement as nanoGPT's {@code get_batch} does. So the shift
 * θ^s ω is "start at step s" and runs resume and fork bit-exactly.
 */
public final class TextBatches {
    /** Stream id apart from initialisation and data-order randomness. */
    private static final long STREAM = 0x7e47_ba7c_0000_0001L;

    private final int[] tokens;
    private final int batch, seqLen;
    private final long seed;

    public TextBatches(int[] tokens, int batch, int seqLen, long seed) {
        if (batch < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batch);
        if (seqLen < 1) throw new IllegalArgumentException("sequence length must be >= 1, got " + seqLen);
        if (tokens.length < seqLen + 1) {
            throw new IllegalArgumentException("token stream of " + tokens.length + " tokens is shorter than one window of T + 1 = " + (seqLen + 1));
        }
        this.tokens = tokens;
        this.batch = batch;
        this.seqLen = seqLen;
        this.seed = seed;
    }

    public int batchSize() { return batch; }

    public int seqLen() { return seqLen; }

    /** Start positions of the B windows of step t. */
    public int[] starts(long t) {
        if (t < 0) throw new IllegalArgumentException("step must be >= 0, got " + t);
        int[] s = new int[batch];
        int range = tokens.length - seqLen; // starts in [0, len − T − 1]
        for (int i = 0; i < batch; i++) s[i] = CounterRng.below(seed, STREAM, t * batch + i, range);
        return s;
    }

    /** x (B, T) and labels (B·T) of step t, both I32. */
    public int[][] hostBatch(long t) {
        int[] x = new int[batch * seqLen], y = new int[batch * seqLen];
        int[] s = starts(t);
        for (int i = 0; i < batch; i++) {
            System.arraycopy(tokens, s[i], x, i * seqLen, seqLen);
            System.arraycopy(tokens, s[i] + 1, y, i * seqLen, seqLen);
        }
        return new int[][]{x, y};
    }

    /** Step t's batch on {@code be}, as {@link Gpt2} takes it (n = B). */
    public Batch batch(Backend be, long t) {
        int[][] h = hostBatch(t);
        return new Batch(be.fromInts(h[0]), be.fromInts(h[1]), null, batch);
    }

    /**
     * Micro-batch {@code part} of {@code parts} of step t's batch: windows [part·B/parts, (part+1)·B/parts)
     * of {@link #hostBatch}, so the parts of a step together are exactly its B windows (gradient
     * accumulation, {@link GptObjective}). B must be a multiple of {@code parts}.
     */
    public Batch microBatch(Backend be, int[][] host, int part, int parts) {
        if (parts < 1 || batch % parts != 0) {
            throw new IllegalArgumentException("batch size " + batch + " is not a multiple of the " + parts + " accumulation steps");
        }
        if (part < 0 || part >= parts) throw new IllegalArgumentException("micro-batch " + part + " of " + parts);
        int mb = batch / parts, from = part * mb * seqLen, len = mb * seqLen;
        return new Batch(be.fromInts(java.util.Arrays.copyOfRange(host[0], from, from + len)),
                be.fromInts(java.util.Arrays.copyOfRange(host[1], from, from + len)), null, mb);
    }
}
