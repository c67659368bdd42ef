package eoslab.cli;

import eoslab.backend.Backend;
import eoslab.curvature.BatchSharpness;
import eoslab.curvature.EigenResult;
import eoslab.curvature.Hutchinson;
import eoslab.curvature.Lanczos;
import eoslab.curvature.LinearOperator;
import eoslab.curvature.Slq;
import eoslab.gpt.GptObjective;
import eoslab.gpt.GptTrainConfig;
import eoslab.gpt.GptTrainer;
import eoslab.gpt.TextBatches;
import eoslab.optim.AdamW;
import eoslab.tensor.DType;
import eoslab.io.AtomicFiles;
import eoslab.io.Plots;
import eoslab.gpt.GptRunReport;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code eoslab hessian}: curvature of the training loss at a checkpoint, as JSON — the loss,
 * gradient norm, top-k eigenvalues (Lanczos), the trace (Hutchinson), batch sharpness, and
 * optionally the spectral density (stochastic Lanczos quadrature).
 */
@Command(name = "hessian", mixinStandardHelpOptions = true,
        description = {"Curvature of the training loss at a checkpoint, printed as JSON.",
                "Uses the checkpoint's own data, model and loss (its saved configuration).",
                "GPT checkpoints: the Hessian on the run's fixed sharpness batch, or on --batches fresh batches of text windows."})
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
    @Option(names = "--batches", defaultValue = "0", description = "GPT checkpoints: the Hessian of the loss on this many fresh batches of the run's B text windows "
            + "(seeded by --seed); 0 = the run's fixed sharpness batch, the one its logged lambda_max is of (default: ${DEFAULT-VALUE})")
    int batches;
    @Option(names = "--ggn", description = "also the top-k eigenvalues of the generalized Gauss-Newton matrix G = Jᵀ H_ℓ J "
            + "(the Hessian without its residual term), on the same data as the Hessian")
    boolean ggn;
    @Option(names = "--out", description = "also write the JSON to this file")
    Path out;
    @Option(names = "--plot", paramLabel = "PNG", description = "with --density: draw the spectral density on a log scale (as PyHessian plots it), "
            + "λ_max and the threshold marked")
    Path plot;

    @Override
    public Integer call() throws Exception {
        if (topK < 1) throw new UserError("--top-k must be >= 1, got " + topK);
        if (traceProbes < 0 || bsBatches < 0) throw new UserError("--trace-probes and --batch-sharpness must be >= 0");
        if (density && (slqProbes < 1 || slqSteps < 2 || gridPoints < 2)) throw new UserError("--slq-probes >= 1, --slq-steps >= 2 and --grid >= 2 are needed for --density");
        if (plot != null) {
            if (!density) throw new UserError("--plot draws the spectral density: add --density");
            if (!plot.toString().endsWith(".png")) throw new UserError("--plot " + plot + ": the figure is a PNG, name it *.png");
            if (!Plots.available()) throw new UserError("--plot: this Java runtime cannot draw (no java.desktop: the lean image); drop --plot, the JSON has the density");
        }
        Path ckpt = Files.isDirectory(checkpoint) ? checkpoint.resolve(Trainer.CHECKPOINT) : checkpoint;
        if (!Files.isRegularFile(ckpt)) throw new UserError(checkpoint + ": no checkpoint there (expected a .safetensors file written by eoslab train)");
        if (batches < 0) throw new UserError("--batches must be >= 0 (0 = the run's fixed sharpness batch), got " + batches);
        Backend be = common.open();
        if (GptTrainer.isCheckpoint(ckpt)) {
            print(gpt(ckpt, be));
            return 0;
        }
        if (batches > 0) throw new UserError("--batches: for GPT checkpoints; this MLP checkpoint's Hessian is of the full training set");
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
        if (ggn) gaussNewton(HessianOperator.gaussNewton(f, w, null), r);
        trace(h, r);
        if (bsBatches > 0) {
            int b = batchSize != null ? batchSize : cfg.batchSize() > 0 ? cfg.batchSize() : Math.min(128, f.n());
            if (b < 1 || b > f.n()) throw new UserError("--batch-size must be in [1, " + f.n() + "], got " + b);
            BatchSharpness.Estimate bs = BatchSharpness.estimate(new MinibatchHessian(f, w, new BatchSchedule(seed, f.n(), b)), 0, bsBatches);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("estimate", bs.mean());
            m.put("std_error", bs.stdError());
            m.put("ratio_of_expectations", bs.ratioOfMeans());
            m.put("batch_size", b);
            m.put("batches", bsBatches);
            m.put("threshold", tr.opt.threshold());   // 2/η, (2+2β)/η for momentum: as train logs it
            r.put("batch_sharpness", m);
        }
        density(h, r);
        r.put("hvps", h.products());
        r.put("seconds", (System.nanoTime() - t0) * 1e-9);
        print(r);
        return 0;
    }

    private void print(Map<String, Object> r) throws java.io.IOException {
        String json = Json.pretty(r);
        if (out != null) AtomicFiles.writeString(out, json + "\n");
        System.out.println(json);
        if (plot != null) densityPlot(r, plot);
    }

    /**
     * The SLQ density against the eigenvalue on a log axis, floored at 1e-7 of its peak (PyHessian's
     * figure adds 1e-7 to a density normalized to sum 1), with λ_max and, where it applies to λ_max(H),
     * the stability threshold as vertical lines.
     */
    @SuppressWarnings("unchecked")
    static void densityPlot(Map<String, Object> r, Path png) throws java.io.IOException {
        Map<String, Object> d = (Map<String, Object>) r.get("density");
        double[] grid = (double[]) d.get("grid"), dens = ((double[]) d.get("density")).clone();
        double peak = 0;
        for (double v : dens) peak = Math.max(peak, v);
        for (int i = 0; i < dens.length; i++) dens[i] = Math.max(dens[i], 1e-7 * peak);
        double lam = ((double[]) r.get("eigenvalues"))[0];
        Plots.Options o = Plots.Options.DEFAULT.withLogY(true).withVLine(lam, "λ_max " + GptRunReport.num(lam));
        boolean onH = !(r.get("threshold_applies_to") instanceof String t && t.startsWith("precond"));
        if (onH && r.get("threshold") instanceof Double thr && Double.isFinite(thr)) o = o.withVLine(thr, "threshold " + GptRunReport.num(thr));
        Plots.linePlot(png, "Hessian spectral density (SLQ: " + d.get("probes") + " probes × " + d.get("steps") + " Lanczos steps)",
                "eigenvalue", "density (floored at 1e-7 of its peak)", List.of(new Plots.Series("density", grid, dens)), o);
        System.err.println("eoslab: wrote " + png);
    }

    /** --ggn: the top-k eigenpairs of the Gauss-Newton operator g (of the same data as the Hessian). */
    private void gaussNewton(LinearOperator g, Map<String, Object> r) {
        CountingOperator c = new CountingOperator(g);
        EigenResult ge = Lanczos.topK(c, topK, Lanczos.Options.defaults().withTol(tol).withSeed(seed + 2));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("eigenvalues", ge.values());
        m.put("residuals", ge.residuals());
        m.put("converged", ge.converged());
        m.put("products", c.products);
        r.put("ggn", m);
    }

    private void trace(LinearOperator h, Map<String, Object> r) {
        if (traceProbes > 0) {
            Hutchinson.Estimate tr2 = Hutchinson.trace(h, traceProbes, Math.min(8, traceProbes), seed);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("estimate", tr2.trace());
            m.put("std_error", tr2.stdError());
            m.put("probes", traceProbes);
            r.put("trace", m);
        }
    }

    private void density(LinearOperator h, Map<String, Object> r) {
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
    }

    /**
     * A GPT-2 run's checkpoint ({@link GptTrainer}): the same quantities on the Hessian of the mean token
     * loss on the run's fixed sharpness batch (default; the batch its logged lambda_max is of) or on
     * {@code --batches} N fresh batches of B windows (one batch of N·B windows, evaluated as N·accum
     * micro-batches so memory stays that of the run). Thresholds are at η_t of the checkpoint's step t
     * (the run's learning-rate schedule); for AdamW the threshold applies to λ_max(P⁻¹H), reported as
     * {@code precond_lambda_max} with P = diag(√v̂ + ε) of the checkpoint's state. Batch sharpness uses
     * fresh batches of {@code --batch-size} (default B) windows against 2/η_t.
     */
    private Map<String, Object> gpt(Path ckpt, Backend be) {
        GptTrainConfig cfg = GptTrainer.configOf(ckpt);
        GptTrainer tr = new GptTrainer(cfg, be, System.err);
        GptTrainer.State s = tr.loadCheckpoint(ckpt);
        Tensor w = tr.opt.params(s.x());
        int b = cfg.batchSize(), seqLen = cfg.tokensPerSequence();
        // different streams for the curvature batch and the batch-sharpness batches, both from --seed
        GptObjective f = batches == 0 ? tr.sharpnessBatch
                : new GptObjective(be, cfg.dtype(), tr.model, new TextBatches(tr.data.train(), b * batches, seqLen, seed), cfg.accum() * batches);
        long t0 = System.nanoTime();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("checkpoint", ckpt.toString());
        r.put("step", s.step());
        r.put("model", tr.model.describe());
        r.put("parameters", f.dim());
        r.put("optimizer", tr.opt.name());
        r.put("curvature_batch", batches == 0 ? "the run's fixed sharpness batch (" + b + " windows of " + seqLen + " tokens)"
                : batches + " fresh batches of " + b + " windows of " + seqLen + " tokens (--seed " + seed + ")");
        r.put("tokens", (long) f.batches().batchSize() * seqLen);
        r.put("loss_convention", "mean next-token cross-entropy over the batch's tokens (nats)");
        Tensor g = be.zeros(f.dtype(), f.dim());
        r.put("loss", f.evaluate(0, w, g, null, 0, null));
        r.put("grad_norm", Math.sqrt(be.dot(g, g)));
        CountingOperator h = new CountingOperator(f.hessian(w, 0));
        EigenResult eig = Lanczos.topK(h, topK, Lanczos.Options.defaults().withTol(tol).withSeed(seed));
        r.put("eigenvalues", eig.values());
        r.put("eigen_residuals", eig.residuals());
        r.put("eigen_converged", eig.converged());
        r.put("eigen_method", eig.method());
        if (ggn) gaussNewton(f.ggnOperator(w, 0), r);
        double eta = tr.opt.lr(s.step()), thr = tr.opt.threshold(s.step());
        r.put("lr", eta);
        if (!tr.opt.lrSchedule().isConstant()) r.put("lr_schedule", tr.opt.lrSchedule().describe());
        r.put("threshold", thr);
        if (tr.opt instanceof AdamW && s.step() >= 1) {
            CountingOperator p = new CountingOperator(GptTrainer.preconditioned(f.hessian(w, 0), tr.preconditionerScale(s.x(), s.step())));
            EigenResult pe = Lanczos.topK(p, 1, Lanczos.Options.defaults().withTol(tol).withSeed(seed + 1));
            r.put("precond_lambda_max", pe.values()[0]);
            r.put("precond_converged", pe.converged());
            r.put("threshold_applies_to", "precond_lambda_max (λ_max of P^-1 H, P = diag(sqrt(v_hat) + eps))");
            r.put("lambda_max_over_threshold", pe.values()[0] / thr);
            h.products += p.products;
        } else if (tr.opt instanceof AdamW) {
            r.put("threshold_applies_to", "precond_lambda_max, undefined at step 0 (v = 0)");
        } else {
            r.put("lambda_max_over_threshold", eig.values()[0] / thr);
        }
        trace(h, r);
        if (bsBatches > 0) {
            int bb = batchSize != null ? batchSize : b;
            if (bb < 1) throw new UserError("--batch-size must be >= 1 sequence, got " + bb);
            GptObjective fb = new GptObjective(be, cfg.dtype(), tr.model, new TextBatches(tr.data.train(), bb, seqLen, seed ^ BATCH_SHARPNESS_STREAM),
                    bb % cfg.accum() == 0 ? cfg.accum() : 1);
            BatchSharpness.Estimate bs = BatchSharpness.estimate(fb.minibatchCurvature(w), 0, bsBatches);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("estimate", bs.mean());
            m.put("std_error", bs.stdError());
            m.put("ratio_of_expectations", bs.ratioOfMeans());
            m.put("batch_size", bb);
            m.put("batches", bsBatches);
            // 2/η_t, (2+2β)/η_t for momentum; AdamW's threshold is on λ_max(P⁻¹H), not on this
            if (!(tr.opt instanceof AdamW)) m.put("threshold", thr);
            r.put("batch_sharpness", m);
        }
        density(h, r);
        r.put("hvps", h.products);
        r.put("seconds", (System.nanoTime() - t0) * 1e-9);
        return r;
    }

    /** Keeps the batch-sharpness windows apart from a --batches curvature batch of the same --seed. */
    private static final long BATCH_SHARPNESS_STREAM = 0x6b5a_0000_0000_0003L;

    /** A Hessian operator that counts its products (k per batched call). */
    private static final class CountingOperator implements LinearOperator {
        private final LinearOperator h;
        long products;

        CountingOperator(LinearOperator h) { this.h = h; }

        @Override public long dim() { return h.dim(); }

        @Override public Backend backend() { return h.backend(); }

        @Override public DType dtype() { return h.dtype(); }

        @Override
        public void apply(Tensor in, Tensor o, int k) {
            h.apply(in, o, k);
            products += k;
        }
    }

}
