package eoslab.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.gpt.Gpt2;
import eoslab.gpt.GptConfig;
import eoslab.gpt.GptObjective;
import eoslab.gpt.TextBatches;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * AdamW's state update and tangent map now run as Backend ops (issue #6: no host copies in the
 * step). On the CPU they must give the same bits as the host loop AdamW used before, which is kept
 * here verbatim as {@link #reference} (tolerance: exactly 0 — the arithmetic is the same float64
 * expressions in the same order, rounded once to the dtype on store).
 */
class AdamWBackendStepTest {
    static final Backend BE = CpuBackend.INSTANCE;

    /**
     * The host AdamW step of eoslab before issue #6, on host copies: {@code s} (3d) = (w, m, v),
     * {@code x} (k, 3d) the tangents, {@code g} (d) the gradient, {@code h} (k, d) the HVPs H δw_j;
     * t 0-based. With {@code f32} every stored value is rounded to float, as fromDoubles(F32) did.
     */
    static void reference(double[] s, double[] x, int k, double[] g, double[] h, long t, double lr, double beta1,
                          double beta2, double eps, double weightDecay, boolean freeze, boolean f32) {
        int n = g.length;
        double s1 = t + 1;
        double c1 = 1 - Math.pow(beta1, s1), c2 = 1 - Math.pow(beta2, s1);
        double[] mNew = new double[n], vNew = new double[n];
        for (int i = 0; i < n; i++) {
            mNew[i] = beta1 * s[n + i] + (1 - beta1) * g[i];
            vNew[i] = beta2 * s[2 * n + i] + (1 - beta2) * g[i] * g[i];
        }
        for (int j = 0; j < k; j++) {
            int o = 3 * n * j;
            for (int i = 0; i < n; i++) {
                double hdw = h[j * n + i];
                double dm = beta1 * x[o + n + i] + (1 - beta1) * hdw;
                double dv = beta2 * x[o + 2 * n + i] + 2 * (1 - beta2) * g[i] * hdw;
                double vh = vNew[i] / c2, sq = Math.sqrt(vh), p = sq + eps;
                double dw = (1 - lr * weightDecay) * x[o + i] - lr * dm / (c1 * p);
                if (!freeze && sq > 0) dw += lr * (mNew[i] / c1) * dv / (2 * c2 * sq * p * p);
                x[o + i] = round(dw, f32);
                x[o + n + i] = round(dm, f32);
                x[o + 2 * n + i] = round(dv, f32);
            }
        }
        for (int i = 0; i < n; i++) {
            double p = Math.sqrt(vNew[i] / c2) + eps;
            s[i] = round((1 - lr * weightDecay) * s[i] - lr * (mNew[i] / c1) / p, f32);
            s[n + i] = round(mNew[i], f32);
            s[2 * n + i] = round(vNew[i], f32);
        }
    }

    static double round(double v, boolean f32) {
        return f32 ? (double) (float) v : v;
    }

    static GptObjective micro(DType dtype) {
        Random r = new Random(1);
        int[] stream = new int[200];
        for (int i = 0; i < stream.length; i++) stream[i] = r.nextInt(11);
        return new GptObjective(BE, dtype, new Gpt2(new GptConfig(11, 6, 2, 2, 8)), new TextBatches(stream, 2, 6, 3));
    }

    static void assertSameBits(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (Double.doubleToRawLongBits(want[i]) != Double.doubleToRawLongBits(got[i])) {
                assertEquals(want[i], got[i], 0, what + "[" + i + "] differs from the host reference");
            }
        }
    }

    /**
     * Six AdamW steps with k = 2 tangents on a micro GPT-2, against the same six steps of the host
     * reference fed the same gradients and HVPs: state and tangents identical bit for bit after
     * every step, in F32 and F64, with and without the frozen preconditioner.
     */
    @Test
    void aShortRunGivesTheHostReferenceBitsOnTheCpu() {
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (boolean freeze : new boolean[] {false, true}) {
                GptObjective f = micro(dtype);
                int d = (int) f.dim(), k = 2;
                double lr = 3e-3, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, wd = 0.1;
                AdamW opt = new AdamW(f, lr, beta1, beta2, eps, wd, freeze, null);
                Tensor state = opt.initialState(f.model().init(4, 1.0));
                Random r = new Random(3);
                double[] x0 = new double[3 * d * k];
                for (int i = 0; i < x0.length; i++) x0[i] = round(r.nextGaussian(), dtype == DType.F32);
                Tensor tangents = BE.fromDoubles(dtype, x0);
                double[] s = state.toDoubles(), x = x0.clone();
                Tensor grad = BE.zeros(dtype, d), hv = BE.zeros(dtype, (long) k * d), dirs = BE.zeros(dtype, (long) k * d);
                for (long t = 0; t < 6; t++) {
                    // the reference's own pass, from its own host state
                    Tensor w = BE.fromDoubles(dtype, java.util.Arrays.copyOf(s, d));
                    for (int j = 0; j < k; j++) BE.copy(BE.fromDoubles(dtype, java.util.Arrays.copyOfRange(x, 3 * d * j, 3 * d * j + d)), dirs.view((long) d * j, d));
                    f.evaluate(t, w, grad, dirs, k, hv);
                    reference(s, x, k, grad.toDoubles(), hv.toDoubles(), t, lr, beta1, beta2, eps, wd, freeze, dtype == DType.F32);

                    opt.step(t, state, tangents, k);
                    String what = dtype + (freeze ? " frozen" : " exact") + " step " + t;
                    assertSameBits(s, state.toDoubles(), what + " state");
                    assertSameBits(x, tangents.toDoubles(), what + " tangents");
                }
            }
        }
    }

    /**
     * The two CpuBackend ops alone against the reference on random data: d odd and spanning several
     * parallel blocks, a tenth of the entries with g = 0 and v = 0 (so v̂ = 0 and the δv → δw term
     * must be dropped, not divided by zero), k = 0, 1, 3, F32 and F64, freeze on and off. Exact bits.
     */
    @Test
    void cpuOpsGiveTheReferenceBits() {
        int d = 2 * (1 << 14) + 37;
        long t = 4;
        double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, wd = 0.01;
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            boolean f32 = dtype == DType.F32;
            for (int k : new int[] {0, 1, 3}) {
                for (boolean freeze : new boolean[] {false, true}) {
                    Random r = new Random(11 + k);
                    double[] s = new double[3 * d], g = new double[d], h = new double[k * d], x = new double[3 * d * k];
                    for (int i = 0; i < d; i++) {
                        boolean flat = i % 10 == 3;
                        s[i] = round(r.nextGaussian(), f32);
                        s[d + i] = round(0.01 * r.nextGaussian(), f32);
                        s[2 * d + i] = flat ? 0 : round(1e-4 * r.nextDouble(), f32);
                        g[i] = flat ? 0 : round(0.01 * r.nextGaussian(), f32);
                    }
                    for (int i = 0; i < h.length; i++) h[i] = round(r.nextGaussian(), f32);
                    for (int i = 0; i < x.length; i++) x[i] = round(r.nextGaussian() * (i % (3 * d) < d ? 1 : 1e-3), f32);
                    Tensor st = BE.fromDoubles(dtype, s), tg = BE.fromDoubles(dtype, x);
                    var c = eoslab.backend.AdamWCoefficients.atStep(t, lr, beta1, beta2, eps, wd);
                    BE.adamwTangents(tg, k, BE.fromDoubles(dtype, g), BE.fromDoubles(dtype, h), st.view(d, d), st.view(2L * d, d), c, freeze);
                    BE.adamwUpdate(st.view(0, d), st.view(d, d), st.view(2L * d, d), BE.fromDoubles(dtype, g), c);
                    reference(s, x, k, g, h, t, lr, beta1, beta2, eps, wd, freeze, f32);
                    String what = dtype + " k=" + k + (freeze ? " frozen" : " exact");
                    assertSameBits(s, st.toDoubles(), what + " state");
                    assertSameBits(x, tg.toDoubles(), what + " tangents");
                }
            }
        }
    }

    @Test
    void shapesAreChecked() {
        Tensor a = BE.zeros(DType.F64, 5), b = BE.zeros(DType.F64, 4), f = BE.zeros(DType.F32, 5);
        var c = eoslab.backend.AdamWCoefficients.atStep(0, 1e-3, 0.9, 0.999, 1e-8, 0);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> BE.adamwUpdate(a, a, b, a, c));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> BE.adamwUpdate(a, a, a, f, c));
        // two tangents need 2·3·5 elements and 2·5 HVP entries
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> BE.adamwTangents(BE.zeros(DType.F64, 29), 2, a, BE.zeros(DType.F64, 10), a, a, c, false));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> BE.adamwTangents(BE.zeros(DType.F64, 30), 2, a, BE.zeros(DType.F64, 9), a, a, c, false));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> eoslab.backend.AdamWCoefficients.atStep(0, 1e-3, 1.0, 0.999, 1e-8, 0));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("beta1"), e.getMessage());
    }

    /**
     * Issue #6: a step moves no data between host and device. AdamW sees a Backend that delegates
     * to the CPU and records every call; outside the loss's own pass it may not call toDoubles or
     * fromDoubles/fromFloats/fromInts, and it must use the two fused ops.
     */
    @Test
    void aStepMakesNoHostCopies() {
        GptObjective f = micro(DType.F32);
        java.util.List<String> calls = new java.util.ArrayList<>();
        boolean[] inLoss = {false};
        Backend spy = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (!inLoss[0]) calls.add(method.getName());
                    try {
                        return method.invoke(BE, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        StepLoss loss = new StepLoss() {
            @Override public long dim() { return f.dim(); }

            @Override public Backend backend() { return spy; }

            @Override public DType dtype() { return f.dtype(); }

            @Override
            public double evaluate(long t, Tensor w, Tensor grad, Tensor v, int k, Tensor hv) {
                inLoss[0] = true;
                try {
                    return f.evaluate(t, w, grad, v, k, hv);
                } finally {
                    inLoss[0] = false;
                }
            }
        };
        AdamW opt = new AdamW(loss, 1e-3, 0.9, 0.999, 1e-8, 0.1, false, null);
        int d = (int) f.dim(), k = 3;
        Tensor state = opt.initialState(f.model().init(4, 1.0)), tangents = BE.fromDoubles(DType.F32, new double[3 * d * k]);
        opt.step(0, state, tangents, k);   // first step allocates its buffers
        calls.clear();
        opt.step(1, state, tangents, k);
        for (String host : new String[] {"toDoubles", "fromDoubles", "fromFloats", "fromInts"}) {
            org.junit.jupiter.api.Assertions.assertFalse(calls.contains(host), "AdamW.step called " + host + ": " + calls);
        }
        org.junit.jupiter.api.Assertions.assertTrue(calls.contains("adamwUpdate") && calls.contains("adamwTangents"), calls.toString());
    }
}
