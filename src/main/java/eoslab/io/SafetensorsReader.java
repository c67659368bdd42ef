package eoslab.io;

import eoslab.io.Safetensors.DType;
import eoslab.io.Safetensors.Header;
import eoslab.io.Safetensors.TensorInfo;
import eoslab.util.UserError;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file. {@link #open} reads and validates the whole header (see {@link Safetensors}
 * for the rules) and keeps the file open; tensor data is read on demand with positional reads, so
 * opening a GPT-2 checkpoint to look at its metadata is cheap. Every problem with the file's content
 * is a {@link UserError} whose one-line message names the file and the problem.
 *
 * <pre>{@code
 * try (SafetensorsReader r = SafetensorsReader.open(path)) {
 *     long step = Long.parseLong(r.metadata().get("step"));
 *     float[] w0 = r.floats("layers.0.weight", 512, 3072);   // checks the shape, converts BF16/F16
 * }
 * }</pre>
 *
 * <p>Conversions: {@link #floats} and {@link #doubles} accept F16, BF16, F32, F64 (F64 to float rounds
 * to nearest); {@link #ints} accepts the integer types and BOOL, and fails if an I64/U32/U64 value does
 * not fit in an int. Thread-safe: positional reads do not share a file pointer.
 */
public final class SafetensorsReader implements AutoCloseable {
    /** Bytes converted per positional read; a multiple of every element size. */
    private static final int CHUNK = 1 << 22;
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final Path path;
    private final FileChannel ch;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors; // file (offset) order

    private SafetensorsReader(Path path, FileChannel ch, long dataStart, Header h) {
        this.path = path;
        this.ch = ch;
        this.dataStart = dataStart;
        this.metadata = h.metadata();
        Map<String, TensorInfo> m = new LinkedHashMap<>();
        for (TensorInfo t : h.tensors()) m.put(t.name(), t);
        this.tensors = m;
    }

    /** Open and validate {@code path}; throws {@link UserError} if it is missing, unreadable or corrupt. */
    public static SafetensorsReader open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new UserError(path + ": no such file");
        } catch (IOException e) {
            throw new UserError(path + ": cannot open (" + e.getMessage() + ")", e);
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new UserError(path + ": only " + size + " bytes, too short for a safetensors file (needs an 8-byte header length)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.flip().getLong(); // unsigned on disk; a "negative" value is > 2^63 and so too big
            if (n < 0 || n > Safetensors.MAX_HEADER_BYTES) {
                throw new UserError(path + ": header length " + Long.toUnsignedString(n) + " exceeds the "
                        + Safetensors.MAX_HEADER_BYTES + "-byte limit (corrupt or not a safetensors file)");
            }
            if (n > size - 8) {
                throw new UserError(path + ": header length " + n + " is larger than the " + (size - 8)
                        + " bytes after it (file truncated or not a safetensors file)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            Header h = Safetensors.parseHeader(path.toString(), hb.array(), size - 8 - n);
            return new SafetensorsReader(path, ch, 8 + n, h);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new UserError(path + ": read failed (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /**
     * The JSON object stored as the metadata entry {@code key} of {@code file} (e.g. a run's saved
     * configuration), or null when the file has no such entry; a UserError naming the file when it
     * cannot be read or the entry is not a JSON object.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> metadataObject(Path file, String key) {
        try (SafetensorsReader r = open(file)) {
            String js = r.metadata().get(key);
            return js == null ? null : Json.mapper().readValue(js, Map.class);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read its " + key + " metadata (" + e.getMessage() + ")");
        }
    }

    /** The {@code __metadata__} map (empty if the file has none), in file order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors in file (data offset) order. */
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** Header entry of {@code name}; UserError if there is none. */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            String known = String.join(", ", tensors.keySet().stream().limit(20).toList());
            throw new UserError(path + ": no tensor named '" + name + "' (has: " + known
                    + (tensors.size() > 20 ? ", ... " + tensors.size() + " in all" : "") + ")");
        }
        return t;
    }

    public long[] shape(String name) {
        return info(name).shape();
    }

    /** UserError unless tensor {@code name} has exactly {@code expected} as its shape. */
    public void requireShape(String name, long... expected) {
        long[] s = info(name).shape();
        if (!Arrays.equals(s, expected)) {
            throw new UserError(path + ": tensor '" + name + "' has shape " + Arrays.toString(s) + ", expected " + Arrays.toString(expected));
        }
    }

    /** Tensor {@code name} as floats (from F16, BF16, F32 or F64). */
    public float[] floats(String name) {
        TensorInfo t = info(name);
        float[] out = new float[arrayLength(t)];
        switch (t.dtype()) {
            case F32 -> read(t, (b, i, n) -> b.asFloatBuffer().get(out, i, n));
            case F64 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) out[i + k] = (float) b.getDouble(8 * k);
            });
            case F16 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) out[i + k] = Float.float16ToFloat(b.getShort(2 * k));
            });
            // bfloat16 is the top half of an IEEE float32 (Kalamkar et al. 2019): widening is exact
            case BF16 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) out[i + k] = Float.intBitsToFloat((b.getShort(2 * k) & 0xFFFF) << 16);
            });
            default -> throw wrongType(t, "a floating type (F16, BF16, F32, F64)");
        }
        return out;
    }

    /** {@link #floats(String)} after {@link #requireShape}. */
    public float[] floats(String name, long... expectedShape) {
        requireShape(name, expectedShape);
        return floats(name);
    }

    /** Tensor {@code name} as doubles (from F16, BF16, F32 or F64; widening is exact). */
    public double[] doubles(String name) {
        TensorInfo t = info(name);
        double[] out = new double[arrayLength(t)];
        switch (t.dtype()) {
            case F64 -> read(t, (b, i, n) -> b.asDoubleBuffer().get(out, i, n));
            case F32, F16, BF16 -> {
                float[] f = floats(name);
                for (int i = 0; i < f.length; i++) out[i] = f[i];
            }
            default -> throw wrongType(t, "a floating type (F16, BF16, F32, F64)");
        }
        return out;
    }

    public double[] doubles(String name, long... expectedShape) {
        requireShape(name, expectedShape);
        return doubles(name);
    }

    /** Tensor {@code name} as ints (from BOOL, U8, I8, I16, U16, I32, U32, I64, U64; range-checked). */
    public int[] ints(String name) {
        TensorInfo t = info(name);
        int[] out = new int[arrayLength(t)];
        switch (t.dtype()) {
            case I32 -> read(t, (b, i, n) -> b.asIntBuffer().get(out, i, n));
            case BOOL, U8 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) out[i + k] = b.get(k) & 0xFF;
            });
            case I8 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) out[i + k] = b.get(k);
            });
            case I16 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) out[i + k] = b.getShort(2 * k);
            });
            case U16 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) out[i + k] = b.getShort(2 * k) & 0xFFFF;
            });
            case U32 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) out[i + k] = toInt(t, b.getInt(4 * k) & 0xFFFFFFFFL, i + k);
            });
            case I64 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) out[i + k] = toInt(t, b.getLong(8 * k), i + k);
            });
            case U64 -> read(t, (b, i, n) -> {
                for (int k = 0; k < n; k++) {
                    long v = b.getLong(8 * k);
                    if (v < 0) { // >= 2^63 as unsigned
                        throw new UserError(path + ": tensor '" + t.name() + "' (U64) element " + (i + k) + " = "
                                + Long.toUnsignedString(v) + " does not fit in an int");
                    }
                    out[i + k] = toInt(t, v, i + k);
                }
            });
            default -> throw wrongType(t, "an integer type");
        }
        return out;
    }

    public int[] ints(String name, long... expectedShape) {
        requireShape(name, expectedShape);
        return ints(name);
    }

    private int toInt(TensorInfo t, long v, int index) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new UserError(path + ": tensor '" + t.name() + "' (" + t.dtype() + ") element " + index + " = " + v + " does not fit in an int");
        }
        return (int) v;
    }

    private UserError wrongType(TensorInfo t, String wanted) {
        return new UserError(path + ": tensor '" + t.name() + "' has dtype " + t.dtype() + ", expected " + wanted);
    }

    private int arrayLength(TensorInfo t) {
        long n = t.numel();
        if (n > MAX_ARRAY) throw new UserError(path + ": tensor '" + t.name() + "' has " + n + " elements, too many for one Java array");
        return (int) n;
    }

    /** Receives a little-endian chunk (position 0) holding {@code n} elements destined for index {@code i}. */
    private interface ChunkSink {
        void accept(ByteBuffer chunk, int i, int n);
    }

    private void read(TensorInfo t, ChunkSink sink) {
        int es = t.dtype().bytes;
        long total = t.byteLength();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(total, 1))).order(ByteOrder.LITTLE_ENDIAN);
        long done = 0;
        try {
            while (done < total) {
                int len = (int) Math.min(buf.capacity(), total - done);
                buf.clear().limit(len);
                readFully(ch, buf, dataStart + t.begin() + done);
                buf.flip();
                sink.accept(buf.slice().order(ByteOrder.LITTLE_ENDIAN), (int) (done / es), len / es);
                done += len;
            }
        } catch (IOException e) {
            throw new UserError(path + ": reading tensor '" + t.name() + "' failed (" + e.getMessage() + ")", e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) throw new EOFException("unexpected end of file at byte " + pos);
            pos += r;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already failing with a better message
        }
    }

    @Override
    public void close() {
        closeQuietly(ch);
    }
}
