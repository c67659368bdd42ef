package eoslab.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The parity harness itself, on machines without a GPU: CPU against CPU agrees exactly on every
 * case, and a backend with one deliberately wrong op is caught by the case for that op (so the
 * GPU parity test can fail).
 */
class CudaParityHarnessTest {
    @Test
    void cpuAgainstItselfIsExact() {
        List<CudaParity.Result> rs = CudaParity.runAll(CpuBackend.INSTANCE, CpuBackend.INSTANCE, 42);
        assertEquals(2 * CudaParity.names().size(), rs.size());
        for (CudaParity.Result r : rs) {
            assertTrue(r.ok(), r.toString());
            assertEquals(0.0, r.maxAbsError(), r.toString());
        }
        // every Backend operation appears in some case
        for (String op : List.of("roundtrip", "copy", "fill", "gatherRows", "gemmNN", "gemmNT", "gemmTN", "gemmTT", "gemmBatched",
                "gemmStride0A", "gemmStride0B", "gemmStride0C", "axpby", "dot", "dotRows", "mul", "addBias", "sumRows", "activationRELU",
                "activationTANH", "activationGELU", "activationIDENTITY", "softmaxCE10", "softmaxCE1000", "mse", "im2col", "col2im",
                "addChannelBias", "sumChannels", "maxPool2d", "gatherIndexed", "scatterIndexed", "gptEmbedding", "gptLayerNorm",
                "gptLayerNormR", "gptSoftmaxCausal", "adamw", "gram", "qrApply", "lanczos", "linearBias", "linearGelu", "attention", "gemmBf16", "gemmTf32")) {
            assertTrue(CudaParity.names().contains(op), op);
        }
    }

    @Test
    void compareUsesAtolPlusRtolTimesRef() {
        var tol = new CudaParity.Tolerance(1e-6, 1e-3);
        // |err| = 1e-3 against ref 1: allowed 1e-6 + 1e-3 → ok; 2e-3 → fails
        assertTrue(CudaParity.compare("x", DType.F64, tol, Map.of("a", new double[] {1}), Map.of("a", new double[] {1.001})).ok());
        assertFalse(CudaParity.compare("x", DType.F64, tol, Map.of("a", new double[] {1}), Map.of("a", new double[] {1.002})).ok());
        // NaN only matches NaN
        assertTrue(CudaParity.compare("x", DType.F64, tol, Map.of("a", new double[] {Double.NaN}), Map.of("a", new double[] {Double.NaN})).ok());
        assertFalse(CudaParity.compare("x", DType.F64, tol, Map.of("a", new double[] {Double.NaN}), Map.of("a", new double[] {0})).ok());
        assertFalse(CudaParity.compare("x", DType.F64, tol, Map.of("a", new double[] {0}), Map.of("a", new double[] {Double.NaN})).ok());
        // a missing or short output fails
        assertFalse(CudaParity.compare("x", DType.F64, tol, Map.of("a", new double[] {0, 1}), Map.of("a", new double[] {0})).ok());
    }

    /** Wrong ops one at a time; the matching case (and only a gemm/dot/activation case) must fail. */
    @Test
    void aWrongOpIsCaught() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            assertFalse(CudaParity.run("dot", dt, new Faulty(Faulty.Bug.DOT), CpuBackend.INSTANCE, 1).ok(), "dot " + dt);
            assertFalse(CudaParity.run("gemmTN", dt, new Faulty(Faulty.Bug.GEMM_IGNORES_TRANS_A), CpuBackend.INSTANCE, 1).ok());
            assertTrue(CudaParity.run("gemmNN", dt, new Faulty(Faulty.Bug.GEMM_IGNORES_TRANS_A), CpuBackend.INSTANCE, 1).ok());
            assertFalse(CudaParity.run("activationGELU", dt, new Faulty(Faulty.Bug.GELU_D2), CpuBackend.INSTANCE, 1).ok());
            assertFalse(CudaParity.run("softmaxCE10", dt, new Faulty(Faulty.Bug.CE_LOSS), CpuBackend.INSTANCE, 1).ok());
            assertFalse(CudaParity.run("gemmStride0C", dt, new Faulty(Faulty.Bug.GEMM_LAST_BATCH_ONLY), CpuBackend.INSTANCE, 1).ok());
            // a scatter whose repeated indices overwrite instead of adding (the race an atomic-free
            // kernel could have), and a col2im that keeps only the last overlapping patch
            assertFalse(CudaParity.run("scatterIndexed", dt, new Faulty(Faulty.Bug.SCATTER_OVERWRITES), CpuBackend.INSTANCE, 1).ok());
            assertTrue(CudaParity.run("gatherIndexed", dt, new Faulty(Faulty.Bug.SCATTER_OVERWRITES), CpuBackend.INSTANCE, 1).ok());
            assertFalse(CudaParity.run("col2im", dt, new Faulty(Faulty.Bug.COL2IM_OVERWRITES), CpuBackend.INSTANCE, 1).ok());
        }
    }

    /**
     * Faulty does not override applyUpperAndGram, so it runs Backend's default (a GEMM through a
     * scratch copy of V, then gram by dots): in float64 that agrees with the CPU's fused pass within
     * the REDUCTION tolerance, and a wrong dot (hence a wrong Gram) is caught by the qrApply case.
     */
    @Test
    void theDefaultQrPassAgreesWithTheFusedOneAndAWrongGramIsCaught() {
        assertTrue(CudaParity.run("qrApply", DType.F64, new Faulty(Faulty.Bug.SCATTER_OVERWRITES), CpuBackend.INSTANCE, 1).ok());
        assertFalse(CudaParity.run("qrApply", DType.F64, new Faulty(Faulty.Bug.DOT), CpuBackend.INSTANCE, 1).ok());
    }

    /** CpuBackend with one planted bug. */
    static final class Faulty implements Backend {
        enum Bug { DOT, GEMM_IGNORES_TRANS_A, GELU_D2, CE_LOSS, GEMM_LAST_BATCH_ONLY, SCATTER_OVERWRITES, COL2IM_OVERWRITES }

        final Bug bug;
        final CpuBackend cpu = CpuBackend.INSTANCE;

        Faulty(Bug bug) {
            this.bug = bug;
        }

        public String name() { return "faulty-" + bug; }
        public Tensor zeros(DType d, long n) { return cpu.zeros(d, n); }
        public Tensor fromDoubles(DType d, double[] h) { return cpu.fromDoubles(d, h); }
        public Tensor fromFloats(float[] h) { return cpu.fromFloats(h); }
        public Tensor fromInts(int[] h) { return cpu.fromInts(h); }
        public double[] toDoubles(Tensor t) { return cpu.toDoubles(t); }
        public void copy(Tensor s, Tensor d) { cpu.copy(s, d); }
        public void fill(Tensor t, double v) { cpu.fill(t, v); }
        public void gatherRows(Tensor s, Tensor i, int c, Tensor d) { cpu.gatherRows(s, i, c, d); }

        public void gemm(boolean ta, boolean tb, int m, int n, int k, double al, Tensor a, int lda, long sa, Tensor b, int ldb, long sb,
                         double be, Tensor c, int ldc, long sc, int batch) {
            if (bug == Bug.GEMM_IGNORES_TRANS_A) ta = false;
            if (bug == Bug.GEMM_LAST_BATCH_ONLY && sc == 0 && batch > 1) {
                cpu.gemm(ta, tb, m, n, k, al, a.view((batch - 1) * sa, a.size - (batch - 1) * sa), lda, 0,
                        b.view((batch - 1) * sb, b.size - (batch - 1) * sb), ldb, 0, be, c, ldc, 0, 1);
                return;
            }
            cpu.gemm(ta, tb, m, n, k, al, a, lda, sa, b, ldb, sb, be, c, ldc, sc, batch);
        }

        public void axpby(double a, Tensor x, double b, Tensor y) { cpu.axpby(a, x, b, y); }
        public double dot(Tensor x, Tensor y) { double d = cpu.dot(x, y); return bug == Bug.DOT ? d * (1 + 1e-5) : d; }
        public void mul(Tensor x, Tensor y, Tensor o) { cpu.mul(x, y, o); }
        public void addBias(Tensor b, long s, Tensor y, int r, int c, int n) { cpu.addBias(b, s, y, r, c, n); }
        public void sumRows(Tensor x, int r, int c, int n, double be, Tensor o, long s) { cpu.sumRows(x, r, c, n, be, o, s); }
        public void activation(Act a, Tensor x, Tensor y) { cpu.activation(a, x, y); }
        public void activationBackward(Act a, Tensor x, Tensor g, Tensor o, int k) { cpu.activationBackward(a, x, g, o, k); }

        public void activationRBackward(Act a, Tensor x, Tensor dy, Tensor rx, Tensor rdy, Tensor o, int k) {
            // GELU_D2: forget the sigma'' term (a plausible R-op bug)
            if (bug == Bug.GELU_D2 && a == Act.GELU) cpu.activationBackward(a, x, rdy, o, k);
            else cpu.activationRBackward(a, x, dy, rx, rdy, o, k);
        }

        public double softmaxCrossEntropy(Tensor z, Tensor y, int r, int c, double s, Tensor p, Tensor d, Tensor rl) {
            double l = cpu.softmaxCrossEntropy(z, y, r, c, s, p, d, rl);
            return bug == Bug.CE_LOSS ? l / s * (1.0 / r) * 1.0001 : l;
        }

        public void softmaxCrossEntropyR(Tensor p, Tensor rz, int r, int c, int k, double s, Tensor o) { cpu.softmaxCrossEntropyR(p, rz, r, c, k, s, o); }
        public double mse(Tensor o, Tensor t, int r, int c, double s, Tensor d, Tensor rl) { return cpu.mse(o, t, r, c, s, d, rl); }
        public void im2col(Tensor x, int n, int ch, int h, int w, int kh, int kw, int st, int p, Tensor c) { cpu.im2col(x, n, ch, h, w, kh, kw, st, p, c); }
        public void col2im(Tensor c, int n, int ch, int h, int w, int kh, int kw, int st, int p, Tensor x) {
            if (bug != Bug.COL2IM_OVERWRITES) { cpu.col2im(c, n, ch, h, w, kh, kw, st, p, x); return; }
            int ho = (h + 2 * p - kh) / st + 1, wo = (w + 2 * p - kw) / st + 1, pp = ho * wo, ck = ch * kh * kw;
            double[] cs = c.toDoubles(), xs = new double[n * ch * h * w];
            for (int b = 0; b < n; b++) for (int q = 0; q < ck; q++) for (int o = 0; o < pp; o++) {
                int cc = q / (kh * kw), i = q / kw % kh, j = q % kw, ih = o / wo * st - p + i, iw = o % wo * st - p + j;
                if (ih >= 0 && ih < h && iw >= 0 && iw < w) xs[((b * ch + cc) * h + ih) * w + iw] = cs[(b * ck + q) * pp + o];
            }
            cpu.copy(cpu.fromDoubles(x.dtype, xs), x);
        }
        public void addChannelBias(Tensor b, long bs, Tensor y, int n, int c, int s, int bt) { cpu.addChannelBias(b, bs, y, n, c, s, bt); }
        public void sumChannels(Tensor x, int n, int c, int s, int bt, double be, Tensor o, long os) { cpu.sumChannels(x, n, c, s, bt, be, o, os); }
        public void maxPool2d(Tensor x, int n, int c, int h, int w, int sz, Tensor y, Tensor am) { cpu.maxPool2d(x, n, c, h, w, sz, y, am); }
        public void gatherIndexed(Tensor s, int sc, Tensor i, int r, int ic, Tensor d, int b) { cpu.gatherIndexed(s, sc, i, r, ic, d, b); }
        public void scatterIndexed(Tensor s, Tensor i, int r, int ic, Tensor d, int dc, int b) {
            if (bug != Bug.SCATTER_OVERWRITES) { cpu.scatterIndexed(s, i, r, ic, d, dc, b); return; }
            double[] ss = s.toDoubles(), ix = i.toDoubles(), ds = new double[b * r * dc];
            for (int bb = 0; bb < b; bb++) for (int rr = 0; rr < r; rr++) for (int c = 0; c < ic; c++) {
                ds[(bb * r + rr) * dc + (int) ix[rr * ic + c]] = ss[(bb * r + rr) * ic + c];
            }
            cpu.copy(cpu.fromDoubles(d.dtype, ds), d.view(0, ds.length));
        }
    }
}
