package eoslab.data;

import eoslab.util.UserError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian header, then the data.
 * <pre>
 *   images: int32 0x00000803, int32 n, int32 rows, int32 cols, then n·rows·cols uint8   // (n, rows, cols)
 *   labels: int32 0x00000801, int32 n,                         then n uint8             // (n)
 * </pre>
 * The third magic byte is the element type (0x08 = uint8) and the fourth the number of
 * dimensions. Files may be gzip-compressed (detected by the gzip magic 1f 8b, not by the name).
 * The body must have exactly the length the header promises: a short body is a truncated file
 * and a longer one is not the file the header describes, both are errors.
 */
public final class Idx {
    public static final int MAGIC_IMAGES = 0x00000803;
    public static final int MAGIC_LABELS = 0x00000801;

    private Idx() {
    }

    /** One image file: {@code pixels} (n, rows, cols) uint8. */
    public record Images(int n, int rows, int cols, byte[] pixels) {
    }

    public static Images readImages(Path file) {
        return readImages(file, false);
    }

    static Images readImages(Path file, boolean sumsRequired) {
        byte[] b = DataFiles.read(file, sumsRequired);
        int[] dims = header(file, b, MAGIC_IMAGES, 3, "images");
        long need = (long) dims[0] * dims[1] * dims[2];
        checkBody(file, b, 16, need, dims[0] + " images of " + dims[1] + "x" + dims[2]);
        byte[] pixels = new byte[(int) need];
        System.arraycopy(b, 16, pixels, 0, pixels.length);
        return new Images(dims[0], dims[1], dims[2], pixels);
    }

    public static byte[] readLabels(Path file) {
        return readLabels(file, false);
    }

    static byte[] readLabels(Path file, boolean sumsRequired) {
        byte[] b = DataFiles.read(file, sumsRequired);
        int[] dims = header(file, b, MAGIC_LABELS, 1, "labels");
        checkBody(file, b, 8, dims[0], dims[0] + " labels");
        byte[] labels = new byte[dims[0]];
        System.arraycopy(b, 8, labels, 0, labels.length);
        return labels;
    }

    /**
     * An image file and its label file as one {@link RawImages} of shape (1, rows, cols); every
     * label must lie in [0, classes).
     */
    public static RawImages load(Path images, Path labels, int classes) {
        return load(images, labels, classes, false);
    }

    static RawImages load(Path images, Path labels, int classes, boolean sumsRequired) {
        Images im = readImages(images, sumsRequired);
        byte[] lb = readLabels(labels, sumsRequired);
        if (lb.length != im.n()) {
            throw new UserError(labels + ": " + lb.length + " labels for the " + im.n() + " images in " + images.getFileName()
                    + "; the two files are from different sets, use the matching pair");
        }
        int[] y = new int[lb.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = lb[i] & 0xFF;
            if (y[i] >= classes) {
                throw new UserError(labels + ": label " + y[i] + " of example " + i + " is outside [0, " + classes + ")"
                        + "; this is not a " + classes + "-class label file");
            }
        }
        return new RawImages(images.toString(), im.pixels(), y, im.n(), new int[]{1, im.rows(), im.cols()});
    }

    private static int[] header(Path file, byte[] b, int magic, int ndim, String what) {
        int headerLen = 4 + 4 * ndim;
        if (b.length < 4) throw new UserError(file + ": " + b.length + " bytes, too short for an IDX file; the file is truncated or empty");
        ByteBuffer bb = ByteBuffer.wrap(b); // big-endian by default, as IDX is
        int m = bb.getInt();
        if (m != magic) {
            String seen = m == MAGIC_IMAGES ? " (an IDX image file)" : m == MAGIC_LABELS ? " (an IDX label file)" : "";
            throw new UserError(String.format("%s: magic number 0x%08x%s, expected 0x%08x for IDX uint8 %s; check that the file is the %s file",
                    file, m, seen, magic, what, what));
        }
        if (b.length < headerLen) throw new UserError(file + ": header cut off after " + b.length + " bytes; the file is truncated, fetch it again");
        int[] dims = new int[ndim];
        for (int d = 0; d < ndim; d++) {
            dims[d] = bb.getInt();
            if (dims[d] <= 0) throw new UserError(file + ": header dimension " + d + " is " + dims[d] + ", must be positive; the file is corrupt");
        }
        return dims;
    }

    private static void checkBody(Path file, byte[] b, int headerLen, long need, String what) {
        long have = b.length - headerLen;
        if (need > Integer.MAX_VALUE - 16) throw new UserError(file + ": header promises " + what + " (" + need + " bytes), too large for one array");
        if (have < need) throw new UserError(file + ": truncated, header promises " + what + " (" + need + " bytes) but the file holds " + have + "; fetch it again");
        if (have > need) throw new UserError(file + ": " + (have - need) + " bytes after the " + what + " the header promises; the file is not a valid IDX file");
    }

    /** Writes an IDX image file {@code pixels} (n, rows, cols) uint8, gzip-compressed when {@code gzip}. */
    public static void writeImages(Path file, int n, int rows, int cols, byte[] pixels, boolean gzip) throws IOException {
        if (pixels.length != (long) n * rows * cols) throw new IllegalArgumentException("pixels length " + pixels.length + " != n*rows*cols");
        ByteBuffer h = ByteBuffer.allocate(16).putInt(MAGIC_IMAGES).putInt(n).putInt(rows).putInt(cols);
        write(file, h.array(), pixels, gzip);
    }

    /** Writes an IDX label file (n) uint8, gzip-compressed when {@code gzip}. */
    public static void writeLabels(Path file, byte[] labels, boolean gzip) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(8).putInt(MAGIC_LABELS).putInt(labels.length);
        write(file, h.array(), labels, gzip);
    }

    private static void write(Path file, byte[] header, byte[] body, boolean gzip) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(header.length + body.length);
        try (OutputStream out = gzip ? new GZIPOutputStream(bos) : bos) {
            out.write(header);
            out.write(body);
        }
        Files.write(file, bos.toByteArray());
    }
}
