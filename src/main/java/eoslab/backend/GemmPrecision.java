package eoslab.backend;

/**
 * The arithmetic of float32 GEMMs (issue #6: bf16 mixed precision on the GPU with fp32 master
 * weights). In {@link #BF16} and {@link #TF32} the two operands of every F32 {@link Backend#gemm}
 * are rounded to nearest even to 8 or 11 significant bits (bfloat16: 7 stored mantissa bits;
 * TF32: 10), the products are accumulated in float32 and C stays float32 — the tensor-core
 * recipe of mixed-precision training (Micikevicius et al. 2018; Kalamkar et al. 2019 for bf16).
 *
 * <p>What stays float32 (or float64): parameters (the master weights the optimizer updates),
 * optimizer state, gradients and HVPs as stored, and every non-GEMM op (activations, losses,
 * reductions, the Gram matrix). F64 GEMMs are never rounded. Not done: storing activations in
 * bf16 (the memory half of mixed precision): every tensor is still F32 in memory, only the GEMM
 * inputs are rounded on the fly (on the CPU while packing, on the GPU by cuBLAS).
 *
 * <p>Error model: rounding x to p significant bits gives x(1 + δ) with |δ| ≤ u = 2^-p (u = 2^-8
 * for bf16, 2^-11 for TF32), so each product a·b carries a relative error of at most 2u + u²,
 * and {@code |C − AB| ≤ (2u + u² + γ_K) (|A||B|)} elementwise, γ_K ≈ K·2^-24 the float32
 * accumulation error. For random data (|A||B|)_ij ≈ √K·|C_ij|, hence the rule of thumb that a
 * bf16 GEMM agrees with the exact product to about 2^-7·√K in relative terms.
 */
public enum GemmPrecision {
    /** Exact float32 products and sums (the default; cuBLAS with CUBLAS_DEFAULT_MATH). */
    F32("f32", 0),
    /** Operands rounded to TF32 (10 mantissa bits): cuBLAS CUBLAS_COMPUTE_32F_FAST_TF32. */
    TF32("tf32", 13),
    /** Operands rounded to bfloat16 (7 mantissa bits): cuBLAS CUBLAS_COMPUTE_32F_FAST_16BF. */
    BF16("bf16", 16);

    /** The name on the command line and in config.json. */
    public final String label;
    /** Low mantissa bits of a float32 cleared by the rounding (0: none). */
    public final int droppedBits;

    GemmPrecision(String label, int droppedBits) {
        this.label = label;
        this.droppedBits = droppedBits;
    }

    /** Significant bits kept, the implicit leading one included (24, 11, 8). */
    public int significantBits() {
        return 24 - droppedBits;
    }

    /** Unit roundoff of the operand rounding, 2^-p with p significant bits (2^-24 for F32). */
    public double unitRoundoff() {
        return Math.scalb(1.0, -significantBits());
    }

    /** {@code x} rounded as this precision rounds GEMM operands (the identity for F32). */
    public float round(float x) {
        return droppedBits == 0 ? x : Float.intBitsToFloat(roundBits(Float.floatToRawIntBits(x), droppedBits));
    }

    /**
     * Round-to-nearest-even of the float32 bit pattern {@code bits} to {@code 32 − drop} bits, the
     * result again as a float32 pattern with the low {@code drop} bits zero. Adding
     * {@code 2^(drop−1) − 1 + lsb} and truncating rounds up exactly when the dropped part is above
     * half an ulp, or equal to it with an odd kept part (ties to even). The same integer step is
     * correct for subnormals (the spacing is uniform there) and carries into the exponent when the
     * mantissa overflows, up to ±Inf past the largest finite value. Inf is unchanged; a NaN stays
     * a NaN (quiet, sign kept) instead of carrying into the sign bit.
     */
    static int roundBits(int bits, int drop) {
        if ((bits & 0x7fffffff) > 0x7f800000) return (bits | 0x00400000) & (-1 << drop);  // NaN: set the quiet bit
        int lsb = (bits >>> drop) & 1;
        return (bits + (1 << (drop - 1)) - 1 + lsb) & (-1 << drop);
    }

    /** "f32", "tf32" or "bf16" (any case). */
    public static GemmPrecision parse(String s) {
        String t = s == null ? "" : s.trim().toLowerCase(java.util.Locale.ROOT);
        for (GemmPrecision p : values()) if (p.label.equals(t)) return p;
        throw new IllegalArgumentException("unknown --precision '" + s + "' (use f32, tf32 or bf16)");
    }
}
