package eoslab.data;

import java.util.Arrays;

/**
 * A loaded training and test split.
 *
 * @param classes       the source's class id of each new label: label c of train/test was class
 *                      {@code classes[c]} in the files (empty for regression)
 * @param normalization what was applied (statistics from train only)
 * @param source        the resolved source, e.g. the directory read, for the run log
 */
public record Split(Dataset train, Dataset test, int[] classes, Normalization normalization, String source) {
    @Override
    public String toString() {
        return source + ": train n=" + train.n() + ", test n=" + test.n() + ", features=" + train.features() + " " + Arrays.toString(train.shape())
                + (classes.length == 0 ? ", regression outputs=" + train.outputs() : ", classes " + Arrays.toString(classes) + " -> 0.." + (classes.length - 1))
                + ", " + normalization;
    }
}
