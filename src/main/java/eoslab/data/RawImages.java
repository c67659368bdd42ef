package eoslab.data;

import java.util.Arrays;

/**
 * Images as stored on disk, before any scaling: {@code pixels} (n, features) uint8 row-major
 * (read with {@code & 0xFF}), {@code labels} (n) as in the file, {@code shape} the per-example
 * layout (C, H, W) — (1, 28, 28) for IDX, (3, 32, 32) CHW for CIFAR-10. Kept as bytes so that
 * class selection on CIFAR-10 does not first build a 600 MB float copy.
 */
public record RawImages(String source, byte[] pixels, int[] labels, int n, int[] shape) {

    public RawImages {
        int f = 1;
        for (int s : shape) f *= s;
        if (labels.length != n) throw new IllegalArgumentException(source + ": " + labels.length + " labels for " + n + " images");
        if (pixels.length != (long) n * f) throw new IllegalArgumentException(source + ": " + pixels.length + " pixel bytes, expected n*features = " + (long) n * f);
    }

    public int features() {
        return pixels.length / n;
    }

    /** Sorted distinct labels. */
    public int[] distinctLabels() {
        return Arrays.stream(labels).distinct().sorted().toArray();
    }

    /**
     * Examples {@code idx} as float32 x = pixel / 255 in [0, 1], labels mapped through
     * {@code newLabel} (indexed by the file label; −1 = not selected, which must not occur in idx).
     */
    Dataset toDataset(String name, int[] idx, int[] newLabel, int classes) {
        int f = features(), m = idx.length;
        float[] x = new float[m * f]; // (m, f)
        int[] y = new int[m];
        for (int r = 0; r < m; r++) {
            int i = idx[r], src = i * f, dst = r * f;
            for (int j = 0; j < f; j++) x[dst + j] = (pixels[src + j] & 0xFF) / 255f;
            y[r] = newLabel[labels[i]];
        }
        return new Dataset(name, x, y, m, f, classes, shape.clone(), null);
    }
}
