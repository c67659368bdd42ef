package eoslab.bench;

import eoslab.backend.Act;
import eoslab.backend.Backend;
import eoslab.backend.CpuBackend;
import eoslab.data.DataOptions;
import eoslab.data.Datasets;
import eoslab.data.Dataset;
import eoslab.eos.NaturalOutliers;
import eoslab.nn.Loss;
import eoslab.nn.Mlp;
import eoslab.nn.Objective;
import eoslab.nn.Sequential;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

import java.util.Arrays;
import java.util.Random;

/**
 * Wall time of {@link NaturalOutliers#perExampleByRows} (one-row gradients, §4.3) and the batched {@link NaturalOutliers#perExampleMlp} on the committed
 * Fashion-MNIST subset (n = 2000, 784 features) with the MLP 784-128-128-2 (d = 117,250), F32, CPU,
 * next to the time of one full-batch gradient in the same process. Plain main, no JMH:
 * <pre>
 *   mvn -B -q -o compile && javac -d target/bench-classes -cp target/classes bench/src/main/java/eoslab/bench/AlignmentTiming.java
 *   java --add-modules jdk.incubator.vector -cp target/classes:target/bench-classes eoslab.bench.AlignmentTiming [repeats]
 * </pre>
 */
public final class AlignmentTiming {
    public static void main(String[] args) {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Backend be = CpuBackend.INSTANCE;
        Dataset d = Datasets.load("fashion-mnist", new DataOptions(null, 2000, 0, null, 0)).train();
        Sequential m = Mlp.of(new int[]{d.features(), 128, 128, d.outputs()}, Act.RELU, true);
        Objective f = new Objective(be, DType.F32, m, Loss.MSE, d, 4096);
        Tensor w = be.fromDoubles(DType.F32, m.init(0, 1.0));
        Random r = new Random(1);
        double[] v = new double[m.numParams()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        Tensor v1 = be.fromDoubles(DType.F32, v);
        Tensor g = be.zeros(DType.F32, m.numParams());
        double[] full = new double[repeats], per = new double[repeats], mlp = new double[repeats];
        f.evaluate(w, null, g, null, 0, null, null); // warm-up
        NaturalOutliers.perExampleByRows(f, w, v1);
        NaturalOutliers.perExampleMlp(f, w, v1, 1024);
        for (int k = 0; k < repeats; k++) {
            long t0 = System.nanoTime();
            f.evaluate(w, null, g, null, 0, null, null);
            full[k] = (System.nanoTime() - t0) * 1e-9;
            t0 = System.nanoTime();
            NaturalOutliers.perExampleByRows(f, w, v1);
            per[k] = (System.nanoTime() - t0) * 1e-9;
            t0 = System.nanoTime();
            NaturalOutliers.perExampleMlp(f, w, v1, 1024);
            mlp[k] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(full);
        Arrays.sort(per);
        Arrays.sort(mlp);
        int h = repeats / 2;
        System.out.printf("n=%d d=%d threads=%d  full-batch gradient: median %.3f s%n", d.n(), m.numParams(), Runtime.getRuntime().availableProcessors(), full[h]);
        System.out.printf("  perExampleByRows: median %.3f s (%.3f ms/example, %.1fx a full gradient)%n", per[h], 1e3 * per[h] / d.n(), per[h] / full[h]);
        System.out.printf("  perExampleMlp:    median %.3f s (%.1fx a full gradient)%n", mlp[h], mlp[h] / full[h]);
    }
}
