package eoslab.backend.cuda;

import eoslab.backend.AdamWCoefficients;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.optim.AdamW;
import eoslab.optim.StepLoss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A device backend's {@link Backend#adamwUpdate} and {@link Backend#adamwTangents}
 * (kernels/optim.cu) against CpuBackend's: F32 and F64, odd d, k = 0, 1, 3, freeze on and off,
 * operands as views at odd offsets (the state (w, m, v) and the tangents inside larger buffers),
 * a tenth of the entries with g = v = 0 (v̂ = 0: the δv → δw term must be dropped); and whole
 * {@link AdamW} steps on the device with a diagonal quadratic loss whose gradient and HVPs are
 * elementwise (so bit-comparable). Shared by the emulator run ({@link AdamWEmulatorMain}) and the
 * GPU run ({@link CudaAdamWParityTest}).
 *
 * <p>Tolerance: exactly 0 (same bits). Both sides evaluate the same float64 expressions in the same
 * order, and every operation involved (+, −, ×, ÷, √ in float64, float↔double conversions) is IEEE
 * round-to-nearest on the host and on the GPU; the kernels are built with --fmad=false and the
 * emulator with -ffp-contract=off, so nothing is fused.
 */
final class AdamWChecks {
    private AdamWChecks() {
    }

    static final Backend CPU = CpuBackend.INSTANCE;

    static List<String> run(Backend dev, PrintStream out) {
        List<String> fails = new ArrayList<>();
        long t = 2;
        AdamWCoefficients c = AdamWCoefficients.atStep(t, 1e-3, 0.9, 0.95, 1e-8, 0.1);
        int cases = 0;
        for (DType dtype : new DType[] {DType.F32, DType.F64}) {
            for (int d : new int[] {1, 4099}) {
                for (int k : new int[] {0, 1, 3}) {
                    for (boolean freeze : new boolean[] {false, true}) {
                        String what = "adamw " + dtype + " d=" + d + " k=" + k + (freeze ? " frozen" : " exact");
                        opsCase(dev, dtype, d, k, freeze, c, what, fails);
                        cases++;
                    }
                }
            }
            for (boolean freeze : new boolean[] {false, true}) {
                stepCase(dev, dtype, 1001, 2, freeze, "AdamW.step " + dtype + (freeze ? " frozen" : " exact"), fails);
                cases++;
            }
        }
        out.println("adamw: " + cases + " cases, " + fails.size() + " failed");
        return fails;
    }

    /** The two ops on random data, device vs CPU. */
    static void opsCase(Backend dev, DType dtype, int d, int k, boolean freeze, AdamWCoefficients c, String what, List<String> fails) {
        SplittableRandom r = new SplittableRandom(31L * d + 7L * k + (freeze ? 1 : 0));
        int so = 5, xo = 3, ho = 1;                      // odd offsets into larger buffers
        double[] s = new double[so + 3 * d + 2], g = new double[d], h = new double[ho + k * d], x = new double[xo + 3 * d * k + 4];
        for (int i = 0; i < d; i++) {
            boolean flat = i % 10 == 7;
            s[so + i] = r.nextDouble(-1, 1);
            s[so + d + i] = 0.01 * r.nextDouble(-1, 1);
            s[so + 2 * d + i] = flat ? 0 : 1e-4 * r.nextDouble();
            g[i] = flat ? 0 : 0.01 * r.nextDouble(-1, 1);
        }
        for (int i = 0; i < h.length; i++) h[i] = r.nextDouble(-1, 1);
        for (int i = 0; i < x.length; i++) x[i] = r.nextDouble(-1, 1) * ((i - xo) % (3 * d + 1) < d ? 1 : 1e-3);
        double[][] res = new double[2][];
        double[][] tan = new double[2][];
        Backend[] bes = {CPU, dev};
        for (int q = 0; q < 2; q++) {
            Backend be = bes[q];
            Tensor st = be.fromDoubles(dtype, s), gt = be.fromDoubles(dtype, g), ht = be.fromDoubles(dtype, h), xt = be.fromDoubles(dtype, x);
            Tensor w = st.view(so, d), m = st.view(so + d, d), v = st.view(so + 2L * d, d);
            be.adamwTangents(xt.view(xo, 3L * d * k), k, gt, ht.view(ho, (long) k * d), m, v, c, freeze);
            be.adamwUpdate(w, m, v, gt, c);
            res[q] = be.toDoubles(st);
            tan[q] = be.toDoubles(xt);
        }
        compare(res[0], res[1], what + " state", fails);
        compare(tan[0], tan[1], what + " tangents", fails);
    }

    /**
     * L(w) = ½ Σ a_i (w_i − b_i)², ∇L = a ⊙ (w − b), H δw = a ⊙ δw: elementwise backend ops only,
     * so the whole AdamW step (gradient, HVPs, update, tangent map) can be compared bit for bit.
     */
    static StepLoss quadratic(Backend be, DType dtype, int d) {
        SplittableRandom r = new SplittableRandom(99);
        double[] a = new double[d], b = new double[d];
        for (int i = 0; i < d; i++) {
            a[i] = i % 13 == 0 ? 0 : r.nextDouble(0.1, 10);   // a = 0: g = 0, H = 0 on those coordinates
            b[i] = r.nextDouble(-1, 1);
        }
        Tensor at = be.fromDoubles(dtype, a), bt = be.fromDoubles(dtype, b), e = be.zeros(dtype, d);
        return new StepLoss() {
            @Override public long dim() { return d; }

            @Override public Backend backend() { return be; }

            @Override public DType dtype() { return dtype; }

            @Override
            public double evaluate(long t, Tensor w, Tensor grad, Tensor v, int k, Tensor hv) {
                be.copy(w, e);
                be.axpby(-1, bt, 1, e);                                   // e = w − b
                if (grad != null) be.mul(at, e, grad);
                for (int j = 0; j < k; j++) be.mul(at, v.view((long) j * d, d), hv.view((long) j * d, d));
                Tensor ae = be.zeros(dtype, d);
                be.mul(at, e, ae);
                return 0.5 * be.dot(e, ae);
            }
        };
    }

    /** Three AdamW steps with k tangents on both backends from the same start. */
    static void stepCase(Backend dev, DType dtype, int d, int k, boolean freeze, String what, List<String> fails) {
        SplittableRandom r = new SplittableRandom(5);
        double[] w0 = new double[d], x0 = new double[3 * d * k];
        for (int i = 0; i < d; i++) w0[i] = r.nextDouble(-1, 1);
        for (int i = 0; i < x0.length; i++) x0[i] = r.nextDouble(-1, 1);
        double[][] res = new double[2][], tan = new double[2][];
        Backend[] bes = {CPU, dev};
        for (int q = 0; q < 2; q++) {
            Backend be = bes[q];
            AdamW opt = new AdamW(quadratic(be, dtype, d), 0.05, 0.9, 0.99, 1e-8, 0.01, freeze, null);
            Tensor st = opt.initialState(w0), xt = be.fromDoubles(dtype, x0);
            for (long t = 0; t < 3; t++) opt.step(t, st, xt, k);
            res[q] = be.toDoubles(st);
            tan[q] = be.toDoubles(xt);
        }
        compare(res[0], res[1], what + " state", fails);
        compare(tan[0], tan[1], what + " tangents", fails);
    }

    static void compare(double[] cpu, double[] dev, String what, List<String> fails) {
        int bad = 0, first = -1;
        for (int i = 0; i < cpu.length; i++) {
            if (Double.doubleToRawLongBits(cpu[i]) != Double.doubleToRawLongBits(dev[i])) {
                if (first < 0) first = i;
                bad++;
            }
        }
        if (bad > 0) fails.add(what + ": " + bad + " of " + cpu.length + " differ, first [" + first + "] cpu " + cpu[first] + " dev " + dev[first]);
    }
}
