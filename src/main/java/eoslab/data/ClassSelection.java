package eoslab.data;

import eoslab.util.UserError;

import java.util.Arrays;

/**
 * Choosing which examples of which classes a run uses, and relabelling them to 0..C−1.
 *
 * <p>Order convention ({@link #select}): the examples of each requested class are shuffled by
 * {@link SeededRandom} (one stream per class, from {@code seed}); then they are taken round-robin,
 * one from each class in the order the classes were requested, skipping exhausted classes, until
 * n are taken. So the classes are as balanced as the data allows, and the subset of size n is
 * contained in the subset of size n' > n for the same seed (nested subsets). The chosen indices
 * are returned in ascending file order.
 */
public final class ClassSelection {
    private ClassSelection() {
    }

    /**
     * Validates {@code classes} (file labels, as requested: non-empty, distinct, non-negative)
     * against {@code available}, the sorted distinct labels of the data named {@code source}.
     */
    public static void checkClasses(int[] classes, int[] available, String source) {
        if (classes.length == 0) throw new UserError("--classes: empty, give at least one class");
        for (int i = 0; i < classes.length; i++) {
            if (classes[i] < 0) throw new UserError("--classes: class " + classes[i] + " is negative");
            for (int j = 0; j < i; j++) if (classes[j] == classes[i]) throw new UserError("--classes: class " + classes[i] + " is listed twice");
            if (Arrays.binarySearch(available, classes[i]) < 0) {
                throw new UserError("--classes: class " + classes[i] + " is not in " + source + " (it has classes " + Arrays.toString(available) + ")"
                        + "; choose among those" + (available.length < 10 ? " or use a data set that has it (e.g. fashion-mnist:full)" : ""));
            }
        }
    }

    /**
     * Indices of n examples whose label is in {@code classes} (n = 0: all of them), per the class
     * convention above. {@code what} names the split for the error when n exceeds what exists.
     */
    public static int[] select(int[] labels, int[] classes, int n, long seed, String what) {
        if (n < 0) throw new UserError(what + ": n = " + n + " is negative; give a positive size, or 0 for all");
        int k = classes.length;
        int[][] byClass = new int[k][];
        long total = 0;
        for (int c = 0; c < k; c++) {
            final int label = classes[c];
            int[] idx = java.util.stream.IntStream.range(0, labels.length).filter(i -> labels[i] == label).toArray();
            new SeededRandom(seed, label).shuffle(idx);
            byClass[c] = idx;
            total += idx.length;
        }
        if (n > total) {
            throw new UserError(what + ": n = " + n + " but there are only " + total + " examples of classes " + Arrays.toString(classes)
                    + "; lower the size (at most " + total + ") or use more classes / the full data set");
        }
        if (n == 0) n = (int) total;
        int[] out = new int[n];
        int taken = 0;
        for (int round = 0; taken < n; round++) {
            for (int c = 0; c < k && taken < n; c++) if (round < byClass[c].length) out[taken++] = byClass[c][round];
        }
        Arrays.sort(out);
        return out;
    }

    /** new label = position in {@code classes}, indexed by the file label (−1 for labels not selected). */
    public static int[] relabelMap(int[] classes, int maxLabel) {
        int[] map = new int[Math.max(maxLabel, Arrays.stream(classes).max().orElse(0)) + 1];
        Arrays.fill(map, -1);
        for (int c = 0; c < classes.length; c++) map[classes[c]] = c;
        return map;
    }
}
