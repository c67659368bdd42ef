package eoslab.data;

import eoslab.util.UserError;

import java.util.Arrays;

/**
 * What to take from a data source (see {@link Datasets#load}).
 *
 * @param classes       file labels to keep, relabelled 0..C−1 in this order; null = every class
 *                      present in the training split, ascending
 * @param nTrain        training examples to keep (balanced over classes, seeded; {@link ClassSelection});
 *                      0 = all (synthetic sources: 1000)
 * @param nTest         test examples to keep, same convention
 * @param normalization null = the source's default: {@link Normalization#CENTER} for images,
 *                      {@link Normalization#NONE_0_1} (raw) for synthetic data
 * @param seed          seeds the subset order and the synthetic generators
 */
public record DataOptions(int[] classes, int nTrain, int nTest, Normalization normalization, long seed) {
    public static final int SYNTHETIC_DEFAULT_N = 1000;

    public DataOptions {
        if (classes != null) {
            if (classes.length == 0) throw new UserError("--classes: empty, give at least one class (or omit it for all)");
            for (int i = 0; i < classes.length; i++) {
                if (classes[i] < 0) throw new UserError("--classes: class " + classes[i] + " is negative");
                for (int j = 0; j < i; j++) if (classes[i] == classes[j]) throw new UserError("--classes: class " + classes[i] + " is listed twice");
            }
            classes = classes.clone();
        }
        if (nTrain < 0) throw new UserError("--n-train " + nTrain + ": must be >= 0 (0 = all)");
        if (nTest < 0) throw new UserError("--n-test " + nTest + ": must be >= 0 (0 = all)");
    }

    /** All classes, all examples, the source's default normalization, seed 0. */
    public static DataOptions defaults() {
        return new DataOptions(null, 0, 0, null, 0L);
    }

    public DataOptions withClasses(int... c) {
        return new DataOptions(c, nTrain, nTest, normalization, seed);
    }

    public DataOptions withSizes(int train, int test) {
        return new DataOptions(classes, train, test, normalization, seed);
    }

    public DataOptions withNormalization(Normalization n) {
        return new DataOptions(classes, nTrain, nTest, n, seed);
    }

    public DataOptions withSeed(long s) {
        return new DataOptions(classes, nTrain, nTest, normalization, s);
    }

    /** Parses "2,4" (the CLI's --classes). */
    public static int[] parseClasses(String s) {
        try {
            return Arrays.stream(s.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new UserError("--classes " + s + ": not a comma-separated list of class numbers (e.g. 2,4)");
        }
    }

    @Override
    public String toString() {
        return "DataOptions[classes=" + (classes == null ? "all" : Arrays.toString(classes)) + ", nTrain=" + nTrain + ", nTest=" + nTest
                + ", normalization=" + (normalization == null ? "default" : normalization) + ", seed=" + seed + "]";
    }
}
