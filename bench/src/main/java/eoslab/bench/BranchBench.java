package eoslab.bench;

import eoslab.backend.CpuBackend;
import eoslab.data.Dataset;
import eoslab.data.Synthetic;
import eoslab.eos.PrototypeOptions;
import eoslab.eos.Prototypes;
import eoslab.eos.branch.BranchConfig;
import eoslab.eos.branch.BranchRun;
import eoslab.eos.branch.GridRecord;
import eoslab.io.Json;
import eoslab.optim.Optimizer;
import eoslab.tensor.Tensor;
import eoslab.train.SharpnessTracker;
import eoslab.util.Parallel;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU wall time of the paper-sized branching run (Kwag et al. 2026, §3.1): n = 10,000 examples of
 * CIFAR shape (3072 features), MLP 3072-512-512-2 ReLU, init 0.2, full-batch GD η = 0.01, MSE, and
 * every {@code every} steps the full diagnostics of a grid step ({@link BranchRun#measure}: λ_1 by
 * warm-started Lanczos, ∇S by two HVPs, per-group gradients). The data are two synthetic Gaussian
 * clusters of that shape (CIFAR-10 cannot be downloaded here), which costs the same arithmetic.
 *
 * <p>Not JMH: one step takes seconds, so we time every step and every grid measurement of one run
 * after a warm-up, and report medians; per 1000 steps = 1000·median(step) + ⌈1000/every⌉·median(measure).
 * Prints one JSON line. Arguments: n features hidden steps every warmup.
 */
public final class BranchBench {
    public static void main(String[] a) throws Exception {
        int n = a.length > 0 ? Integer.parseInt(a[0]) : 10_000, f = a.length > 1 ? Integer.parseInt(a[1]) : 3072;
        int hidden = a.length > 2 ? Integer.parseInt(a[2]) : 512, steps = a.length > 3 ? Integer.parseInt(a[3]) : 64;
        int every = a.length > 4 ? Integer.parseInt(a[4]) : 32, warm = a.length > 5 ? Integer.parseInt(a[5]) : 2;
        long t0 = System.nanoTime();
        Dataset raw = Synthetic.gaussian(new Synthetic.GaussianSpec(2, f, 4.0, 1.0), n, 0, Synthetic.STREAM_TRAIN, "synthetic CIFAR-shaped");
        double dataS = (System.nanoTime() - t0) * 1e-9;
        t0 = System.nanoTime();
        Prototypes.Built b = Prototypes.build(raw, PrototypeOptions.defaults(0));
        double protoS = (System.nanoTime() - t0) * 1e-9;
        BranchConfig cfg = new BranchConfig("bench", "synthetic", new int[0], n, 0, 0, new int[]{hidden, hidden}, 0.2, "mse", "gd", 0.01, 0.9, 0,
                Math.max(steps, every), every, 0.5, new long[]{0}, PrototypeOptions.defaults(0), 1, 30, 1e-4, "f32", 4096, null);
        BranchRun run = new BranchRun(cfg, CpuBackend.INSTANCE, b.train(), null, b.set());
        Optimizer opt = run.optimizer(cfg.lr(), 0);
        Tensor x = opt.initialState(run.model().init(0, cfg.initScale()));
        SharpnessTracker tr = run.tracker(0);
        for (int t = 0; t < warm; t++) {
            run.measure("baseline", t, x, opt, tr);
            opt.step(t, x, null, 0);
        }
        double[] stepS = new double[steps];
        double[] measS = new double[(steps + every - 1) / every];
        int mi = 0, lanczos = 0;
        for (int t = 0; t < steps; t++) {
            if (t % every == 0) {
                long m0 = System.nanoTime();
                GridRecord r = run.measure("baseline", warm + t, x, opt, tr);
                measS[mi++] = (System.nanoTime() - m0) * 1e-9;
                lanczos += tr.lastIterations();
                if (!Double.isFinite(r.trainLoss())) throw new IllegalStateException("diverged");
            }
            long s0 = System.nanoTime();
            opt.step(warm + t, x, null, 0);
            stepS[t] = (System.nanoTime() - s0) * 1e-9;
        }
        double step = median(stepS), meas = median(Arrays.copyOf(measS, mi));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("n", n);
        out.put("features", f);
        out.put("model", run.model().describe());
        out.put("parameters", run.model().numParams());
        out.put("threads", Parallel.threads());
        out.put("warmup_steps", warm);
        out.put("timed_steps", steps);
        out.put("timed_grid_measurements", mi);
        out.put("mean_lanczos_iterations", (double) lanczos / mi);
        out.put("data_seconds", dataS);
        out.put("taxonomy_seconds", protoS);
        out.put("median_step_seconds", step);
        out.put("min_step_seconds", Arrays.stream(stepS).min().orElse(Double.NaN));
        out.put("median_measure_seconds", meas);
        out.put("seconds_per_1000_steps", 1000 * step + Math.ceil(1000.0 / every) * meas);
        out.put("seconds_per_1000_steps_training_only", 1000 * step);
        System.out.println(Json.line(out));
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
