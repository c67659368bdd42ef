package eoslab.io;

import eoslab.io.Safetensors.DType;
import eoslab.io.Safetensors.TensorInfo;
import eoslab.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Safetensors reader/writer. The writer is checked byte for byte against files the reference
 * implementation (Python {@code safetensors} 0.8.0, {@code safetensors.numpy.save}) produced, and the
 * reader against every kind of corruption the reference rejects. All value comparisons are exact
 * (raw bit patterns): storage must not change a single bit.
 */
class SafetensorsTest {
    @TempDir
    Path dir;

    // ---------------------------------------------------------------- golden bytes from the reference

    /**
     * {@code safetensors.numpy.save({'b': int32 [3, -1], 'w': float64 [[0.5]], 'v': float32 [1, -2]},
     * metadata={'step': '7'})} with safetensors 0.8.0. Header: 193 bytes of JSON + 7 spaces = 200,
     * so the data section starts at 208 (8-aligned). Data: 0.5 as F64 LE {@code 000000000000e03f},
     * 1.0f {@code 0000803f}, -2.0f {@code 000000c0}, 3 {@code 03000000}, -1 {@code ffffffff}.
     */
    @Test
    void writerBytesEqualReferenceImplementation() throws IOException {
        byte[] got = new SafetensorsWriter()
                .add("b", new int[]{3, -1}, 2)
                .add("w", new double[]{0.5}, 1, 1)
                .add("v", new float[]{1.0f, -2.0f}, 2)
                .metadata("step", "7")
                .toBytes();

        String header = "{\"__metadata__\":{\"step\":\"7\"},"
                + "\"w\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[0,8]},"
                + "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[16,24]}}"
                + "       ";
        assertEquals(200, header.length());
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.writeBytes(HexFormat.of().parseHex("c800000000000000")); // N = 200, little-endian u64
        want.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        want.writeBytes(HexFormat.of().parseHex("000000000000e03f" + "0000803f000000c0" + "03000000ffffffff"));
        assertArrayEquals(want.toByteArray(), got);
        assertEquals(0, (8 + 200) % 8, "data section must start 8-aligned");
    }

    /**
     * A file the reference wrote: {@code {'h': float16 [1, -2.5, 65504, 2^-24], 'i': int64 [5, -7],
     * 'u': uint8 [[0, 255]], 'm': bool [True, False]}}. Exercises dtypes eoslab never writes.
     */
    static final String REFERENCE_MIXED = "e0000000000000007b2269223a7b226474797065223a22493634222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c31365d7d2c2268223a7b226474797065223a22463136222c227368617065223a5b345d2c22646174615f6f666673657473223a5b31362c32345d7d2c2275223a7b226474797065223a225538222c227368617065223a5b312c325d2c22646174615f6f666673657473223a5b32342c32365d7d2c226d223a7b226474797065223a22424f4f4c222c227368617065223a5b325d2c22646174615f6f666673657473223a5b32362c32385d7d7d20200500000000000000f9ffffffffffffff003c00c1ff7b010000ff0100";

    @Test
    void readsReferenceFileWithF16I64U8Bool() throws IOException {
        Path f = dir.resolve("ref.safetensors");
        Files.write(f, HexFormat.of().parseHex(REFERENCE_MIXED));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(Map.of(), r.metadata());
            assertEquals(List.of("i", "h", "u", "m"), r.tensors().stream().map(TensorInfo::name).toList());
            // float16 -> float is exact for every half value, including the largest normal and the smallest subnormal
            assertArrayEquals(new float[]{1.0f, -2.5f, 65504.0f, (float) Math.pow(2, -24)}, r.floats("h", 4));
            assertArrayEquals(new double[]{1.0, -2.5, 65504.0, Math.pow(2, -24)}, r.doubles("h"));
            assertArrayEquals(new int[]{5, -7}, r.ints("i", 2));
            assertArrayEquals(new int[]{0, 255}, r.ints("u", 1, 2));
            assertArrayEquals(new int[]{1, 0}, r.ints("m"));
            assertEquals(DType.U8, r.info("u").dtype());
        }
    }

    /** bfloat16 is the top 16 bits of a float32, so widening must reproduce these floats exactly. */
    @Test
    void readsBf16() throws IOException {
        float[] want = {1.0f, -3.0f, 3.140625f, Float.intBitsToFloat(0x00080000) /* 2^-130, subnormal */, Float.NEGATIVE_INFINITY};
        ByteBuffer data = ByteBuffer.allocate(2 * want.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : want) data.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        Path f = raw("bf16", "{\"x\":{\"dtype\":\"BF16\",\"shape\":[5],\"data_offsets\":[0,10]}}", data.array());
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            float[] got = r.floats("x");
            for (int i = 0; i < want.length; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "element " + i);
        }
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void roundTripF32F64I32WithShapesAndMetadataIsBitExact() throws IOException {
        SplittableRandom rng = new SplittableRandom(42);
        float[] w0 = new float[16 * 784]; // (out, in), as torch.nn.Linear(784, 16).weight
        for (int i = 0; i < w0.length; i++) w0[i] = (float) rng.nextGaussian();
        w0[0] = Float.NaN;
        w0[1] = -0.0f;
        w0[2] = Float.MIN_VALUE;
        w0[3] = Float.POSITIVE_INFINITY;
        w0[4] = Float.intBitsToFloat(0x7fc00123); // NaN with a payload: bits must survive
        double[] ref = new double[3 * 5 * 7];
        for (int i = 0; i < ref.length; i++) ref[i] = Double.longBitsToDouble(rng.nextLong()); // arbitrary bit patterns
        int[] labels = {0, 1, -5, Integer.MAX_VALUE, Integer.MIN_VALUE};
        float[] scalar = {3.5f};
        float[] empty = new float[0];

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", "1024");
        meta.put("config", "{\"eta\": 0.01, \"name\": \"mlp \\\"2x512\\\"\"}\nsecond line");
        meta.put("rng", "η = 0.01, λ₁ ≥ 2/η");

        Path f = dir.resolve("ckpt.safetensors");
        new SafetensorsWriter()
                .add("layers.0.weight", w0, 16, 784)
                .add("ref", ref, 3, 5, 7)
                .add("labels", labels, 5)
                .add("scalar", scalar)
                .add("empty", empty, 0, 4)
                .metadata(meta)
                .write(f);

        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(meta, r.metadata());
            assertEquals(List.copyOf(meta.keySet()), List.copyOf(r.metadata().keySet()), "metadata keeps insertion order");
            assertArrayEquals(new long[]{16, 784}, r.shape("layers.0.weight"));
            assertArrayEquals(new long[]{}, r.shape("scalar"));
            assertArrayEquals(new long[]{0, 4}, r.shape("empty"));
            float[] g0 = r.floats("layers.0.weight", 16, 784);
            for (int i = 0; i < w0.length; i++) assertEquals(Float.floatToRawIntBits(w0[i]), Float.floatToRawIntBits(g0[i]), "w0[" + i + "]");
            double[] gr = r.doubles("ref", 3, 5, 7);
            for (int i = 0; i < ref.length; i++) assertEquals(Double.doubleToRawLongBits(ref[i]), Double.doubleToRawLongBits(gr[i]), "ref[" + i + "]");
            assertArrayEquals(labels, r.ints("labels", 5));
            assertArrayEquals(scalar, r.floats("scalar"));
            assertEquals(0, r.floats("empty").length);
            // every tensor is aligned to its element size (reference layout: larger dtypes first)
            for (TensorInfo t : r.tensors()) assertEquals(0, (8 + headerLength(f) + t.begin()) % t.dtype().bytes, t.toString());
            assertEquals(DType.F64, r.tensors().getFirst().dtype());
        }
    }

    /** Tensors larger than the reader's 4 MiB chunk: conversion must be right across chunk boundaries. */
    @Test
    void roundTripAcrossReadChunks() throws IOException {
        int n = 1_500_000; // 6 MB as F32, 12 MB as F64
        float[] a = new float[n];
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = i * 0.5f - 7;
            b[i] = Math.sqrt(i) * (i % 2 == 0 ? 1 : -1);
        }
        Path f = dir.resolve("big.safetensors");
        new SafetensorsWriter().add("a", a, n).add("b", b, 1000, 1500).write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertArrayEquals(a, r.floats("a"));
            assertArrayEquals(b, r.doubles("b"));
            float[] bf = r.floats("b"); // F64 -> float rounds to nearest, same as a Java cast
            for (int i = 0; i < n; i += 997) assertEquals((float) b[i], bf[i]);
            assertEquals((float) b[n - 1], bf[n - 1]);
        }
    }

    /** Backend tensors (here CPU views with an offset) are written under their own dtype. */
    @Test
    void writesBackendTensors() throws IOException {
        var cpu = eoslab.backend.CpuBackend.INSTANCE;
        eoslab.tensor.Tensor f = cpu.fromFloats(new float[]{9, 1.5f, -2, 0.25f, 7, 9}).view(1, 4); // (2, 2), skips the 9s
        eoslab.tensor.Tensor d = cpu.fromDoubles(eoslab.tensor.DType.F64, new double[]{Math.PI, Math.E});
        eoslab.tensor.Tensor i = cpu.fromInts(new int[]{-3, 1 << 30});
        Path p = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("f", f, 2, 2).add("d", d, 2).add("i", i, 2).write(p);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            assertEquals(DType.F32, r.info("f").dtype());
            assertArrayEquals(new float[]{1.5f, -2, 0.25f, 7}, r.floats("f", 2, 2));
            assertArrayEquals(new double[]{Math.PI, Math.E}, r.doubles("d"));
            assertArrayEquals(new int[]{-3, 1 << 30}, r.ints("i"));
        }
    }

    @Test
    void writerRejectsBadInput() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", new float[6], 2, 3);
        assertThrows(IllegalArgumentException.class, () -> w.add("a", new float[1], 1), "duplicate");
        assertThrows(IllegalArgumentException.class, () -> w.add("b", new float[6], 4, 2), "shape/length mismatch");
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", new float[1], 1), "reserved name");
        assertThrows(IllegalArgumentException.class, () -> w.add("", new float[1], 1), "empty name");
        assertThrows(IllegalArgumentException.class, () -> w.add("c", new float[0], -1, 0), "negative dim");
    }

    // ---------------------------------------------------------------- corruption: every case is a one-line UserError

    private Path raw(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return rawBytes(name, h.length, h, data);
    }

    private Path rawBytes(String name, long declaredLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        Path f = dir.resolve(name + ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private static long headerLength(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        return ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** Open {@code f} (and run {@code use}), expecting a UserError that names the file and contains {@code fragment}. */
    private static void assertCorrupt(Path f, String fragment, Consumer<SafetensorsReader> use) {
        UserError e = assertThrows(UserError.class, () -> {
            try (SafetensorsReader r = SafetensorsReader.open(f)) {
                use.accept(r);
            }
        });
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), "message must name the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "message must be one line: " + e.getMessage());
    }

    private static void assertCorrupt(Path f, String fragment) {
        assertCorrupt(f, fragment, r -> {
        });
    }

    static final String ONE = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    @Test
    void missingTruncatedAndOversizedFiles() throws IOException {
        assertCorrupt(dir.resolve("nope.safetensors"), "no such file");
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        assertCorrupt(empty, "too short");
        Path five = dir.resolve("five.safetensors");
        Files.write(five, new byte[5]);
        assertCorrupt(five, "too short");

        byte[] h = ONE.getBytes(StandardCharsets.UTF_8);
        assertCorrupt(rawBytes("huge", 200_000_000L, h, new byte[8]), "exceeds");
        assertCorrupt(rawBytes("negative", -1L, h, new byte[8]), "exceeds"); // u64 2^64-1
        assertCorrupt(rawBytes("toolong", h.length + 100, h, new byte[8]), "larger than");

        // a valid file cut short inside the data section, and inside the header
        byte[] good = new SafetensorsWriter().add("x", new float[]{1, 2, 3, 4}, 2, 2).toBytes();
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length - 3));
        assertCorrupt(cut, "run past the end");
        Files.write(cut, java.util.Arrays.copyOf(good, 20));
        assertCorrupt(cut, "larger than");
    }

    @Test
    void malformedHeaders() throws IOException {
        assertCorrupt(raw("badjson", "{\"x\": {\"dtype\": \"F32\", ", new byte[0]), "not valid JSON");
        assertCorrupt(raw("array", "[1, 2]", new byte[0]), "does not start with '{'");
        assertCorrupt(raw("trailing", "{} {}", new byte[0]), "not valid JSON");
        assertCorrupt(raw("dup", "{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", new byte[0]), "not valid JSON");
        assertCorrupt(rawBytes("utf8", 4, new byte[]{'{', (byte) 0xC3, (byte) 0x28, '}'}, new byte[0]), "not valid UTF-8");
        assertCorrupt(raw("meta", "{\"__metadata__\":{\"step\":7}}", new byte[0]), "metadata value for 'step' is not a string");
        assertCorrupt(raw("metaobj", "{\"__metadata__\":[1]}", new byte[0]), "must be an object");
        assertCorrupt(raw("entry", "{\"x\":5}", new byte[0]), "not a JSON object");
        assertCorrupt(raw("fields", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8]), "needs");
        assertCorrupt(raw("dtype", "{\"x\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "unknown dtype 'F33'");
        assertCorrupt(raw("shapeneg", "{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]), "non-negative integers");
        assertCorrupt(raw("shapefrac", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", new byte[8]), "non-negative integers");
        assertCorrupt(raw("shapestr", "{\"x\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", new byte[8]), "not a JSON array");
        assertCorrupt(raw("offs3", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", new byte[8]), "[begin, end]");
        assertCorrupt(raw("backwards", "{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", new byte[8]), "end before they begin");
        assertCorrupt(raw("overflow", "{\"x\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", new byte[8]), "overflows");
    }

    @Test
    void offsetsAndSizesMustTileTheDataSection() throws IOException {
        // dtype size x shape != byte length
        assertCorrupt(raw("mismatch", "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]), "needs 12 bytes");
        assertCorrupt(raw("mismatch64", "{\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "needs 16 bytes");
        // out of range
        assertCorrupt(raw("range", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[8]), "run past the end");
        // overlap
        assertCorrupt(raw("overlap", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]), "overlap");
        assertCorrupt(raw("same", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "overlap");
        // gap and trailing bytes (the reference rejects both)
        assertCorrupt(raw("gap", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "gap of 4 bytes");
        assertCorrupt(raw("tail", ONE, new byte[12]), "4 trailing bytes");
        // and the well-formed file those were derived from opens
        try (SafetensorsReader r = SafetensorsReader.open(raw("ok", ONE, new byte[8]))) {
            assertArrayEquals(new float[2], r.floats("x"));
        }
    }

    @Test
    void wrongNameTypeOrShapeOnRead() throws IOException {
        long big = 1L << 40;
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(3).putLong(big);
        Path f = raw("typed", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[8,24]}}", concat(new byte[8], d.array()));
        assertCorrupt(f, "no tensor named 'y'", r -> r.floats("y"));
        assertCorrupt(f, "has dtype F32, expected an integer type", r -> r.ints("x"));
        assertCorrupt(f, "has dtype I64, expected a floating type", r -> r.floats("n"));
        assertCorrupt(f, "has shape [2], expected [1, 2]", r -> r.floats("x", 1, 2));
        assertCorrupt(f, "does not fit in an int", r -> r.ints("n"));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
