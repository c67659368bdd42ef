package eoslab.bench;

import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.gpt.Gpt2;
import eoslab.gpt.GptConfig;
import eoslab.nn.Batch;
import eoslab.nn.Loss;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;
import eoslab.util.Parallel;

import java.util.Arrays;
import java.util.Random;

/**
 * Gpt2 with the fused against the materialized attention core (issue #6) on the CPU, same process:
 * one block (L = 1, V = 256 so the LM head does not dominate) at a tiny shape and at GPT-2 124M's
 * block shape (T = 1024, H = 12, C = 768), F32. Times loss+gradient and loss+gradient+1 HVP; warm-up,
 * then the median of the repeats, and the ratio fused / materialized.
 *
 *   java -cp target/classes:BENCH_CLASSES eoslab.bench.AttentionPathBench [threads]
 */
public final class AttentionPathBench {
    public static void main(String[] args) {
        if (args.length > 0) Parallel.setThreads(Integer.parseInt(args[0]));
        Backend be = CpuBackend.INSTANCE;
        System.out.println("threads " + Parallel.threads() + ", " + System.getProperty("java.vm.version"));
        run(be, new GptConfig(256, 64, 1, 2, 32), 8, 64, 5, 15);
        run(be, new GptConfig(256, 1024, 1, 12, 768), 1, 1024, 1, 3);
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
            System.out.printf("B=%d T=%d H=%d C=%d  %-14s fused %9.1f ms   materialized %9.1f ms   ratio %.2f%n", b, t, cfg.heads(),
                    cfg.channels(), k == 0 ? "loss+grad" : "loss+grad+hvp", ms[0], ms[1], ms[0] / ms[1]);
        }
    }
}
