package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.nn.Loss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GPT-2's Gauss-Newton products against their definition, independently of the R-passes:
 * uᵀ G v = (1/(B·T)) Σ_tokens (J u)ᵀ (diag p − ppᵀ) (J v), with J u and J v the logits' directional
 * derivatives by central differences (h = 1e-5, float64: error O(h²) ≈ 1e-10) and p the softmax of
 * the logits. Bilinear forms for three pairs pin G down on their span; tolerance 1e-8 + 1e-6·|ref|.
 * Both attention paths (fused and materialized), micro-batched (accum 2) and not.
 */
class Gpt2GgnTest {
    static final Backend BE = CpuBackend.INSTANCE;
    static final double H = 1e-5;

    static double[] logits(Gpt2 m, TextBatches tb, long t, double[] w) {
        int n = tb.batchSize() * tb.seqLen(), V = m.config().vocab();
        Tensor out = BE.zeros(DType.F64, (long) n * V);
        m.lossGradHvp(BE, BE.fromDoubles(DType.F64, w), tb.batch(BE, t), Loss.CE, 1, null, null, 0, null, null, out);
        return out.toDoubles();
    }

    static double[] jvp(Gpt2 m, TextBatches tb, long t, double[] w, double[] u) {
        double[] wp = w.clone(), wm = w.clone();
        for (int i = 0; i < w.length; i++) {
            wp[i] += H * u[i];
            wm[i] -= H * u[i];
        }
        double[] fp = logits(m, tb, t, wp), fm = logits(m, tb, t, wm);
        for (int i = 0; i < fp.length; i++) fp[i] = (fp[i] - fm[i]) / (2 * H);
        return fp;
    }

    @ParameterizedTest
    @EnumSource(Gpt2.AttentionPath.class)
    void bilinearFormsMatchTheJacobianDefinition(Gpt2.AttentionPath path) {
        GptConfig cfg = AdamWJvpTest.MICRO;
        Gpt2 m = new Gpt2(cfg, path);
        Random r = new Random(5);
        int[] stream = new int[200];
        for (int i = 0; i < stream.length; i++) stream[i] = r.nextInt(cfg.vocab());
        TextBatches tb = new TextBatches(stream, 2, 6, 3);
        int d = m.numParams(), n = 2 * 6, V = cfg.vocab();
        double[] w = m.init(4, 1.0);
        for (int i = 0; i < d; i++) w[i] += 0.05 * r.nextGaussian();
        double[][] dirs = new double[3][d];
        for (double[] x : dirs) for (int i = 0; i < d; i++) x[i] = r.nextGaussian();
        double[] f = logits(m, tb, 1, w);
        double[][] j = new double[3][];
        for (int a = 0; a < 3; a++) j[a] = jvp(m, tb, 1, w, dirs[a]);

        for (int accum : new int[] {1, 2}) {
            GptObjective o = new GptObjective(BE, DType.F64, m, tb, accum);
            double[] all = new double[3 * d];
            for (int a = 0; a < 3; a++) System.arraycopy(dirs[a], 0, all, a * d, d);
            Tensor gv = BE.zeros(DType.F64, 3L * d);
            o.ggn(1, BE.fromDoubles(DType.F64, w), BE.fromDoubles(DType.F64, all), 3, gv);
            double[] g = gv.toDoubles();
            for (int a = 0; a < 3; a++) {
                for (int b = a; b < 3; b++) {
                    double got = 0;
                    for (int i = 0; i < d; i++) got += dirs[a][i] * g[b * d + i];
                    double ref = 0;
                    for (int tok = 0; tok < n; tok++) {
                        double mx = Double.NEGATIVE_INFINITY, z = 0, pu = 0, pv = 0, s = 0;
                        for (int c = 0; c < V; c++) mx = Math.max(mx, f[tok * V + c]);
                        double[] p = new double[V];
                        for (int c = 0; c < V; c++) z += p[c] = Math.exp(f[tok * V + c] - mx);
                        for (int c = 0; c < V; c++) {
                            p[c] /= z;
                            double ju = j[a][tok * V + c], jv = j[b][tok * V + c];
                            s += p[c] * ju * jv;
                            pu += p[c] * ju;
                            pv += p[c] * jv;
                        }
                        ref += (s - pu * pv) / n;   // (Ju)ᵀ (diag p − ppᵀ) (Jv), mean over the B·T tokens
                    }
                    assertEquals(ref, got, 1e-8 + 1e-6 * Math.abs(ref), path + ", accum " + accum + ": u_" + a + "ᵀ G u_" + b);
                    if (a == b) assertTrue(got >= 0, "G is positive semi-definite");
                }
            }
            // and G is not the Hessian here (the residual term of a random-token batch is not zero)
            Tensor hv = BE.zeros(DType.F64, d);
            o.evaluate(1, BE.fromDoubles(DType.F64, w), null, BE.fromDoubles(DType.F64, dirs[0]), 1, hv);
            double uhu = 0;
            for (int i = 0; i < d; i++) uhu += dirs[0][i] * hv.toDoubles()[i];
            double ugu = 0;
            for (int i = 0; i < d; i++) ugu += dirs[0][i] * g[i];
            assertTrue(Math.abs(uhu - ugu) > 1e-6 * Math.abs(ugu), "uᵀHu " + uhu + " vs uᵀGu " + ugu);
        }
    }
}
