package eoslab.data;

import eoslab.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CIFAR-10 "binary version" (Krizhevsky 2009): each file is a sequence of 3073-byte records,
 * one label byte in [0, 10) followed by 3072 pixel bytes, the 1024 red values, then green, then
 * blue, each 32×32 row-major — i.e. CHW, which is the per-example layout (3, 32, 32) we keep.
 * Training files {@code data_batch_1.bin} … {@code data_batch_5.bin} (10,000 records each),
 * test file {@code test_batch.bin}. Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer,
 * 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.
 */
public final class Cifar10 {
    public static final int C = 3, H = 32, W = 32, FEATURES = C * H * W, RECORD = 1 + FEATURES, CLASSES = 10;
    public static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    public static final String TEST_FILE = "test_batch.bin";

    private Cifar10() {
    }

    /** The records of {@code files}, concatenated in the order given. */
    public static RawImages read(List<Path> files) {
        List<byte[]> parts = new ArrayList<>();
        long n = 0;
        for (Path f : files) {
            byte[] b = DataFiles.read(f, false);
            if (b.length == 0 || b.length % RECORD != 0) {
                throw new UserError(f + ": " + b.length + " bytes is not a whole number of " + RECORD
                        + "-byte CIFAR-10 records (1 label + 3072 pixels); the file is truncated or not the binary version, fetch it again");
            }
            parts.add(b);
            n += b.length / RECORD;
        }
        if (n * FEATURES > Integer.MAX_VALUE - 16) throw new UserError(files + ": " + n + " CIFAR-10 images are too many for one array");
        byte[] pixels = new byte[(int) (n * FEATURES)]; // (n, 3, 32, 32)
        int[] labels = new int[(int) n];
        int i = 0;
        for (int p = 0; p < parts.size(); p++) {
            byte[] b = parts.get(p);
            for (int r = 0; r < b.length / RECORD; r++, i++) {
                int label = b[r * RECORD] & 0xFF;
                if (label >= CLASSES) {
                    throw new UserError(files.get(p) + ": label " + label + " in record " + r + " is outside [0, 10); the file is not CIFAR-10 binary"
                            + " (CIFAR-100 has 2 label bytes per record)");
                }
                labels[i] = label;
                System.arraycopy(b, r * RECORD + 1, pixels, i * FEATURES, FEATURES);
            }
        }
        return new RawImages(files.size() == 1 ? files.get(0).toString() : files.get(0).getParent() + "/" + files.size() + " files",
                pixels, labels, (int) n, new int[]{C, H, W});
    }

    /** {train, test} from a directory holding the six .bin files, or its {@code cifar-10-batches-bin} subfolder. */
    public static RawImages[] loadDir(Path dir) {
        Path d = dir;
        if (!Files.isRegularFile(d.resolve(TEST_FILE)) && Files.isDirectory(d.resolve("cifar-10-batches-bin"))) d = d.resolve("cifar-10-batches-bin");
        String hint = "give the folder of the CIFAR-10 binary version (data_batch_1.bin ... data_batch_5.bin, test_batch.bin) as cifar10:<dir>";
        List<Path> train = new ArrayList<>();
        for (String name : TRAIN_FILES) train.add(DataFiles.find(d, List.of(name), "CIFAR-10 training batch " + name, hint));
        Path test = DataFiles.find(d, List.of(TEST_FILE), "CIFAR-10 test batch", hint);
        return new RawImages[]{read(train), read(List.of(test))};
    }

    /** Writes records for {@code labels} (n) and {@code pixels} (n, 3, 32, 32) uint8 CHW. */
    public static void write(Path file, byte[] labels, byte[] pixels) throws IOException {
        int n = labels.length;
        if (pixels.length != (long) n * FEATURES) throw new IllegalArgumentException("pixels length " + pixels.length + " != n*3072");
        byte[] out = new byte[n * RECORD];
        for (int i = 0; i < n; i++) {
            out[i * RECORD] = labels[i];
            System.arraycopy(pixels, i * FEATURES, out, i * RECORD + 1, FEATURES);
        }
        Files.write(file, out);
    }
}
