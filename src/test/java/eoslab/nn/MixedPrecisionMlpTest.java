package eoslab.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.backend.GemmPrecision;
import eoslab.data.Dataset;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Loss, gradient and HVPs of an MLP with bf16 / TF32 GEMMs against the same computation with exact
 * float32 GEMMs (issue #6). Float32 storage everywhere; only the GEMM operands are rounded.
 *
 * <p>Expected size: every GEMM output gets a relative perturbation of at most 2u·S/|C| (u = 2⁻⁸
 * bf16, 2⁻¹¹ TF32; S = |A||B|, {@link GemmPrecision}); for these Gaussian-like operands each GEMM's
 * normwise error is about 0.6u (CpuGemmPrecisionTest). The gradient passes through about 2L = 6
 * GEMMs of this 3-layer tanh MLP (L forward, L − 1 backward, the weight-gradient products) and the
 * HVP through about twice as many (the R-op forward and backward); to first order their errors
 * add, through maps that are contractions or close to them here (tanh, softmax, weights of
 * variance 1/fan-in). Summed in the worst case: 6 × 0.6u ≈ 4u for the gradient, 8u for the HVPs;
 * the loss averages 96 rows of a smooth function, so its error stays below u. Measured: 1.0u for
 * gradient and HVPs, 0.01u for the loss (bf16 and TF32 alike). The gradient and HVP must also
 * differ by at least u/16, so the test fails if the mode silently did nothing. The float32-GEMM
 * side is itself within ~1e-6 of float64 (FiniteDifferenceTest).
 */
class MixedPrecisionMlpTest {
    static final Backend BE = CpuBackend.INSTANCE;

    record Result(double loss, double[] grad, double[] hv) {
    }

    static Result evaluate(GemmPrecision p, Objective f, double[] w, double[] v, int k) {
        GemmPrecision old = BE.setGemmPrecision(p);
        try {
            int n = w.length;
            Tensor g = BE.zeros(DType.F32, n), hv = BE.zeros(DType.F32, (long) k * n);
            Tensor wt = BE.fromDoubles(DType.F32, w);
            double loss = f.evaluate(wt, null, g, BE.fromDoubles(DType.F32, v), k, hv, null);
            // the master weights are float32 and untouched by the pass
            assertTrue(wt.dtype == DType.F32 && java.util.Arrays.equals(wt.toDoubles(), BE.fromDoubles(DType.F32, w).toDoubles()));
            return new Result(loss, g.toDoubles(), hv.toDoubles());
        } finally {
            BE.setGemmPrecision(old);
        }
    }

    static double relErr(double[] x, double[] ref) {
        double d = 0, r = 0;
        for (int i = 0; i < x.length; i++) {
            d += (x[i] - ref[i]) * (x[i] - ref[i]);
            r += ref[i] * ref[i];
        }
        return Math.sqrt(d / r);
    }

    @Test
    void gradientAndHvpStayWithinTheRoundingErrorOfFloat32() {
        Sequential model = Mlp.of(new int[] {24, 64, 48, 5}, Act.TANH, true);
        Dataset data = FiniteDifferenceTest.data(96, 24, 5, 21);
        Objective f = new Objective(BE, DType.F32, model, Loss.CE, data, 48);
        double[] w = model.init(3, 1.0);
        int k = 2;
        double[] v = FiniteDifferenceTest.gaussian(k * w.length, new Random(4));
        Result ref = evaluate(GemmPrecision.F32, f, w, v, k);
        for (GemmPrecision p : new GemmPrecision[] {GemmPrecision.BF16, GemmPrecision.TF32}) {
            double u = p.unitRoundoff();
            Result r = evaluate(p, f, w, v, k);
            double eLoss = Math.abs(r.loss - ref.loss) / Math.abs(ref.loss), eGrad = relErr(r.grad, ref.grad), eHv = relErr(r.hv, ref.hv);
            String msg = String.format(java.util.Locale.ROOT, "%s: loss %.3g, gradient %.3g, HVP %.3g (u = %.3g)", p, eLoss, eGrad, eHv, u);
            System.out.println(msg);
            assertTrue(eLoss <= u, msg);
            assertTrue(eGrad <= 4 * u && eGrad >= u / 16, msg);
            assertTrue(eHv <= 8 * u && eHv >= u / 16, msg);
        }
    }
}
