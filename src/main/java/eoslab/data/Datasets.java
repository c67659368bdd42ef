package eoslab.data;

import eoslab.util.UserError;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The one entry point of the data layer: a spec string and {@link DataOptions} in, a
 * {@link Split} out.
 *
 * <pre>
 *   fashion-mnist               the committed 2-class subset datasets/fashion-mnist-subset
 *                               (pullover=2 vs coat=4, 2000 train / 1000 test, SHA-256 checked)
 *   fashion-mnist:full          the Debian package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist
 *   fashion-mnist:DIR, mnist:DIR  IDX files in DIR: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
 *   cifar10:DIR                 CIFAR-10 binary version: DIR/data_batch_{1..5}.bin, DIR/test_batch.bin
 *                               (or DIR/cifar-10-batches-bin/...)
 *   gaussian[:k=2,dim=20,sep=4,noise=1]            Gaussian clusters ({@link Synthetic.GaussianSpec})
 *   teacher[:dim=20,out=1,hidden=0,noise=0.1]      teacher–student regression ({@link Synthetic.TeacherSpec})
 *   modadd[:p=97,train=0.4]                        (a + b) mod p on all p² pairs ({@link ModularArithmetic})
 * </pre>
 * Image pipeline: read uint8 → keep {@code options.classes} (relabelled 0..C−1 in the given
 * order) → keep nTrain / nTest examples ({@link ClassSelection}, seeded, balanced, nested) →
 * x = pixel/255 → {@link Normalization} fitted on the kept training examples. Features are the
 * flattened (C, H, W) image, C = 1 for IDX.
 *
 * <p>The committed subset is found via the system property {@code eoslab.datasets} or the
 * environment variable {@code EOSLAB_DATASETS} (the {@code datasets/} folder), else by looking
 * for {@code datasets/fashion-mnist-subset} in the working directory and its parents, then next
 * to the jar ({@code target/../datasets}).
 */
public final class Datasets {
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String SUBSET_DIR = "fashion-mnist-subset";
    private static final long TEST_SELECTION_SALT = 0x5445535453454cL; // "TESTSEL": test subset order independent of train's

    private Datasets() {
    }

    public static Split load(String spec, DataOptions o) {
        if (spec == null || spec.isBlank()) throw new UserError("--data: empty; use fashion-mnist, fashion-mnist:full, mnist:DIR, cifar10:DIR, gaussian or teacher");
        String s = spec.strip();
        int colon = s.indexOf(':');
        String name = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
        String arg = colon < 0 ? "" : s.substring(colon + 1).strip();
        return switch (name) {
            case "fashion-mnist", "fashion_mnist", "fmnist" -> {
                if (arg.isEmpty()) {
                    Path dir = committedSubsetDir();
                    yield idx("fashion-mnist-subset", dir, o, true, "restore it with git checkout datasets/");
                }
                Path dir = arg.equalsIgnoreCase("full") ? DEBIAN_FASHION_MNIST : Path.of(arg);
                String hint = arg.equalsIgnoreCase("full")
                        ? "install it with datasets/install-fashion-mnist.sh (Debian package dataset-fashion-mnist)"
                        : "give the folder that holds the four Fashion-MNIST IDX files as fashion-mnist:DIR";
                yield idx("fashion-mnist", dir, o, false, hint);
            }
            case "mnist" -> {
                if (arg.isEmpty()) throw new UserError("--data mnist: needs the folder of the MNIST IDX files, as mnist:DIR (MNIST is not shipped with eoslab)");
                yield idx("mnist", Path.of(arg), o, false, "give the folder that holds the four MNIST IDX files as mnist:DIR");
            }
            case "cifar10", "cifar-10" -> {
                if (arg.isEmpty()) throw new UserError("--data cifar10: needs the folder of the CIFAR-10 binary version, as cifar10:DIR (CIFAR-10 is not shipped with eoslab)");
                RawImages[] tt = Cifar10.loadDir(Path.of(arg));
                yield fromRaw("cifar10", tt[0], tt[1], o);
            }
            case "gaussian" -> gaussian(arg, o);
            case "teacher" -> teacher(arg, o);
            case "modadd" -> ModularArithmetic.load(arg, o);
            default -> throw new UserError("--data " + spec + ": unknown data set '" + name + "'; use fashion-mnist, fashion-mnist:full, fashion-mnist:DIR, mnist:DIR, cifar10:DIR, gaussian[:k=..,dim=..,sep=..,noise=..], teacher[:dim=..,out=..,hidden=..,noise=..] or modadd[:p=..,train=..]");
        };
    }

    /** The four IDX files of {@code dir}, train = {@code train-*}, test = {@code t10k-*}, 10 classes. */
    private static Split idx(String name, Path dir, DataOptions o, boolean sumsRequired, String hint) {
        RawImages train = Idx.load(idxFile(dir, "train", "images-idx3", hint), idxFile(dir, "train", "labels-idx1", hint), 10, sumsRequired);
        RawImages test = Idx.load(idxFile(dir, "t10k", "images-idx3", hint), idxFile(dir, "t10k", "labels-idx1", hint), 10, sumsRequired);
        return fromRaw(name + " (" + dir + ")", train, test, o);
    }

    private static Path idxFile(Path dir, String split, String kind, String hint) {
        String base = split + "-" + kind + "-ubyte";
        String dotted = split + "-" + kind.replace("-", ".") + "-ubyte"; // the original MNIST distribution names them train-images.idx3-ubyte
        return DataFiles.find(dir, List.of(base + ".gz", base, dotted + ".gz", dotted), (split.equals("train") ? "training " : "test ") + kind + " file", hint);
    }

    /** The image pipeline of the class comment, on already-read uint8 splits. */
    public static Split fromRaw(String source, RawImages train, RawImages test, DataOptions o) {
        if (train.features() != test.features()) {
            throw new UserError(source + ": train images have " + train.features() + " features, test images " + test.features() + "; the files are from different data sets");
        }
        int[] available = train.distinctLabels();
        int[] classes = o.classes() == null ? available : o.classes();
        ClassSelection.checkClasses(classes, available, source + " (training split)");
        int[] trainIdx = ClassSelection.select(train.labels(), classes, o.nTrain(), o.seed(), "--n-train (" + source + ", training split)");
        int[] testIdx = ClassSelection.select(test.labels(), classes, o.nTest(), SeededRandom.mix64(o.seed() ^ TEST_SELECTION_SALT), "--n-test (" + source + ", test split)");
        if (testIdx.length == 0) throw new UserError(source + ": the test split has no examples of classes " + Arrays.toString(classes) + "; choose other classes");
        int maxLabel = Math.max(Arrays.stream(train.labels()).max().orElse(0), Arrays.stream(test.labels()).max().orElse(0));
        int[] map = ClassSelection.relabelMap(classes, maxLabel);
        Normalization norm = o.normalization() == null ? Normalization.CENTER : o.normalization();
        String tag = " classes=" + Arrays.toString(classes) + " " + norm.name().toLowerCase(Locale.ROOT);
        Dataset tr = train.toDataset(source + " train n=" + trainIdx.length + tag, trainIdx, map, classes.length);
        Dataset te = test.toDataset(source + " test n=" + testIdx.length + tag, testIdx, map, classes.length);
        norm.apply(tr.x(), tr.n(), te.x(), te.n(), tr.features());
        return new Split(tr, te, classes.clone(), norm, source);
    }

    private static Split gaussian(String arg, DataOptions o) {
        Map<String, Double> p = params("gaussian", arg, Map.of("k", 2.0, "dim", 20.0, "sep", 4.0, "noise", 1.0));
        noClasses("gaussian", o);
        var s = new Synthetic.GaussianSpec(integer("gaussian", "k", p), integer("gaussian", "dim", p), p.get("sep"), p.get("noise"));
        int nTr = o.nTrain() == 0 ? DataOptions.SYNTHETIC_DEFAULT_N : o.nTrain(), nTe = o.nTest() == 0 ? DataOptions.SYNTHETIC_DEFAULT_N : o.nTest();
        String src = "gaussian(k=" + s.k() + ",dim=" + s.dim() + ",sep=" + s.separation() + ",noise=" + s.noise() + ",seed=" + o.seed() + ")";
        Dataset tr = Synthetic.gaussian(s, nTr, o.seed(), Synthetic.STREAM_TRAIN, src + " train");
        Dataset te = Synthetic.gaussian(s, nTe, o.seed(), Synthetic.STREAM_TEST, src + " test");
        Normalization norm = o.normalization() == null ? Normalization.NONE_0_1 : o.normalization();
        norm.apply(tr.x(), tr.n(), te.x(), te.n(), tr.features());
        return new Split(tr, te, java.util.stream.IntStream.range(0, s.k()).toArray(), norm, src);
    }

    private static Split teacher(String arg, DataOptions o) {
        Map<String, Double> p = params("teacher", arg, Map.of("dim", 20.0, "out", 1.0, "hidden", 0.0, "noise", 0.1));
        noClasses("teacher", o);
        var s = new Synthetic.TeacherSpec(integer("teacher", "dim", p), integer("teacher", "out", p), integer("teacher", "hidden", p), p.get("noise"));
        int nTr = o.nTrain() == 0 ? DataOptions.SYNTHETIC_DEFAULT_N : o.nTrain(), nTe = o.nTest() == 0 ? DataOptions.SYNTHETIC_DEFAULT_N : o.nTest();
        String src = "teacher(dim=" + s.dim() + ",out=" + s.outputs() + ",hidden=" + s.hidden() + ",noise=" + s.noise() + ",seed=" + o.seed() + ")";
        Dataset tr = Synthetic.teacherData(s, nTr, o.seed(), Synthetic.STREAM_TRAIN, src + " train");
        Dataset te = Synthetic.teacherData(s, nTe, o.seed(), Synthetic.STREAM_TEST, src + " test");
        Normalization norm = o.normalization() == null ? Normalization.NONE_0_1 : o.normalization();
        norm.apply(tr.x(), tr.n(), te.x(), te.n(), tr.features()); // inputs only; targets stay as generated
        return new Split(tr, te, new int[0], norm, src);
    }

    private static void noClasses(String name, DataOptions o) {
        if (o.classes() != null) throw new UserError("--classes: not used by " + name + " data; set the number of classes in the spec instead (e.g. gaussian:k=3)");
    }

    /** "k=2,dim=20" → map over {@code defaults}; unknown keys and non-numbers are errors. */
    static Map<String, Double> params(String name, String arg, Map<String, Double> defaults) {
        Map<String, Double> p = new HashMap<>(defaults);
        if (arg.isEmpty()) return p;
        Set<String> keys = new java.util.TreeSet<>(defaults.keySet());
        for (String kv : arg.split(",")) {
            String t = kv.strip();
            if (t.isEmpty()) continue;
            int eq = t.indexOf('=');
            if (eq < 0) throw new UserError("--data " + name + ":" + arg + ": '" + t + "' is not key=value; keys are " + keys);
            String k = t.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            if (!defaults.containsKey(k)) throw new UserError("--data " + name + ":" + arg + ": unknown parameter '" + k + "'; keys are " + keys);
            try {
                p.put(k, Double.parseDouble(t.substring(eq + 1).strip()));
            } catch (NumberFormatException e) {
                throw new UserError("--data " + name + ":" + arg + ": " + k + " = '" + t.substring(eq + 1).strip() + "' is not a number");
            }
        }
        return p;
    }

    private static int integer(String name, String key, Map<String, Double> p) {
        double v = p.get(key);
        if (v != Math.rint(v) || Math.abs(v) > 1e9) throw new UserError("--data " + name + ": " + key + " = " + v + " must be a whole number");
        return (int) v;
    }

    /** The folder holding the committed subset (see the class comment for the search order). */
    public static Path committedSubsetDir() {
        String prop = System.getProperty("eoslab.datasets", System.getenv("EOSLAB_DATASETS"));
        if (prop != null && !prop.isBlank()) {
            Path d = Path.of(prop).resolve(SUBSET_DIR);
            if (Files.isDirectory(d)) return d;
            throw new UserError("eoslab.datasets / EOSLAB_DATASETS = " + prop + ": has no " + SUBSET_DIR + "/ folder; point it at the datasets/ folder of the eoslab checkout");
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path c = d.resolve("datasets").resolve(SUBSET_DIR);
            if (Files.isDirectory(c)) return c;
        }
        try {
            Path jar = Path.of(Datasets.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path d = jar.getParent(); d != null; d = d.getParent()) {
                Path c = d.resolve("datasets").resolve(SUBSET_DIR);
                if (Files.isDirectory(c)) return c;
            }
        } catch (URISyntaxException | RuntimeException ignored) {
            // no code source (e.g. jshell): fall through to the error
        }
        throw new UserError("cannot find datasets/" + SUBSET_DIR + " (the committed Fashion-MNIST subset); run from the eoslab checkout or set EOSLAB_DATASETS=<checkout>/datasets");
    }

    /** One-hot targets (n, classes) for MSE: row i has 1 at column y[i], 0 elsewhere. */
    public static float[] oneHot(int[] y, int classes) {
        float[] t = new float[y.length * classes];
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0 || y[i] >= classes) throw new IllegalArgumentException("label " + y[i] + " of example " + i + " is outside [0, " + classes + ")");
            t[i * classes + y[i]] = 1f;
        }
        return t;
    }
}
