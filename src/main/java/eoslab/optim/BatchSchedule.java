package eoslab.optim;

import eoslab.util.CounterRng;

/**
 * The noise ω of SGD: the minibatch B_t is a pure function of (seed, t) (SPEC §1). Step t reads
 * epoch e = ⌊t / (n/B)⌋ of a sequence of independent random permutations (sampling without
 * replacement within an epoch, the usual data loader), and takes its (t mod n/B)-th slice of B
 * rows; a last partial batch is dropped. Because nothing depends on earlier steps, the shift
 * θ^s ω is simply "start at s": resumed, forked and ensemble runs see the same batches.
 * Full batch is {@code batchSize == n}: every B_t is all rows, in order.
 */
public final class BatchSchedule {
    /** Stream id so data-order randomness never collides with initialisation randomness. */
    private static final long STREAM = 0x5eed_ba7c_0000_0001L;

    private final long seed;
    private final int n, batchSize, stepsPerEpoch;
    private long cachedEpoch = -1;
    private int[] cachedPerm;

    public BatchSchedule(long seed, int n, int batchSize) {
        if (n < 1) throw new IllegalArgumentException("data set is empty");
        if (batchSize < 1 || batchSize > n) {
            throw new IllegalArgumentException("batch size " + batchSize + " must be between 1 and the number of examples " + n);
        }
        this.seed = seed;
        this.n = n;
        this.batchSize = batchSize;
        this.stepsPerEpoch = n / batchSize;
    }

    public boolean fullBatch() {
        return batchSize == n;
    }

    public int batchSize() {
        return batchSize;
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** Row indices of B_t; null means every row (full batch). */
    public synchronized int[] batch(long t) {
        if (t < 0) throw new IllegalArgumentException("step must be >= 0, got " + t);
        if (fullBatch()) return null;
        long epoch = t / stepsPerEpoch;
        if (epoch != cachedEpoch) {
            cachedPerm = CounterRng.permutation(seed, STREAM + epoch, n);
            cachedEpoch = epoch;
        }
        int start = (int) (t % stepsPerEpoch) * batchSize;
        return java.util.Arrays.copyOfRange(cachedPerm, start, start + batchSize);
    }
}
