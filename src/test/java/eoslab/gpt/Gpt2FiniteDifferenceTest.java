package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.nn.Batch;
import eoslab.nn.Loss;
import eoslab.nn.ParamSpec;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPT-2's loss, gradient and Hessian-vector products against central finite differences in
 * float64 (SPEC §2), as {@code eoslab.nn.FiniteDifferenceTest} does for MLPs. A micro config
 * (V = 11, maxT = 6, L = 2, H = 2, C = 8) is checked on every coordinate; the tiny preset on a
 * sample of coordinates from every parameter tensor. Central differences with h = 1e-5 err by
 * O(h²) ≈ 1e-10 relative to third derivatives of O(1–100); tolerance |a − b| ≤ 1e-6 + 1e-5·|b|.
 */
class Gpt2FiniteDifferenceTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final double H = 1e-5, ATOL = 1e-6, RTOL = 1e-5;
    static final GptConfig MICRO = new GptConfig(11, 6, 2, 2, 8);

    /** B sequences of T random tokens and random next-token labels. */
    static Batch batch(DType dt, int v, int b, int t, long seed) {
        Random r = new Random(seed);
        int[] x = new int[b * t], y = new int[b * t];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(v);
            y[i] = r.nextInt(v);
        }
        return new Batch(BE.fromInts(x), BE.fromInts(y), null, b);
    }

    /** Weights at init, perturbed so LayerNorm gains, biases and projections are all generic. */
    static double[] weights(Gpt2 m, long seed, double noise) {
        double[] w = m.init(seed, 1.0);
        Random r = new Random(seed + 1);
        for (int i = 0; i < w.length; i++) w[i] += noise * r.nextGaussian();
        return w;
    }

    static double loss(Gpt2 m, Batch b, double[] w) {
        return m.lossGradHvp(BE, BE.fromDoubles(DType.F64, w), b, Loss.CE, 1.0 / b.n(), null, null, 0, null, null, null);
    }

    static double[] grad(Gpt2 m, Batch b, double[] w) {
        Tensor g = BE.zeros(DType.F64, w.length);
        m.lossGradHvp(BE, BE.fromDoubles(DType.F64, w), b, Loss.CE, 1.0 / b.n(), g, null, 0, null, null, null);
        return g.toDoubles();
    }

    static void close(double expected, double actual, String what) {
        assertTrue(Math.abs(expected - actual) <= ATOL + RTOL * Math.abs(expected),
                what + ": expected " + expected + " got " + actual + " (diff " + Math.abs(expected - actual) + ")");
    }

    static String nameOf(Gpt2 m, int i) {
        for (ParamSpec p : m.params()) if (i >= p.offset() && i < p.offset() + p.size()) return p.name() + "[" + (i - p.offset()) + "]";
        return "?" + i;
    }

    @Test
    void lossIsMeanTokenCrossEntropyOfTheLogits() {
        Gpt2 m = new Gpt2(MICRO);
        Batch b = batch(DType.F64, 11, 3, 5, 1);
        double[] w = weights(m, 2, 0.1);
        Tensor logits = BE.zeros(DType.F64, 3 * 5 * 11);
        Tensor rows = BE.zeros(DType.F64, 3);
        double l = m.lossGradHvp(BE, BE.fromDoubles(DType.F64, w), b, Loss.CE, 1.0 / 3, null, null, 0, null, rows, logits);
        double[] z = logits.toDoubles(), y = b.labels().toDoubles(), rl = rows.toDoubles();
        double total = 0;
        double[] perSeq = new double[3];
        for (int i = 0; i < 15; i++) {
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int c = 0; c < 11; c++) max = Math.max(max, z[i * 11 + c]);
            for (int c = 0; c < 11; c++) s += Math.exp(z[i * 11 + c] - max);
            double ce = Math.log(s) + max - z[i * 11 + (int) y[i]];
            total += ce / 15;
            perSeq[i / 5] += ce / 5;
        }
        assertEquals(total, l, 1e-13);
        for (int i = 0; i < 3; i++) assertEquals(perSeq[i], rl[i], 1e-13, "per-sequence loss " + i);
        // forward() gives the same logits
        Tensor out = BE.zeros(DType.F64, 15 * 11);
        m.forward(BE, BE.fromDoubles(DType.F64, w), b.x(), 3, out);
        assertEquals(0, FdUtil.maxAbsDiff(z, out.toDoubles()), 0);
    }

    @Test
    void everyGradientCoordinateMatchesCentralDifferences() {
        Gpt2 m = new Gpt2(MICRO);
        Batch b = batch(DType.F64, 11, 2, 5, 3); // T = 5 < maxT = 6
        double[] w = weights(m, 4, 0.1);
        double[] g = grad(m, b, w);
        for (int i = 0; i < w.length; i++) {
            double[] wp = w.clone(), wm = w.clone();
            wp[i] += H;
            wm[i] -= H;
            close((loss(m, b, wp) - loss(m, b, wm)) / (2 * H), g[i], "dL/d" + nameOf(m, i));
        }
    }

    @Test
    void batchedHvpMatchesFiniteDifferencesOfGradients() {
        Gpt2 m = new Gpt2(MICRO);
        Batch b = batch(DType.F64, 11, 2, 6, 5);
        int p = m.numParams(), k = 3;
        double[] w = weights(m, 6, 0.1);
        double[] v = FdUtil.gaussian(k * p, new Random(7));
        Tensor hv = BE.zeros(DType.F64, (long) k * p), g = BE.zeros(DType.F64, p);
        m.lossGradHvp(BE, BE.fromDoubles(DType.F64, w), b, Loss.CE, 1.0 / b.n(), g, BE.fromDoubles(DType.F64, v), k, hv, null, null);
        // same arithmetic; only Math.tanh/exp may round 1 ulp apart between interpreted and JIT-compiled code
        assertEquals(0, FdUtil.maxAbsDiff(g.toDoubles(), grad(m, b, w)), 1e-14, "gradient of the shared pass equals the plain gradient");
        double[] got = hv.toDoubles();
        for (int j = 0; j < k; j++) {
            double[] wp = w.clone(), wm = w.clone();
            for (int i = 0; i < p; i++) {
                wp[i] += H * v[j * p + i];
                wm[i] -= H * v[j * p + i];
            }
            double[] gp = grad(m, b, wp), gm = grad(m, b, wm);
            for (int i = 0; i < p; i++) close((gp[i] - gm[i]) / (2 * H), got[j * p + i], "(Hv_" + j + ")" + nameOf(m, i));
        }
    }

    @Test
    void hessianIsSymmetric() {
        Gpt2 m = new Gpt2(MICRO);
        Batch b = batch(DType.F64, 11, 3, 6, 8);
        int p = m.numParams();
        double[] w = weights(m, 9, 0.2);
        double[] uv = FdUtil.gaussian(2 * p, new Random(10));
        Tensor hv = BE.zeros(DType.F64, 2L * p);
        m.lossGradHvp(BE, BE.fromDoubles(DType.F64, w), b, Loss.CE, 1.0 / 3, null, BE.fromDoubles(DType.F64, uv), 2, hv, null, null);
        double[] h = hv.toDoubles();
        double uHv = 0, vHu = 0, sc = 0;
        for (int i = 0; i < p; i++) {
            uHv += uv[i] * h[p + i];
            vHu += uv[p + i] * h[i];
            sc += Math.abs(uv[i] * h[p + i]);
        }
        assertEquals(uHv, vHu, 1e-12 * (1 + sc), "uᵀHv = vᵀHu");
    }

    /** Tiny preset (V = 256, C = 32): sampled coordinates, at least 6 in every parameter tensor. */
    @Test
    void tinyPresetGradientAndHvpOnSampledCoordinatesOfEveryTensor() {
        Gpt2 m = new Gpt2(GptConfig.tiny());
        Batch b = batch(DType.F64, 256, 2, 16, 11);
        int p = m.numParams();
        double[] w = weights(m, 12, 0.02);
        double[] v = FdUtil.gaussian(p, new Random(13));
        Tensor hv = BE.zeros(DType.F64, p), g = BE.zeros(DType.F64, p);
        m.lossGradHvp(BE, BE.fromDoubles(DType.F64, w), b, Loss.CE, 0.5, g, BE.fromDoubles(DType.F64, v), 1, hv, null, null);
        double[] gg = g.toDoubles();
        Random r = new Random(14);
        for (ParamSpec ps : m.params()) {
            for (int s = 0; s < 6; s++) {
                int i = (int) (ps.offset() + r.nextInt((int) ps.size()));
                // wte rows of tokens that appear are the interesting ones
                if (ps.name().equals("wte.weight") && s < 3) i = (int) (ps.offset() + (int) b.x().toDoubles()[s] * 32 + r.nextInt(32));
                double[] wp = w.clone(), wm = w.clone();
                wp[i] += H;
                wm[i] -= H;
                close((loss(m, b, wp) - loss(m, b, wm)) / (2 * H), gg[i], "tiny dL/d" + nameOf(m, i));
            }
        }
        double[] wp = w.clone(), wm = w.clone();
        for (int i = 0; i < p; i++) {
            wp[i] += H * v[i];
            wm[i] -= H * v[i];
        }
        double[] gp = grad(m, b, wp), gm = grad(m, b, wm), h = hv.toDoubles();
        for (int i = 0; i < p; i++) close((gp[i] - gm[i]) / (2 * H), h[i], "tiny (Hv)" + nameOf(m, i));
    }

    @Test
    void float32AgreesWithFloat64() {
        Gpt2 m = new Gpt2(MICRO);
        int p = m.numParams(), k = 2;
        double[] w = weights(m, 15, 0.1);
        double[] v = FdUtil.gaussian(k * p, new Random(16));
        Batch b = batch(DType.F64, 11, 2, 6, 17);
        double[][] res = new double[2][];
        double[] losses = new double[2];
        for (DType t : new DType[]{DType.F64, DType.F32}) {
            Tensor hv = BE.zeros(t, (long) k * p), g = BE.zeros(t, p);
            losses[t.ordinal()] = m.lossGradHvp(BE, BE.fromDoubles(t, w), b, Loss.CE, 0.5, g, BE.fromDoubles(t, v), k, hv, null, null);
            double[] a = g.toDoubles(), c = hv.toDoubles();
            double[] both = new double[a.length + c.length];
            System.arraycopy(a, 0, both, 0, a.length);
            System.arraycopy(c, 0, both, a.length, c.length);
            res[t.ordinal()] = both;
        }
        // float32 carries ~7 digits; through 2 blocks and softmaxes: 1e-4 abs + 1e-4 rel
        assertEquals(losses[0], losses[1], 1e-5 + 1e-5 * Math.abs(losses[0]));
        for (int i = 0; i < res[0].length; i++) {
            double e = res[0][i], a = res[1][i];
            assertTrue(Math.abs(e - a) <= 1e-4 + 1e-4 * Math.abs(e), "f32 vs f64 at " + i + ": " + a + " vs " + e);
        }
    }

    @Test
    void changingAFutureTokenLeavesEarlierLogitsUnchanged() {
        Gpt2 m = new Gpt2(MICRO);
        double[] w = weights(m, 18, 0.2);
        int t = 6;
        int[] a = {1, 4, 2, 9, 3, 7}, c = a.clone();
        c[4] = 0; // change position 4
        double[][] z = new double[2][];
        int q = 0;
        for (int[] x : new int[][]{a, c}) {
            Tensor out = BE.zeros(DType.F64, t * 11);
            m.forward(BE, BE.fromDoubles(DType.F64, w), BE.fromInts(x), 1, out);
            z[q++] = out.toDoubles();
        }
        for (int i = 0; i < 4 * 11; i++) assertEquals(z[0][i], z[1][i], 0, "logit " + i + " before the changed token");
        double changed = 0;
        for (int i = 4 * 11; i < 6 * 11; i++) changed = Math.max(changed, Math.abs(z[0][i] - z[1][i]));
        assertTrue(changed > 1e-6, "logits at and after the changed token do change");
    }

    @Test
    void parameterLayoutIsGpt2s() {
        Gpt2 m = new Gpt2(GptConfig.gpt2());
        assertEquals(124_439_808L, m.numParams(), "GPT-2 small has 124,439,808 parameters (tied head)");
        var ps = m.params();
        assertEquals("wte.weight", ps.get(0).name());
        assertEquals("wpe.weight", ps.get(1).name());
        assertEquals("h.0.ln_1.weight", ps.get(2).name());
        assertEquals("h.0.attn.c_attn.weight", ps.get(4).name());
        assertEquals(2304, ps.get(4).shape()[0]);
        assertEquals(768, ps.get(4).shape()[1]);
        assertEquals("ln_f.bias", ps.getLast().name());
        assertEquals(2 + 12 * 12 + 2, ps.size());
        long off = 0;
        for (ParamSpec p : ps) {
            assertEquals(off, p.offset(), p.name() + " is contiguous");
            off += p.size();
        }
        assertEquals(m.numParams(), off);
    }
}
