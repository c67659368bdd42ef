package eoslab.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import eoslab.io.Safetensors.DType;
import eoslab.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a safetensors file (layout in {@link Safetensors}). Shapes use PyTorch's layout and names,
 * so the file loads with {@code safetensors.torch.load_file} into a module's {@code state_dict}:
 * a Linear layer's weight is {@code (out, in)} row-major under {@code "layers.0.weight"}.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *     .add("layers.0.weight", w0, 512, 3072)      // float[] (out, in)
 *     .add("layers.0.bias", b0, 512)
 *     .metadata("step", "1024")
 *     .write(dir.resolve("ckpt.safetensors"));      // atomic
 * }</pre>
 *
 * <p>The arrays are referenced, not copied: do not modify them until {@link #write} returns.
 *
 * <p>The bytes are those the reference implementation (Python {@code safetensors.numpy.save} /
 * {@code safetensors.torch.save_file}, version 0.8.0) writes for the same tensors and at most one
 * metadata entry (tested byte for byte): compact JSON, {@code __metadata__} first (omitted when empty),
 * then the tensors sorted F64, F32, I32 and by name within a dtype, each entry as
 * {@code dtype, shape, data_offsets}, the header padded with spaces to a multiple of 8. Several metadata
 * entries are written in insertion order (the reference writes them in hash order).
 */
public final class SafetensorsWriter {
    private record Entry(String name, DType dtype, long[] shape, Object data, long numel) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Add an F32 tensor of the given shape (row-major); {@code data.length} must equal the shape's product. */
    public SafetensorsWriter add(String name, float[] data, long... shape) {
        return put(name, DType.F32, data, data.length, shape);
    }

    /** Add an F64 tensor. */
    public SafetensorsWriter add(String name, double[] data, long... shape) {
        return put(name, DType.F64, data, data.length, shape);
    }

    /** Add an I32 tensor. */
    public SafetensorsWriter add(String name, int[] data, long... shape) {
        return put(name, DType.I32, data, data.length, shape);
    }

    /**
     * Add an eoslab tensor (any backend; copied to the host now) under its own dtype: F32, F64 or I32.
     * I32 goes through the backend's double copy, which is exact for |x| < 2^53.
     */
    public SafetensorsWriter add(String name, Tensor t, long... shape) {
        return switch (t.dtype) {
            case F32 -> add(name, t.toFloats(), shape);
            case F64 -> add(name, t.toDoubles(), shape);
            case I32 -> {
                double[] d = t.toDoubles();
                int[] ints = new int[d.length];
                for (int i = 0; i < d.length; i++) ints[i] = (int) d[i];
                yield add(name, ints, shape);
            }
        };
    }

    /** Add one metadata entry (e.g. step, config JSON, RNG state). Keys keep insertion order. */
    public SafetensorsWriter metadata(String key, String value) {
        if (key == null || value == null) throw new IllegalArgumentException("metadata key and value must be non-null");
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter metadata(Map<String, String> entries) {
        entries.forEach(this::metadata);
        return this;
    }

    private SafetensorsWriter put(String name, DType dtype, Object data, int length, long[] shape) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor name must be non-empty");
        if (name.equals(Safetensors.METADATA_KEY)) throw new IllegalArgumentException("'" + name + "' is reserved for metadata");
        if (!names.add(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        for (long s : shape) {
            if (s < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
        }
        long numel = Safetensors.numel(shape);
        if (numel != length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has " + numel
                    + " elements but the array has " + length);
        }
        entries.add(new Entry(name, dtype, shape.clone(), data, numel));
        return this;
    }

    /**
     * Entries in layout order, the reference writer's ({@code safetensors} {@code prepare}): dtype
     * descending in its enum order (F64, then F32, then I32), then name ascending by UTF-8 bytes.
     * Larger elements first keeps every offset a multiple of its element size.
     */
    private List<Entry> layout() {
        List<Entry> order = new ArrayList<>(entries);
        order.sort(Comparator.comparingInt((Entry e) -> rank(e.dtype))
                .thenComparing((a, b) -> Arrays.compareUnsigned(a.name.getBytes(StandardCharsets.UTF_8), b.name.getBytes(StandardCharsets.UTF_8))));
        return order;
    }

    private static int rank(DType d) {
        return switch (d) {
            case F64 -> 0;
            case F32 -> 1;
            case I32 -> 2;
            default -> throw new IllegalStateException("writer does not produce " + d);
        };
    }

    /** The header JSON, padded with spaces so that 8 + its length is a multiple of 8. */
    byte[] headerBytes() throws IOException {
        StringWriter sw = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(sw)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(Safetensors.METADATA_KEY);
                for (Map.Entry<String, String> e : metadata.entrySet()) g.writeStringField(e.getKey(), e.getValue());
                g.writeEndObject();
            }
            long offset = 0;
            for (Entry e : layout()) {
                long end = offset + e.numel * e.dtype.bytes;
                g.writeObjectFieldStart(e.name);
                g.writeStringField("dtype", e.dtype.name());
                g.writeArrayFieldStart("shape");
                for (long s : e.shape) g.writeNumber(s);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(end);
                g.writeEndArray();
                g.writeEndObject();
                offset = end;
            }
            g.writeEndObject();
        }
        byte[] json = sw.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // 8 + padded is then 8-aligned, so the data section is too
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Stream the whole file to {@code out}. */
    public void writeTo(OutputStream out) throws IOException {
        byte[] header = headerBytes();
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        out.write(len.array());
        out.write(header);
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : layout()) {
            int n = (int) e.numel;
            // bulk copies through typed views of the little-endian buffer, one 64 KiB block at a time
            switch (e.data) {
                case float[] a -> {
                    for (int i = 0; i < n; ) {
                        if (buf.remaining() < 4) drain(buf, out);
                        int k = Math.min(n - i, buf.remaining() / 4);
                        buf.asFloatBuffer().put(a, i, k);
                        buf.position(buf.position() + 4 * k);
                        i += k;
                    }
                }
                case double[] a -> {
                    for (int i = 0; i < n; ) {
                        if (buf.remaining() < 8) drain(buf, out);
                        int k = Math.min(n - i, buf.remaining() / 8);
                        buf.asDoubleBuffer().put(a, i, k);
                        buf.position(buf.position() + 8 * k);
                        i += k;
                    }
                }
                case int[] a -> {
                    for (int i = 0; i < n; ) {
                        if (buf.remaining() < 4) drain(buf, out);
                        int k = Math.min(n - i, buf.remaining() / 4);
                        buf.asIntBuffer().put(a, i, k);
                        buf.position(buf.position() + 4 * k);
                        i += k;
                    }
                }
                default -> throw new IllegalStateException("unsupported array " + e.data.getClass());
            }
        }
        drain(buf, out);
    }

    private static void drain(ByteBuffer buf, OutputStream out) throws IOException {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
    }

    /** The whole file as bytes (small files and tests). */
    public byte[] toBytes() throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        writeTo(bos);
        return bos.toByteArray();
    }

    /** Write the file atomically (see {@link AtomicFiles}): a crash leaves the old file or the new one. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, this::writeTo);
    }
}
