package eoslab.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The operand rounding of {@link GemmPrecision}: round to nearest, ties to even, to bfloat16 (8
 * significant bits) and TF32 (11), on known bit patterns (ties both ways, carries into the
 * exponent, overflow to Inf, subnormals, NaN, ±0) and on random floats of every exponent against
 * an independent reference that rounds in float64 arithmetic on the bf16/TF32 grid. Exact: the
 * rounding has one right answer.
 */
class GemmPrecisionTest {
    static int bf16(int bits) {
        return Float.floatToRawIntBits(GemmPrecision.BF16.round(Float.intBitsToFloat(bits)));
    }

    static int tf32(int bits) {
        return Float.floatToRawIntBits(GemmPrecision.TF32.round(Float.intBitsToFloat(bits)));
    }

    static void same(int expected, int actual, String what) {
        assertEquals(expected, actual, () -> what + ": expected 0x" + Integer.toHexString(expected) + " got 0x" + Integer.toHexString(actual));
    }

    @Test
    void bf16KnownBitPatterns() {
        same(0x3f800000, bf16(0x3f800000), "1.0 is a bf16");
        same(0x3f800000, bf16(0x3f807fff), "just below half an ulp rounds down");
        same(0x3f800000, bf16(0x3f808000), "tie, even kept part: down");
        same(0x3f820000, bf16(0x3f818000), "tie, odd kept part: up to even");
        same(0x3f810000, bf16(0x3f808001), "just above half an ulp rounds up");
        same(0xbf800000, bf16(0xbf808000), "negative tie to even");
        same(0xbf820000, bf16(0xbf818000), "negative tie up in magnitude");
        same(0x40000000, bf16(0x3fffc000), "carry into the exponent: 1.99... -> 2");
        same(0x3f7f0000, bf16(0x3f7f7fff), "below 1 rounds down within the binade");
        same(0x7f7f0000, bf16(0x7f7f7fff), "largest finite bf16 stays finite");
        same(0x7f800000, bf16(0x7f7fffff), "Float.MAX_VALUE overflows to +Inf (above the last tie)");
        same(0x7f800000, bf16(0x7f7f8000), "tie above the largest bf16 (odd) rounds to +Inf");
        same(0xff800000, bf16(0xff7fffff), "-MAX_VALUE to -Inf");
        same(0x7f800000, bf16(0x7f800000), "+Inf");
        same(0xff800000, bf16(0xff800000), "-Inf");
        same(0x00000000, bf16(0x00000000), "+0");
        same(0x80000000, bf16(0x80000000), "-0");
        // subnormals: the same grid spacing (2^-133 for bf16), ties to even
        same(0x00000000, bf16(0x00000001), "smallest float subnormal rounds to 0");
        same(0x00000000, bf16(0x00008000), "subnormal tie, even: down to 0");
        same(0x00020000, bf16(0x00018000), "subnormal tie, odd: up");
        same(0x00010000, bf16(0x0000c000), "subnormal above the tie: up");
        same(0x00800000, bf16(0x007fffff), "largest subnormal rounds up to the smallest normal");
        same(0x80010000, bf16(0x8000c000), "negative subnormal");
        // NaN stays NaN (quiet), never becomes Inf or a number; the sign is kept
        for (int nan : new int[] {0x7f800001, 0x7fc00000, 0x7fffffff, 0xff800001, 0xffc00001, 0x7f80ffff}) {
            int r = bf16(nan);
            assertTrue(Float.isNaN(Float.intBitsToFloat(r)), "NaN 0x" + Integer.toHexString(nan) + " -> 0x" + Integer.toHexString(r));
            assertEquals(0, r & 0xffff, "NaN is a bf16 pattern");
            assertEquals(nan >>> 31, r >>> 31, "NaN keeps its sign");
        }
    }

    @Test
    void tf32KnownBitPatterns() {
        same(0x3f800000, tf32(0x3f800fff), "below half an ulp (2^-11) rounds down");
        same(0x3f800000, tf32(0x3f801000), "tie, even: down");
        same(0x3f804000, tf32(0x3f803000), "tie, odd: up");
        same(0x3f802000, tf32(0x3f801001), "above the tie: up");
        same(0x40000000, tf32(0x3ffff000), "carry into the exponent");
        same(0x7f800000, tf32(0x7f7fffff), "MAX_VALUE to +Inf");
        same(0x00002000, tf32(0x00001001), "subnormal up");
        same(0x00000000, tf32(0x00001000), "subnormal tie to even 0");
        assertTrue(Float.isNaN(Float.intBitsToFloat(tf32(0x7f800001))), "NaN stays NaN");
        assertEquals(1.0f / 3, GemmPrecision.F32.round(1.0f / 3), 0f, "F32 rounds nothing");
    }

    /**
     * Reference: the nearest point of the p-significant-bit grid, computed in float64 (exact here):
     * spacing s = 2^(max(e, −126) − (p − 1)) for a float of exponent e; lo = floor(|x|/s)·s; the
     * nearer of lo and lo + s, ties to the even multiple of s; 2^128 and above is Inf.
     */
    static float reference(float x, int p) {
        if (Float.isNaN(x) || Float.isInfinite(x) || x == 0) return x;
        double ax = Math.abs((double) x);
        int e = Math.max(Math.getExponent(x), Float.MIN_EXPONENT);
        double s = Math.scalb(1.0, e - (p - 1));
        double q = Math.floor(ax / s), lo = q * s, hi = lo + s;
        double d = ax - lo, r;
        if (d < s / 2) r = lo;
        else if (d > s / 2) r = hi;
        else r = q % 2 == 0 ? lo : hi;
        float out = r >= 0x1p128 ? Float.POSITIVE_INFINITY : (float) r;
        return Math.copySign(out, x);
    }

    @Test
    void randomFloatsOfEveryExponentMatchTheReference() {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int t = 0; t < 200_000; t++) {
            int bits = rnd.nextInt();
            if (t % 4 == 0) bits = (bits & 0xffff0000) | (t % 8 == 0 ? 0x8000 : 0x1000); // force bf16 and TF32 ties
            float x = Float.intBitsToFloat(bits);
            if (Float.isNaN(x)) continue;
            for (GemmPrecision p : new GemmPrecision[] {GemmPrecision.BF16, GemmPrecision.TF32}) {
                float want = reference(x, p.significantBits()), got = p.round(x);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got),
                        () -> p + " of 0x" + Integer.toHexString(Float.floatToRawIntBits(x)) + " (" + x + "): want " + want + " got " + got);
            }
        }
    }

    @Test
    void unitRoundoffBoundsTheRelativeError() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (GemmPrecision p : GemmPrecision.values()) {
            double worst = 0;
            for (int t = 0; t < 100_000; t++) {
                float x = (float) (rnd.nextDouble(-1, 1) * Math.scalb(1.0, rnd.nextInt(-60, 60)));
                if (x == 0) continue;
                worst = Math.max(worst, Math.abs(p.round(x) - (double) x) / Math.abs(x));
            }
            assertTrue(worst <= p.unitRoundoff(), p + ": relative error " + worst + " <= u = " + p.unitRoundoff());
            if (p != GemmPrecision.F32) assertTrue(worst > 0.9 * p.unitRoundoff(), p + ": the bound is attained, " + worst);
        }
    }

    @Test
    void parseNamesTheOption() {
        assertEquals(GemmPrecision.BF16, GemmPrecision.parse("BF16"));
        assertEquals(GemmPrecision.TF32, GemmPrecision.parse(" tf32"));
        assertEquals(GemmPrecision.F32, GemmPrecision.parse("f32"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmPrecision.parse("fp16"));
        assertTrue(e.getMessage().contains("--precision") && e.getMessage().contains("fp16"), e.getMessage());
    }
}
