package eoslab.tensor;

/** Element types a {@link Tensor} can hold. F32 is the training type; F64 is for references and tests. */
public enum DType {
    F32(4), F64(8), I32(4);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public static DType parse(String s) {
        return switch (s.toLowerCase()) {
            case "f32", "float32", "float" -> F32;
            case "f64", "float64", "double" -> F64;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "' (use f32 or f64)");
        };
    }
}
