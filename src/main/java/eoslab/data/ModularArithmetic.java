package eoslab.data;

import eoslab.util.UserError;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Modular addition, the grokking task of Power et al. (2022) as used by Tuci et al. (2026, SPEC §6:
 * "addition mod 97, 40% train / 60% test"). Every one of the p² pairs (a, b), a, b ∈ {0..p−1}, is
 * one example with label (a + b) mod p; a seeded random fraction of the pairs is the training set
 * and the rest the test set, so the two are disjoint and together are the whole table.
 *
 * <p>Features: x = onehot(a) ⊕ onehot(b), 2p floats (n, 2p). A {@code Linear(2p, h)} on this input
 * computes W x + c = E_a[a] + E_b[b] + c with E_a = W[:, 0:p] and E_b = W[:, p:2p]: exactly the
 * "embeddings of a and b summed" of the usual grokking MLP (an {@code nn.Embedding} per operand),
 * with no extra parameters; the one-hot matrix product is wasteful (only 2 of 2p inputs are
 * non-zero) but keeps the model a plain {@code Mlp} whose HVPs and checkpoints already exist.
 *
 * <p>The split is a pure function of (p, trainFraction, seed): pair index i = a·p + b, a
 * Fisher–Yates permutation of 0..p²−1 from {@link SeededRandom} stream {@link #STREAM_SPLIT} of the
 * seed, the first round(trainFraction·p²) of it are training pairs. Within each split, examples are
 * in ascending pair order (the split is a set; data order during training comes from the batch
 * schedule).
 */
public final class ModularArithmetic {
    /** Random stream of the train/test split (distinct from {@link Synthetic}'s streams 0–2). */
    public static final long STREAM_SPLIT = 0x6d6f6461646400L; // "modadd"

    private ModularArithmetic() {
    }

    /** Addition mod {@code p}; {@code trainFraction} of the p² pairs are training examples. */
    public record Spec(int p, double trainFraction) {
        public Spec {
            if (p < 2 || p > 4096) throw new UserError("modadd: p = " + p + ", need a modulus in [2, 4096]");
            if (!(trainFraction > 0 && trainFraction < 1)) throw new UserError("modadd: train = " + trainFraction + ", need a fraction in (0, 1)");
            long nTrain = Math.round(trainFraction * p * p);
            if (nTrain < 1 || nTrain >= (long) p * p) {
                throw new UserError("modadd: train = " + trainFraction + " of " + p * p + " pairs leaves an empty " + (nTrain < 1 ? "training" : "test") + " set");
            }
        }

        public int pairs() {
            return p * p;
        }

        /** Training examples: round(trainFraction · p²). */
        public int nTrain() {
            return (int) Math.round(trainFraction * p * p);
        }

        /** Input width 2p: one-hot a, then one-hot b. */
        public int features() {
            return 2 * p;
        }
    }

    /** Pair indices a·p + b of the training split (ascending), then of the test split (ascending). */
    public static int[][] splitIndices(Spec s, long seed) {
        int[] perm = new int[s.pairs()];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        new SeededRandom(seed, STREAM_SPLIT).shuffle(perm);
        int[] train = Arrays.copyOfRange(perm, 0, s.nTrain());
        int[] test = Arrays.copyOfRange(perm, s.nTrain(), perm.length);
        Arrays.sort(train);
        Arrays.sort(test);
        return new int[][]{train, test};
    }

    /** The examples for the pair indices {@code idx}: x (m, 2p) one-hot(a) ⊕ one-hot(b), y = (a + b) mod p. */
    public static Dataset examples(Spec s, int[] idx, String name) {
        int p = s.p(), f = s.features(), m = idx.length;
        float[] x = new float[m * f]; // (m, 2p)
        int[] y = new int[m];
        for (int r = 0; r < m; r++) {
            int a = idx[r] / p, b = idx[r] % p;
            x[r * f + a] = 1f;
            x[r * f + p + b] = 1f;
            y[r] = (a + b) % p;
        }
        return new Dataset(name, x, y, m, f, p);
    }

    /** The seeded train/test split of {@code s}. */
    public static Split split(Spec s, long seed) {
        int[][] tt = splitIndices(s, seed);
        String src = String.format(Locale.ROOT, "modadd(p=%d,train=%s,seed=%d)", s.p(), s.trainFraction(), seed);
        Dataset tr = examples(s, tt[0], src + " train");
        Dataset te = examples(s, tt[1], src + " test");
        int[] classes = new int[s.p()];
        for (int c = 0; c < classes.length; c++) classes[c] = c;
        return new Split(tr, te, classes, Normalization.NONE_0_1, src);
    }

    /**
     * {@code modadd[:p=97,train=0.4]} for {@link Datasets#load}. The inputs are one-hot codes, so any
     * normalization but none would break the embedding reading above and is refused, as are
     * --classes and --n/--n-test (the task is the whole table; use train= for the split).
     */
    static Split load(String arg, DataOptions o) {
        Map<String, Double> kv = Datasets.params("modadd", arg, Map.of("p", 97.0, "train", 0.4));
        double pv = kv.get("p");
        if (pv != Math.rint(pv) || Math.abs(pv) > 1e9) throw new UserError("--data modadd: p = " + pv + " must be a whole number");
        if (o.classes() != null) throw new UserError("--classes: not used by modadd data; the classes are the p residues");
        if (o.nTrain() != 0 || o.nTest() != 0) throw new UserError("--n / --n-test: not used by modadd data, which uses all p² pairs; set the split with modadd:train=0.4");
        if (o.normalization() != null && o.normalization() != Normalization.NONE_0_1) {
            throw new UserError("--normalization " + o.normalization() + ": modadd inputs are one-hot codes (embeddings); only none is allowed");
        }
        return split(new Spec((int) pv, kv.get("train")), o.seed());
    }
}
