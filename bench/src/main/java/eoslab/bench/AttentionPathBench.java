package eoslab.bench;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.gpt.CpuAttention;
import eoslab.gpt.Gpt2;
import eoslab.gpt.GptConfig;
import eoslab.gpt.TransformerKernels;
import eoslab.nn.Batch;
import eoslab.nn.Loss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;

import java.util.Arrays;
import java.util.Random;

/**
 * The fused against the materialized attention core (issue #6) on the CPU, same process. First the
 * core alone (forward + backward: CpuAttention against Gpt2's sequence of batched GEMMs and the causal
 * softmax), then Gpt2 with either path: one block (L = 1, V = 256 so the LM head does not dominate) at a tiny shape and at GPT-2 124M's
 * block shape (T = 1024, H = 12, C = 768), F32. Times loss+gradient and loss+gradient+1 HVP; warm-up,
 * then the median of the repeats, and the ratio fused / materialized.
 *
 *   bench/attention.sh   (or: java -cp target/benchmarks.jar eoslab.bench.AttentionPathBench [threads])
 */
public final class AttentionPathBench {
    public static void main(String[] args) {
        if (args.length > 0) Parallel.setThreads(Integer.parseInt(args[0]));
        Backend be = CpuBackend.INSTANCE;
        System.out.println("threads " + Parallel.threads() + ", " + System.getProperty("java.vm.version"));
        core(be, DType.F32, 8, 64, 2, 32);
        core(be, DType.F32, 1, 1024, 12, 768);
        core(be, DType.F64, 1, 1024, 12, 768);
        run(be, new GptConfig(256, 64, 1, 2, 32), 8, 64, 5, 15);
        run(be, new GptConfig(256, 1024, 1, 12, 768), 1, 1024, 1, 3);
    }

    static Tensor rest(Tensor t, long off) {
        return t.view(off, t.size - off);
    }

    /** Attention core forward + backward, fused against materialized, interleaved; medians of 7 after 2 warm-ups. */
    static void core(Backend be, DType dt, int b, int t, int h, int c) {
        int hs = c / h, n = b * t;
        Random r = new Random(1);
        double[] x = new double[3 * n * c], g = new double[n * c];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < g.length; i++) g[i] = r.nextGaussian();
        Tensor qkv = be.fromDoubles(dt, x), dy = be.fromDoubles(dt, g), y = be.zeros(dt, (long) n * c), lse = be.zeros(dt, (long) n * h);
        Tensor dqkv = be.zeros(dt, 3L * n * c);
        long tt = (long) t * t;
        Tensor att = be.zeros(dt, b * h * tt), dP = be.zeros(dt, h * tt), dS = be.zeros(dt, h * tt);
        TransformerKernels kr = TransformerKernels.of(be);
        double sc = 1 / Math.sqrt(hs);
        int reps = 7;
        double[][] ms = new double[2][reps];
        for (int rep = 0; rep < reps + 2; rep++) {
            long t0 = System.nanoTime();
            CpuAttention.INSTANCE.forward(qkv, y, lse, b, t, h, c);
            CpuAttention.INSTANCE.backward(qkv, y, lse, dy, dqkv, b, t, h, c);
            long t1 = System.nanoTime();
            // Gpt2's materialized core (attentionForward / attentionBackward without the R-op)
            for (int bi = 0; bi < b; bi++) {
                long q = (long) bi * t * 3 * c, o = bi * h * tt;
                be.gemm(false, true, t, t, hs, sc, rest(qkv, q), 3 * c, hs, rest(qkv, q + c), 3 * c, hs, 0, rest(att, o), t, tt, h);
            }
            kr.softmaxCausalForward(att, att, b * h * t, t);
            for (int bi = 0; bi < b; bi++) {
                long q = (long) bi * t * 3 * c, o = bi * h * tt;
                be.gemm(false, false, t, hs, t, 1, rest(att, o), t, tt, rest(qkv, q + 2L * c), 3 * c, hs, 0, rest(y, (long) bi * t * c), c, hs, h);
            }
            for (int bi = 0; bi < b; bi++) {
                long q = (long) bi * t * 3 * c, o = bi * h * tt, yo = (long) bi * t * c;
                Tensor p = att.view(o, h * tt);
                be.gemm(false, true, t, t, hs, 1, rest(dy, yo), c, hs, rest(qkv, q + 2L * c), 3 * c, hs, 0, dP, t, tt, h);
                be.gemm(true, false, t, hs, t, 1, p, t, tt, rest(dy, yo), c, hs, 0, rest(dqkv, q + 2L * c), 3 * c, hs, h);
                kr.softmaxJvp(p, dP.view(0, h * tt), dS.view(0, h * tt), h * t, t);
                be.gemm(false, false, t, hs, t, sc, dS, t, tt, rest(qkv, q + c), 3 * c, hs, 0, rest(dqkv, q), 3 * c, hs, h);
                be.gemm(true, false, t, hs, t, sc, dS, t, tt, rest(qkv, q), 3 * c, hs, 0, rest(dqkv, q + c), 3 * c, hs, h);
            }
            long t2 = System.nanoTime();
            if (rep >= 2) {
                ms[0][rep - 2] = (t1 - t0) / 1e6;
                ms[1][rep - 2] = (t2 - t1) / 1e6;
            }
        }
        Arrays.sort(ms[0]);
        Arrays.sort(ms[1]);
        System.out.printf("core fwd+bwd  B=%d T=%d H=%d C=%d %s  fused %9.1f ms   materialized %9.1f ms   ratio %.2f%n", b, t, h, c, dt,
                ms[0][reps / 2], ms[1][reps / 2], ms[0][reps / 2] / ms[1][reps / 2]);
    }

    static void run(Backend be, GptConfig cfg, int b, int t, int warm, int reps) {
        Random r = new Random(1);
        int[] x = new int[b * t], y = new int[b * t];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(cfg.vocab());
            y[i] = r.nextInt(cfg.vocab());
        }
        Batch batch = new Batch(be.fromInts(x), be.fromInts(y), null, b);
        for (int k : new int[] {0, 1}) {
            double[] ms = new double[2];
            for (Gpt2.AttentionPath path : Gpt2.AttentionPath.values()) {
                Gpt2 m = new Gpt2(cfg, path);
                Tensor w = be.fromDoubles(DType.F32, m.init(3, 1.0));
                Tensor g = be.zeros(DType.F32, m.numParams()), hv = be.zeros(DType.F32, (long) Math.max(1, k) * m.numParams());
                Tensor v = be.fromDoubles(DType.F32, new double[Math.max(1, k) * m.numParams()]);
                double[] times = new double[reps];
                for (int i = 0; i < warm + reps; i++) {
                    long t0 = System.nanoTime();
                    m.lossGradHvp(be, w, batch, Loss.CE, 1.0 / b, g, v, k, hv, null, null);
                    if (i >= warm) times[i - warm] = (System.nanoTime() - t0) / 1e6;
                }
                Arrays.sort(times);
                ms[path.ordinal()] = times[reps / 2];
            }
            System.out.printf("Gpt2 1 block B=%d T=%d H=%d C=%d F32 %-14s fused %9.1f ms   materialized %9.1f ms   ratio %.2f%n", b, t, cfg.heads(),
                    cfg.channels(), k == 0 ? "loss+grad" : "loss+grad+hvp", ms[0], ms[1], ms[0] / ms[1]);
        }
    }
}
