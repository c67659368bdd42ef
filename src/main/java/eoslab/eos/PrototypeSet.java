package eoslab.eos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eoslab.data.Dataset;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.util.UserError;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * The 4 × 2m tracked points of the prototype taxonomy (Kwag et al. 2026, §2.3): for each
 * {@link Group}, row indices into the <em>modified</em> training set (the prototypes are members of
 * the training set; n is unchanged). Saved as a small JSON file so that the baseline and the fork of
 * a branching experiment (App. A.3) track the same points.
 *
 * <p>Layout of {@code indices.get(g)} (length 2m): the m points whose original class is 0, ascending,
 * then the m points whose original class is 1, ascending. "Original" matters for output-outliers,
 * whose label in the modified set is 1 − c.
 *
 * @param dataset     name of the source data set (for the run log)
 * @param n           examples in the training set
 * @param features    input width
 * @param vDiffNorm   ‖μ_1 − μ_0‖ of the unmodified training set (the input-outlier shift is α times it)
 * @param fingerprint 64-bit hash (16 hex digits) of x and y of the modified training set, so that a
 *                    set loaded from disk is only used with the data it was built for
 */
public record PrototypeSet(PrototypeOptions options, String dataset, int n, int features, double vDiffNorm,
                           Map<Group, int[]> indices, String fingerprint) {

    public static final String FORMAT = "eoslab.prototypes/1";

    public PrototypeSet {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(fingerprint, "fingerprint");
        if (n < 1 || features < 1) throw new IllegalArgumentException("prototype set: n and features must be positive");
        if (!(vDiffNorm > 0) || Double.isInfinite(vDiffNorm)) throw new IllegalArgumentException("prototype set: |v_diff| must be finite and > 0, got " + vDiffNorm);
        if (!fingerprint.matches("[0-9a-f]{16}")) throw new IllegalArgumentException("prototype set: fingerprint must be 16 lower-case hex digits, got '" + fingerprint + "'");
        int m = options.m();
        EnumMap<Group, int[]> copy = new EnumMap<>(Group.class);
        boolean[] used = new boolean[n];
        for (Group g : Group.values()) {
            int[] idx = indices.get(g);
            if (idx == null) throw new IllegalArgumentException("prototype set: group " + g.key + " is missing");
            if (idx.length != 2 * m) throw new IllegalArgumentException("prototype set: group " + g.key + " has " + idx.length + " points, expected 2m = " + 2 * m);
            for (int r = 0; r < idx.length; r++) {
                if (idx[r] < 0 || idx[r] >= n) throw new IllegalArgumentException("prototype set: group " + g.key + " index " + idx[r] + " is outside [0, " + n + ")");
                if (used[idx[r]]) throw new IllegalArgumentException("prototype set: example " + idx[r] + " is in more than one group (or twice in " + g.key + ")");
                used[idx[r]] = true;
                if (r % m != 0 && idx[r] <= idx[r - 1]) throw new IllegalArgumentException("prototype set: group " + g.key + " class block is not strictly ascending at position " + r);
            }
            copy.put(g, idx.clone());
        }
        indices = java.util.Collections.unmodifiableMap(copy);
    }

    /** m, points per class per group. */
    public int m() {
        return options.m();
    }

    /** All groups' row indices (deep copy: the set is immutable). */
    @Override
    public Map<Group, int[]> indices() {
        EnumMap<Group, int[]> copy = new EnumMap<>(Group.class);
        for (Group g : Group.values()) copy.put(g, indices.get(g).clone());
        return copy;
    }

    /**
     * Mean of a per-example quantity over group g, e.g. the group loss ℓ_k = (1/|k|) Σ_{i∈k} ℓ_i of
     * §2.4 from per-example losses over the training set.
     *
     * @param perExample (n) one value per training row
     */
    public double groupMean(Group g, double[] perExample) {
        if (perExample.length != n) throw new IllegalArgumentException("group mean: " + perExample.length + " values for n = " + n + " training rows");
        double s = 0;
        int[] idx = indices.get(g);
        for (int i : idx) s += perExample[i];
        return s / idx.length;
    }

    /** The 2m row indices of group g (a copy): class-0 block, then class-1 block. */
    public int[] indices(Group g) {
        return indices.get(g).clone();
    }

    /** Original class (before any label flip) of the r-th point of a group: the layout puts class 0 first. */
    public int originalClass(int r) {
        if (r < 0 || r >= 2 * m()) throw new IndexOutOfBoundsException("position " + r + " outside [0, " + 2 * m() + ")");
        return r < m() ? 0 : 1;
    }

    /** All 8m tracked rows in group order INLIER, BOUNDARY, INPUT_OUTLIER, OUTPUT_OUTLIER, (8m). */
    public int[] tracked() {
        int[] all = new int[8 * m()];
        int o = 0;
        for (Group g : Group.values()) {
            int[] idx = indices.get(g);
            System.arraycopy(idx, 0, all, o, idx.length);
            o += idx.length;
        }
        return all;
    }

    /** Group of each training row, null for untracked rows, (n). */
    public Group[] groupOfRow() {
        Group[] of = new Group[n];
        for (Group g : Group.values()) for (int i : indices.get(g)) of[i] = g;
        return of;
    }

    /** Throws {@link UserError} unless {@code train} is the modified training set this set was built with. */
    public void checkMatches(Dataset train) {
        if (train.n() != n || train.features() != features) {
            throw new UserError("prototype set of '" + dataset + "' was built for n = " + n + ", features = " + features
                    + "; the training set '" + train.name() + "' has n = " + train.n() + ", features = " + train.features());
        }
        String fp = fingerprint(train);
        if (!fp.equals(fingerprint)) {
            throw new UserError("prototype set of '" + dataset + "' does not match training set '" + train.name()
                    + "' (fingerprint " + fp + ", expected " + fingerprint + "): different data, selection, normalization or prototype options");
        }
    }

    /** 64-bit hash of the bits of x (all floats) and y, as 16 hex digits; a pure function of the data. */
    public static String fingerprint(Dataset d) {
        long h = 0x243F6A8885A308D3L ^ d.n() ^ ((long) d.features() << 32);
        for (float v : d.x()) h = eoslab.data.SeededRandom.mix64(h ^ Float.floatToRawIntBits(v)) + 0x9E3779B97F4A7C15L;
        for (int v : d.y()) h = eoslab.data.SeededRandom.mix64(h ^ v) + 0x9E3779B97F4A7C15L;
        return String.format("%016x", h);
    }

    // ---- JSON --------------------------------------------------------------------------------

    /** The JSON document (format {@value #FORMAT}), in eoslab's one JSON style ({@link Json#pretty}). */
    public String toJson() {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("format", FORMAT);
        root.put("dataset", dataset);
        root.put("n", n);
        root.put("features", features);
        ObjectNode o = root.putObject("options");
        o.put("m", options.m());
        o.put("k", options.k());
        o.put("alpha", options.alpha());
        o.put("randomDirection", options.randomDirection());
        o.put("seed", options.seed());
        root.put("vDiffNorm", vDiffNorm);
        root.put("fingerprint", fingerprint);
        ObjectNode groups = root.putObject("groups");
        int m = m();
        for (Group g : Group.values()) {
            int[] idx = indices.get(g);
            ObjectNode gn = groups.putObject(g.key);
            ArrayNode c0 = gn.putArray("class0"), c1 = gn.putArray("class1");
            for (int r = 0; r < m; r++) c0.add(idx[r]);
            for (int r = m; r < 2 * m; r++) c1.add(idx[r]);
        }
        return Json.pretty(root);
    }

    /** Write atomically (temp file + rename), so a killed run never leaves half a file. */
    public void save(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson());
    }

    /** Read a file written by {@link #save}; every problem is a {@link UserError} naming the file. */
    public static PrototypeSet load(Path file) {
        return fromTree(Json.readTree(file), file.toString());
    }

    /** Parse a document written by {@link #toJson}; {@code source} names it in error messages. */
    public static PrototypeSet fromJson(String text, String source) {
        return fromTree(Json.parse(source, text), source);
    }

    private static PrototypeSet fromTree(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new UserError(source + ": expected a JSON object");
        String format = field(root, "format", source).asText();
        if (!FORMAT.equals(format)) throw new UserError(source + ": format '" + format + "' is not " + FORMAT);
        try {
            JsonNode o = field(root, "options", source);
            PrototypeOptions opt = new PrototypeOptions(integer(o, "m", source), integer(o, "k", source),
                    number(o, "alpha", source), bool(o, "randomDirection", source), longInt(o, "seed", source));
            JsonNode groups = field(root, "groups", source);
            EnumMap<Group, int[]> idx = new EnumMap<>(Group.class);
            for (Group g : Group.values()) {
                JsonNode gn = field(groups, g.key, source);
                int[] c0 = ints(field(gn, "class0", source), source, g.key + ".class0");
                int[] c1 = ints(field(gn, "class1", source), source, g.key + ".class1");
                int[] all = Arrays.copyOf(c0, c0.length + c1.length);
                System.arraycopy(c1, 0, all, c0.length, c1.length);
                if (c0.length != opt.m() || c1.length != opt.m()) throw new UserError(source + ": group " + g.key + " has " + c0.length + " + " + c1.length + " points, expected m = " + opt.m() + " per class");
                idx.put(g, all);
            }
            return new PrototypeSet(opt, field(root, "dataset", source).asText(), integer(root, "n", source), integer(root, "features", source),
                    number(root, "vDiffNorm", source), idx, field(root, "fingerprint", source).asText());
        } catch (IllegalArgumentException e) {
            throw new UserError(source + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode field(JsonNode node, String name, String source) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) throw new UserError(source + ": missing field '" + name + "'");
        return v;
    }

    private static int integer(JsonNode node, String name, String source) {
        JsonNode v = field(node, name, source);
        if (!v.isInt()) throw new UserError(source + ": field '" + name + "' must be an integer, got " + v);
        return v.intValue();
    }

    private static long longInt(JsonNode node, String name, String source) {
        JsonNode v = field(node, name, source);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw new UserError(source + ": field '" + name + "' must be a 64-bit integer, got " + v);
        return v.longValue();
    }

    private static double number(JsonNode node, String name, String source) {
        JsonNode v = field(node, name, source);
        if (!v.isNumber()) throw new UserError(source + ": field '" + name + "' must be a number, got " + v);
        return v.doubleValue();
    }

    private static boolean bool(JsonNode node, String name, String source) {
        JsonNode v = field(node, name, source);
        if (!v.isBoolean()) throw new UserError(source + ": field '" + name + "' must be true or false, got " + v);
        return v.booleanValue();
    }

    private static int[] ints(JsonNode arr, String source, String what) {
        if (!arr.isArray()) throw new UserError(source + ": '" + what + "' must be an array of row indices");
        int[] r = new int[arr.size()];
        for (int i = 0; i < r.length; i++) {
            if (!arr.get(i).isInt()) throw new UserError(source + ": '" + what + "'[" + i + "] must be an integer, got " + arr.get(i));
            r[i] = arr.get(i).intValue();
        }
        return r;
    }

    // ---- value semantics (records compare arrays by reference) --------------------------------

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof PrototypeSet s)) return false;
        if (!options.equals(s.options) || !dataset.equals(s.dataset) || n != s.n || features != s.features
                || Double.compare(vDiffNorm, s.vDiffNorm) != 0 || !fingerprint.equals(s.fingerprint)) return false;
        for (Group g : Group.values()) if (!Arrays.equals(indices.get(g), s.indices.get(g))) return false;
        return true;
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(options, dataset, n, features, vDiffNorm, fingerprint);
        for (Group g : Group.values()) h = 31 * h + Arrays.hashCode(indices.get(g));
        return h;
    }

    @Override
    public String toString() {
        return "PrototypeSet[" + dataset + ", n=" + n + ", " + options + ", |v_diff|=" + vDiffNorm + ", fingerprint " + fingerprint + "]";
    }
}
