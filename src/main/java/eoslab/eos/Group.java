package eoslab.eos;

/** The four prototype groups of Kwag et al. (2026), §2.3, in the order the paper lists them. */
public enum Group {
    /** Near the class centroid, correct label. */
    INLIER("inlier"),
    /** k-NN label composition closest to uniform: in-distribution, near the class boundary. */
    BOUNDARY("boundary"),
    /** An inlier pushed to x ± α·v_diff (or along a random orthogonal direction), correct label. */
    INPUT_OUTLIER("input_outlier"),
    /** An inlier with its label flipped to 1 − c. */
    OUTPUT_OUTLIER("output_outlier");

    /** Name in files and plots. */
    public final String key;

    Group(String key) {
        this.key = key;
    }

    public static Group ofKey(String key) {
        for (Group g : values()) if (g.key.equals(key)) return g;
        throw new IllegalArgumentException("unknown prototype group '" + key + "'; expected inlier, boundary, input_outlier or output_outlier");
    }
}
