package eoslab.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import eoslab.util.UserError;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face; the format PyTorch's {@code safetensors.torch.save_file} writes):
 *
 * <pre>
 *   [8 bytes]  N, unsigned little-endian 64-bit: the header length in bytes
 *   [N bytes]  UTF-8 JSON object, right-padded with spaces so 8 + N is a multiple of 8:
 *              {"__metadata__": {"key": "value", ...},                      (optional, strings only)
 *               "layers.0.weight": {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}, ...}
 *   [rest]     the data section: raw little-endian, row-major (C-order) tensor bytes;
 *              data_offsets are relative to the start of this section, half-open [begin, end)
 * </pre>
 *
 * <p>The rules enforced on reading are those of the reference implementation (the Rust crate
 * {@code safetensors}, {@code Metadata::validate}), so a file that eoslab accepts also loads in PyTorch
 * and vice versa: header length at most {@value #MAX_HEADER_BYTES} bytes and inside the file; header
 * is a JSON object starting with '{' with no duplicate keys; metadata values are strings; every
 * tensor's {@code end - begin == numel * dtype size}; sorted by offset, the tensors tile the data
 * section exactly (no overlap, no gap, no trailing bytes). Unknown fields in a tensor entry are
 * ignored, as the reference does.
 */
public final class Safetensors {
    /** Same limit as the reference implementation: a larger header is treated as corruption. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Key of the string-to-string metadata map inside the header. */
    public static final String METADATA_KEY = "__metadata__";

    private Safetensors() {
    }

    /** Element types of the safetensors format, with their size in bytes. */
    public enum DType {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
        I16(2), U16(2), F16(2), BF16(2),
        I32(4), U32(4), F32(4),
        I64(8), U64(8), F64(8);

        public final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        public boolean isFloating() {
            return this == F16 || this == BF16 || this == F32 || this == F64;
        }
    }

    /**
     * One header entry. {@code begin}/{@code end} are byte offsets into the data section, half-open.
     * A shape of length 0 is a scalar (one element).
     */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of elements: the product of the shape (1 for a scalar). */
        public long numel() {
            return Safetensors.numel(shape);
        }

        public long byteLength() {
            return end - begin;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                    && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    /** A parsed and validated header: metadata (insertion order) and tensors in file (offset) order. */
    record Header(Map<String, String> metadata, List<TensorInfo> tensors) {
    }

    /** Product of the dimensions; throws ArithmeticException on overflow. */
    static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    /**
     * Parse and validate a header. {@code file} names the file in error messages; {@code dataLength}
     * is the size of the data section (file size - 8 - N).
     */
    static Header parseHeader(String file, byte[] headerBytes, long dataLength) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new UserError(file + ": safetensors header is not valid UTF-8");
        }
        if (!text.startsWith("{")) {
            throw new UserError(file + ": safetensors header does not start with '{' (not a safetensors file, or corrupt)");
        }
        JsonNode root;
        try {
            root = STRICT.readTree(text);
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new UserError(file + ": safetensors header is not valid JSON: " + why);
        }
        if (root == null || !root.isObject()) throw new UserError(file + ": safetensors header is not a JSON object");

        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals(METADATA_KEY)) {
                if (!v.isObject()) throw new UserError(file + ": \"" + METADATA_KEY + "\" must be an object of strings");
                for (Map.Entry<String, JsonNode> kv : v.properties()) {
                    if (!kv.getValue().isTextual()) {
                        throw new UserError(file + ": metadata value for '" + kv.getKey() + "' is not a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().textValue());
                }
                continue;
            }
            tensors.add(parseEntry(file, name, v));
        }

        // Sorted by offset, the tensors must tile [0, dataLength) exactly (reference: Metadata::validate).
        List<TensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long cursor = 0;
        String prev = null;
        for (TensorInfo t : byOffset) {
            if (t.end > dataLength) {
                throw new UserError(file + ": tensor '" + t.name + "' data_offsets [" + t.begin + ", " + t.end
                        + "] run past the end of the " + dataLength + "-byte data section (file truncated?)");
            }
            if (t.begin < cursor) {
                throw new UserError(file + ": tensor '" + t.name + "' data_offsets [" + t.begin + ", " + t.end
                        + "] overlap tensor '" + prev + "' (which ends at " + cursor + ")");
            }
            if (t.begin > cursor) {
                throw new UserError(file + ": gap of " + (t.begin - cursor) + " bytes before tensor '" + t.name
                        + "' at data offset " + cursor + " (tensors must be stored contiguously)");
            }
            cursor = t.end;
            prev = t.name;
        }
        if (cursor != dataLength) {
            throw new UserError(file + ": " + (dataLength - cursor) + " trailing bytes after the last tensor (data section is "
                    + dataLength + " bytes, tensors cover " + cursor + ")");
        }
        return new Header(Collections.unmodifiableMap(metadata), List.copyOf(byOffset));
    }

    private static TensorInfo parseEntry(String file, String name, JsonNode v) {
        String where = file + ": tensor '" + name + "'";
        if (!v.isObject()) throw new UserError(where + ": entry is not a JSON object");
        JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
        if (dt == null || sh == null || off == null) {
            throw new UserError(where + ": entry needs \"dtype\", \"shape\" and \"data_offsets\"");
        }
        if (!dt.isTextual()) throw new UserError(where + ": dtype is not a string");
        DType dtype;
        try {
            dtype = DType.valueOf(dt.textValue());
        } catch (IllegalArgumentException e) {
            throw new UserError(where + ": unknown dtype '" + dt.textValue() + "' (known: " + Arrays.toString(DType.values()) + ")");
        }
        long[] shape = nonNegativeLongs(where + ": shape", sh);
        long[] o = nonNegativeLongs(where + ": data_offsets", off);
        if (o.length != 2) throw new UserError(where + ": data_offsets must be [begin, end], got " + off);
        if (o[1] < o[0]) throw new UserError(where + ": data_offsets [" + o[0] + ", " + o[1] + "] end before they begin");
        long bytes;
        try {
            bytes = Math.multiplyExact(numel(shape), dtype.bytes);
        } catch (ArithmeticException e) {
            throw new UserError(where + ": shape " + Arrays.toString(shape) + " overflows a 64-bit byte count");
        }
        if (bytes != o[1] - o[0]) {
            throw new UserError(where + ": " + dtype + " shape " + Arrays.toString(shape) + " needs " + bytes
                    + " bytes but data_offsets [" + o[0] + ", " + o[1] + "] span " + (o[1] - o[0]));
        }
        return new TensorInfo(name, dtype, shape, o[0], o[1]);
    }

    private static long[] nonNegativeLongs(String what, JsonNode arr) {
        if (!arr.isArray()) throw new UserError(what + " is not a JSON array: " + arr);
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = arr.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0) {
                throw new UserError(what + " must hold non-negative integers, got " + arr);
            }
            out[i] = x.longValue();
        }
        return out;
    }
}
