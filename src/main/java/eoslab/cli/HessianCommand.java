package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.curvature.BatchSharpness;
import eoslab.curvature.EigenResult;
import eoslab.curvature.Hutchinson;
import eoslab.curvature.Lanczos;
import eoslab.curvature.Slq;
import eoslab.io.AtomicFiles;
import eoslab.io.Json;
import eoslab.nn.HessianOperator;
import eoslab.nn.MinibatchHessian;
import eoslab.nn.Objective;
import eoslab.optim.BatchSchedule;
import eoslab.tensor.Tensor;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;
import eoslab.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code eoslab hessian}: curvature of the training loss at a checkpoint, as JSON — the loss,
 * gradient norm, top-k eigenvalues (Lanczos), the trace (Hutchinson), batch sharpness, and
 * optionally the spectral density (stochastic Lanczos quadrature).
 */
@Command(name = "hessian", mixinStandardHelpOptions = true,
        description = {"Curvature of the training loss at a checkpoint, printed as JSON.",
                "Uses the checkpoint's own data, model and loss (its saved configuration)."})
public final class HessianCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "a checkpoint.safetensors written by eoslab train (or its run directory)")
    Path checkpoint;
    @Option(names = "--top-k", defaultValue = "5", description = "eigenvalues (default: ${DEFAULT-VALUE})")
    int topK;
    @Option(names = "--tol", defaultValue = "1e-5", description = "Lanczos relative residual (default: ${DEFAULT-VALUE})")
    double tol;
    @Option(names = "--trace-probes", defaultValue = "32", description = "Hutchinson probes, 0 = skip (default: ${DEFAULT-VALUE})")
    int traceProbes;
    @Option(names = "--batch-sharpness", defaultValue = "16", description = "minibatches for batch sharpness, 0 = skip (default: ${DEFAULT-VALUE})")
    int bsBatches;
    @Option(names = "--batch-size", description = "minibatch size for batch sharpness (default: the run's, or 128 for full-batch runs)")
    Integer batchSize;
    @Option(names = "--density", description = "also estimate the spectral density by SLQ")
    boolean density;
    @Option(names = "--slq-probes", defaultValue = "8", description = "SLQ probes (default: ${DEFAULT-VALUE})")
    int slqProbes;
    @Option(names = "--slq-steps", defaultValue = "60", description = "Lanczos steps per SLQ probe (default: ${DEFAULT-VALUE})")
    int slqSteps;
    @Option(names = "--grid", defaultValue = "200", description = "density grid points (default: ${DEFAULT-VALUE})")
    int gridPoints;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the probes and minibatches (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--out", description = "also write the JSON to this file")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (topK < 1) throw new UserError("--top-k must be >= 1, got " + topK);
        if (traceProbes < 0 || bsBatches < 0) throw new UserError("--trace-probes and --batch-sharpness must be >= 0");
        if (density && (slqProbes < 1 || slqSteps < 2 || gridPoints < 2)) throw new UserError("--slq-probes >= 1, --slq-steps >= 2 and --grid >= 2 are needed for --density");
        Path ckpt = Files.isDirectory(checkpoint) ? checkpoint.resolve(Trainer.CHECKPOINT) : checkpoint;
        if (!Files.isRegularFile(ckpt)) throw new UserError(checkpoint + ": no checkpoint there (expected a .safetensors file written by eoslab train)");
        Backend be = common.open();
        TrainConfig cfg = Trainer.configOf(ckpt);
        Trainer tr = new Trainer(cfg, be, System.err);
        Trainer.State s = tr.loadCheckpoint(ckpt);
        Objective f = tr.train;
        Tensor w = tr.opt.params(s.x());
        long t0 = System.nanoTime();

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("checkpoint", ckpt.toString());
        r.put("step", s.step());
        r.put("parameters", f.dim());
        r.put("examples", f.n());
        r.put("loss_convention", cfg.lossName().equals("mse") ? "mean over examples of 0.5*||f(x)-y||^2, one-hot y" : "mean softmax cross-entropy");
        Tensor g = be.zeros(f.dtype(), f.dim());
        r.put("loss", f.evaluate(w, null, g, null, 0, null, null));
        r.put("grad_norm", Math.sqrt(be.dot(g, g)));

        HessianOperator h = new HessianOperator(f, w, null);
        EigenResult eig = Lanczos.topK(h, topK, Lanczos.Options.defaults().withTol(tol).withSeed(seed));
        r.put("eigenvalues", eig.values());
        r.put("eigen_residuals", eig.residuals());
        r.put("eigen_converged", eig.converged());
        r.put("eigen_method", eig.method());
        r.put("threshold", tr.opt.threshold());
        r.put("lambda_max_over_threshold", eig.values()[0] / tr.opt.threshold());
        if (traceProbes > 0) {
            Hutchinson.Estimate tr2 = Hutchinson.trace(h, traceProbes, Math.min(8, traceProbes), seed);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("estimate", tr2.trace());
            m.put("std_error", tr2.stdError());
            m.put("probes", traceProbes);
            r.put("trace", m);
        }
        if (bsBatches > 0) {
            int b = batchSize != null ? batchSize : cfg.batchSize() > 0 ? cfg.batchSize() : Math.min(128, f.n());
            if (b < 1 || b > f.n()) throw new UserError("--batch-size must be in [1, " + f.n() + "], got " + b);
            BatchSharpness.Estimate bs = BatchSharpness.estimate(new MinibatchHessian(f, w, new BatchSchedule(seed, f.n(), b)), 0, bsBatches);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("estimate", bs.mean());
            m.put("std_error", bs.stdError());
            m.put("batch_size", b);
            m.put("batches", bsBatches);
            m.put("threshold", 2 / cfg.lr());
            r.put("batch_sharpness", m);
        }
        if (density) {
            var runs = Slq.runs(h, slqProbes, slqSteps, Math.min(8, slqProbes), seed);
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (var run : runs) for (double a : run.nodes()) { lo = Math.min(lo, a); hi = Math.max(hi, a); }
            double pad = 0.05 * (hi - lo + 1e-12);
            double[] grid = Slq.grid(lo - pad, hi + pad, gridPoints);
            double sigma = (hi - lo + 1e-12) / 100;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("grid", grid);
            m.put("density", Slq.density(runs, grid, sigma));
            m.put("sigma", sigma);
            m.put("probes", slqProbes);
            m.put("steps", slqSteps);
            r.put("density", m);
        }
        r.put("hvps", h.products());
        r.put("seconds", (System.nanoTime() - t0) * 1e-9);
        String json = Json.pretty(r);
        if (out != null) AtomicFiles.writeString(out, json + "\n");
        System.out.println(json);
        return 0;
    }

}
