package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.nn.Batch;
import eoslab.nn.Loss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gpt2's two attention cores (issue #6) give the same loss, logits, gradient and Hessian-vector
 * products: FUSED (AttentionKernels, only row log-sum-exps kept) against MATERIALIZED ((B, H, T, T)
 * probabilities). The fused model's gradient and HVP are also checked here against central finite
 * differences of its own loss and gradient (Gpt2FiniteDifferenceTest does the full set on the default
 * path; run it with -Deoslab.gpt.attention=fused for the other).
 */
class Gpt2AttentionPathTest {
    static final Backend BE = CpuBackend.INSTANCE;

    record Result(double loss, double[] logits, double[] grad, double[] hv) {
    }

    static Result run(Gpt2 m, DType dt, double[] w, Batch batch, double[] v, int k) {
        int p = m.numParams(), n = batch.labels().intSize();
        Tensor g = BE.zeros(dt, p), hv = BE.zeros(dt, (long) k * p), logits = BE.zeros(dt, (long) n * m.outputSize());
        double loss = m.lossGradHvp(BE, BE.fromDoubles(dt, w), batch, Loss.CE, 1.0 / batch.n(), g, BE.fromDoubles(dt, v), k, hv, null, logits);
        return new Result(loss, logits.toDoubles(), g.toDoubles(), hv.toDoubles());
    }

    static void close(double[] ref, double[] got, double atol, double rtol, String what) {
        CpuAttentionTest.close(ref, got, atol, rtol, what);
    }

    /**
     * F64: only rounding differs, |fused − materialized| ≤ 1e-11 + 1e-8·|materialized|; F32 (both paths
     * round activations to float): ≤ 2e-4 + 1e-2·|ref| on the gradient and HVP, whose entries are
     * O(1e-2–1) (a wrong tangent term changes them by O(1)).
     */
    @Test
    void fusedAndMaterializedAgree() {
        for (GptConfig cfg : new GptConfig[] {Gpt2FiniteDifferenceTest.MICRO, new GptConfig(13, 20, 1, 3, 12)}) {
            Gpt2 fused = new Gpt2(cfg, Gpt2.AttentionPath.FUSED), mat = new Gpt2(cfg, Gpt2.AttentionPath.MATERIALIZED);
            assertEquals(Gpt2.AttentionPath.FUSED, fused.attentionPath());
            double[] w = Gpt2FiniteDifferenceTest.weights(fused, 5, 0.3);
            int k = 2, p = fused.numParams();
            double[] v = FdUtil.gaussian(k * p, new Random(9));
            for (int t : new int[] {1, cfg.maxT()}) {
                Batch batch = Gpt2FiniteDifferenceTest.batch(DType.F64, cfg.vocab(), 3, t, 17 + t);
                Result a = run(fused, DType.F64, w, batch, v, k), b = run(mat, DType.F64, w, batch, v, k);
                String s = cfg + " T=" + t;
                assertTrue(Math.abs(a.loss - b.loss) <= 1e-12 * Math.abs(b.loss), s + " loss " + a.loss + " vs " + b.loss);
                close(b.logits, a.logits, 1e-11, 1e-8, s + " logits");
                close(b.grad, a.grad, 1e-11, 1e-8, s + " grad");
                close(b.hv, a.hv, 1e-11, 1e-8, s + " hv");
                Result a32 = run(fused, DType.F32, w, batch, v, k), b32 = run(mat, DType.F32, w, batch, v, k);
                close(b.grad, a32.grad, 2e-4, 1e-2, s + " F32 fused grad vs F64");
                close(b.hv, a32.hv, 2e-4, 1e-2, s + " F32 fused hv vs F64");
                close(b32.hv, a32.hv, 2e-4, 1e-2, s + " F32 fused vs materialized hv");
            }
        }
    }

    /**
     * Fused path alone: g·u against (ℓ(w + hu) − ℓ(w − hu))/2h and Hv against (g(w + hv) − g(w − hv))/2h,
     * h = 1e-5, float64, |fd − exact| ≤ 1e-6 + 1e-5·|fd| (Gpt2FiniteDifferenceTest's tolerance).
     */
    @Test
    void fusedGradientAndHvpMatchFiniteDifferences() {
        Gpt2 m = new Gpt2(Gpt2FiniteDifferenceTest.MICRO, Gpt2.AttentionPath.FUSED);
        Batch batch = Gpt2FiniteDifferenceTest.batch(DType.F64, 11, 2, 6, 4);
        double[] w = Gpt2FiniteDifferenceTest.weights(m, 8, 0.2);
        int p = m.numParams();
        double[] u = FdUtil.gaussian(p, new Random(21));
        double h = Gpt2FiniteDifferenceTest.H;
        Result r = run(m, DType.F64, w, batch, u, 1);
        double gu = 0;
        for (int i = 0; i < p; i++) gu += r.grad[i] * u[i];
        double[] wp = w.clone(), wm = w.clone();
        for (int i = 0; i < p; i++) {
            wp[i] += h * u[i];
            wm[i] -= h * u[i];
        }
        Gpt2FiniteDifferenceTest.close((Gpt2FiniteDifferenceTest.loss(m, batch, wp) - Gpt2FiniteDifferenceTest.loss(m, batch, wm)) / (2 * h), gu, "g·u");
        double[] gp = Gpt2FiniteDifferenceTest.grad(m, batch, wp), gm = Gpt2FiniteDifferenceTest.grad(m, batch, wm);
        for (int i = 0; i < p; i++) {
            Gpt2FiniteDifferenceTest.close((gp[i] - gm[i]) / (2 * h), r.hv[i], "Hu[" + Gpt2FiniteDifferenceTest.nameOf(m, i) + "]");
        }
    }

    @Test
    void propertyChoosesThePath() {
        String old = System.getProperty(Gpt2.AttentionPath.PROPERTY);
        try {
            System.setProperty(Gpt2.AttentionPath.PROPERTY, "materialized");
            assertEquals(Gpt2.AttentionPath.MATERIALIZED, new Gpt2(Gpt2FiniteDifferenceTest.MICRO).attentionPath());
            System.setProperty(Gpt2.AttentionPath.PROPERTY, "fused");
            assertEquals(Gpt2.AttentionPath.FUSED, new Gpt2(Gpt2FiniteDifferenceTest.MICRO).attentionPath());
            System.setProperty(Gpt2.AttentionPath.PROPERTY, "sparse");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Gpt2(Gpt2FiniteDifferenceTest.MICRO));
            assertTrue(e.getMessage().contains("eoslab.gpt.attention"), e.getMessage());
        } finally {
            if (old == null) System.clearProperty(Gpt2.AttentionPath.PROPERTY);
            else System.setProperty(Gpt2.AttentionPath.PROPERTY, old);
        }
    }
}
