package eoslab.gpt;

import eoslab.backend.Backend;
import eoslab.curvature.EigenResult;
import eoslab.curvature.Hutchinson;
import eoslab.curvature.Lanczos;
import eoslab.curvature.LinearOperator;
import eoslab.sd.CheckpointAnalysis;
import eoslab.sd.GeneralizationBound;
import eoslab.sd.SdEstimate;
import eoslab.sd.SdEstimators;
import eoslab.sd.SdOptions;
import eoslab.sd.Sweep;
import eoslab.sd.UpdateJacobian;
import eoslab.tensor.Tensor;
import eoslab.util.UserError;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The generalization study of Tuci et al. (2026) on GPT-2 (SPEC §6: SGD and momentum on an η × b
 * grid, AdamW on η × b × weight decay): each grid point is trained by a {@link GptTrainer} into its
 * own directory, its final state analysed by {@link #analyze}, and the report, Kendall τ and
 * granulated ψ tables written by {@link Sweep} (shared with the MLP sweep).
 *
 * <p><b>What is measured</b> at the final checkpoint, in {@link CheckpointAnalysis}'s terms:
 * train and "test" (validation) mean token loss and next-token accuracy over {@code valBatches}
 * fixed batches of each stream (the gaps are validation − train loss and train − validation
 * accuracy); λ_max (Lanczos) and tr H (Hutchinson) of the Hessian on the run's fixed sharpness batch
 * (the full-data Hessian of a corpus is out of reach); SD by each estimator from minibatch Hessians
 * of fresh training windows (B_i = windows of step i of a {@link TextBatches} seeded by the SD seed,
 * B = --sd-batch-size or the run's batch size). The update Jacobian is the paper's SGD form
 * σ = |1 − η(α + λ)| for every optimizer (as {@link CheckpointAnalysis} does; for AdamW this ignores
 * the preconditioner and the moments — a documented simplification, since SD of the full (w, m, v)
 * map needs its non-symmetric Jacobian), or the heavy-ball 2d-state form for momentum runs with
 * {@code stateJacobian}; η is η_t of the run's schedule at the analysed step (the final η for a
 * finished run; {@link #jacobianOf}). n in √(d/n) and in the bound is the number of training tokens.
 */
public final class GptSweep {
    private GptSweep() {
    }

    /**
     * Train and analyse every point of lrs × batchSizes × weightDecays (in that nesting order) from the
     * base configuration, whose optimizer and other settings every run shares. The whole grid is
     * validated, and the corpus tokenized once, before any training.
     */
    public static Sweep.Result run(GptTrainConfig base, double[] lrs, int[] batchSizes, double[] weightDecays, CheckpointAnalysis.Options a,
                                   boolean preconditionedSd, Path out, Backend be, PrintStream log) throws IOException {
        if (preconditionedSd && !base.optimizer().equals("adamw")) {
            throw new UserError("--preconditioned-sd: for --optimizer adamw runs; this sweep uses --optimizer " + base.optimizer());
        }
        if (lrs.length == 0 || batchSizes.length == 0 || weightDecays.length == 0) {
            throw new UserError("sweep: --lrs, --batch-sizes and --weight-decays must each list at least one value");
        }
        List<Sweep.Point> grid = new ArrayList<>();
        Map<Sweep.Point, GptTrainConfig> cfgs = new LinkedHashMap<>();
        for (double lr : lrs) {
            for (int b : batchSizes) {
                for (double wd : weightDecays) {
                    Sweep.Point p = new Sweep.Point(lr, b, wd);
                    grid.add(p);
                    cfgs.put(p, base.withGridPoint(lr, b, wd)); // validates: batch % accum, …
                }
            }
        }
        TextData data = GptTrainer.loadData(base);
        long d = base.shape(data.vocab()).numParams();
        for (SdOptions so : a.estimators()) {
            if (so.method() == SdOptions.Method.EXACT && d > SdEstimators.EXACT_MAX_DIM) {
                throw new UserError("sweep: --methods exact assembles dense d×d Hessians and this model has d = " + d + " > "
                        + SdEstimators.EXACT_MAX_DIM + " parameters; use kde, ps or slq");
            }
        }
        return Sweep.run(grid, a, out, log, (p, dir) -> {
            for (String f : new String[]{GptTrainer.METRICS, GptTrainer.TIMING}) Files.deleteIfExists(dir.resolve(f)); // a sweep starts fresh
            GptTrainer tr = new GptTrainer(cfgs.get(p), be, data, log);
            GptRunReport.run(tr, tr.initial(), dir, log);
            return analyze(tr, tr.loadCheckpoint(dir.resolve(GptTrainer.CHECKPOINT)), a, preconditionedSd);
        });
    }

    /**
     * The update Jacobian SD uses for this run at step t (see the class comment), at η_t of the run's
     * schedule: the map φ(1, θ^t ω, ·) that acts on the state of step t. For a finished run (t = --steps)
     * that is the last η of the schedule — a cosine run's floor when its horizon is --steps; for a
     * constant schedule it is η.
     */
    public static UpdateJacobian jacobianOf(GptTrainConfig cfg, long t, boolean stateJacobian) {
        double beta = cfg.optimizer().equals("momentum") && stateJacobian ? cfg.momentum() : 0;
        return new UpdateJacobian(cfg.schedule().lr(t), beta, cfg.weightDecay());
    }

    /**
     * Everything the study reports for one state of a GPT run (see the class comment). With
     * {@code preconditionedSd} (AdamW runs) SD is taken from P^{-1/2} H_B P^{-1/2} instead of H_B, P = diag(√v̂ + ε)
     * frozen at the state's v: the AdamW step without momentum, w' = (1 − ηλ)w − ηP⁻¹g, has
     * J = (1 − ηλ)I − ηP⁻¹H_B, similar (by the fixed P^{1/2}) to (1 − ηλ)I − ηP^{-1/2}H_B P^{-1/2}, whose
     * singular values are |1 − η(α̃ + λ)| over its eigenvalues α̃ — the same σ map, applied to the
     * preconditioned spectrum (Cohen et al. 2022's frozen-preconditioner view; SPEC §1).
     */
    public static CheckpointAnalysis.Report analyze(GptTrainer tr, GptTrainer.State s, CheckpointAnalysis.Options o, boolean preconditionedSd) {
        GptTrainConfig cfg = tr.cfg;
        Tensor w = tr.opt.params(s.x());
        double[] trn = tr.train.meanLossAndAccuracy(w, cfg.valBatches(), true), val = tr.val.meanLossAndAccuracy(w, cfg.valBatches(), true);
        int n = tr.data.train().length;
        long d = tr.model.numParams();
        LinearOperator h = tr.sharpnessBatch.hessian(w, 0);
        EigenResult top = Lanczos.topK(h, 1, Lanczos.Options.defaults().withTol(o.lanczosTol()).withSeed(cfg.seed()));
        Hutchinson.Estimate trace = Hutchinson.trace(h, o.traceProbes(), Math.min(8, o.traceProbes()), cfg.seed() + 1);
        UpdateJacobian jac = jacobianOf(cfg, s.step(), o.stateJacobian());
        int sdBatch = o.sdBatchSize() != null && o.sdBatchSize() > 0 ? o.sdBatchSize() : cfg.batchSize();

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", s.step());
        m.put("lr", cfg.lr());
        if (!cfg.schedule().isConstant()) {
            m.put("lr_schedule", cfg.schedule().describe());
            m.put("lr_at_step", cfg.schedule().lr(s.step()));   // the η of SD's Jacobian and of the threshold
        }
        m.put("batch_size", cfg.batchSize());
        m.put("weight_decay", cfg.weightDecay());
        m.put("optimizer", cfg.optimizer());
        m.put("n", n);
        m.put("n_is", "training tokens");
        m.put("d", d);
        m.put("train_loss", trn[0]);
        m.put("test_loss", val[0]);
        m.put("train_acc", trn[1]);
        m.put("test_acc", val[1]);
        m.put("loss_gap", val[0] - trn[0]);
        m.put("error_gap", trn[1] - val[1]);
        m.put("eval_batches", cfg.valBatches());
        m.put("lambda_max", top.values()[0]);
        m.put("lambda_max_converged", top.converged());
        m.put("threshold", tr.opt.threshold(s.step()));
        m.put("trace", trace.trace());
        m.put("trace_std_error", trace.stdError());
        m.put("curvature_batch", "the run's fixed sharpness batch (" + cfg.batchSize() + " windows)");
        // batch sharpness over fresh batches of B windows (the trainer's own stream for it, batches 0..31)
        eoslab.curvature.BatchSharpness.Estimate bs = eoslab.curvature.BatchSharpness.estimate(
                tr.batchSharpnessObjective().minibatchCurvature(w), 0, CheckpointAnalysis.BATCH_SHARPNESS_BATCHES);
        bs.putInto(m);
        m.put("batch_sharpness_batches", bs.hvps());
        m.put("sqrt_d_over_n", Math.sqrt((double) d / n));
        m.put("sd_batch_size", sdBatch);
        Tensor scale = preconditionedSd ? tr.preconditionerScale(s.x(), s.step()) : null;
        m.put("sd_hessian", preconditionedSd ? "P^-1/2 H_B P^-1/2, P = diag(sqrt(v_hat) + eps) frozen at the final AdamW state" : "H_B");
        m.put("sd_jacobian", jac.toMap());
        Map<SdOptions.Method, SdEstimate> sds = new LinkedHashMap<>();
        Map<SdOptions.Method, GeneralizationBound> bounds = new LinkedHashMap<>();
        Map<String, Object> sdMap = new LinkedHashMap<>(), boundMap = new LinkedHashMap<>();
        for (SdOptions so : o.estimators()) {
            SdOptions r = so.withBatchSize(sdBatch);
            // B_i: the windows of step i of a stream seeded by the SD seed (not the training windows' seed)
            GptObjective f = new GptObjective(tr.be, cfg.dtype(), tr.model, new TextBatches(tr.data.train(), sdBatch, cfg.tokensPerSequence(), r.seed()),
                    sdBatch % cfg.accum() == 0 ? cfg.accum() : 1);
            SdEstimate e = SdEstimators.estimate(i -> scale == null ? f.hessian(w, i) : GptTrainer.preconditioned(f.hessian(w, i), scale), jac, r);
            GeneralizationBound b = new GeneralizationBound(n, e.stateDim(), e.sd(), o.lipschitz(), o.lossBound(), o.delta(), o.zeta());
            sds.put(so.method(), e);
            bounds.put(so.method(), b);
            sdMap.put(so.method().label(), e.toMap(o.top()));
            boundMap.put(so.method().label(), b.toMap());
        }
        m.put("sd", sdMap);
        m.put("bound", boundMap);
        return new CheckpointAnalysis.Report(m, sds, bounds, trn[0], val[0], trn[1], val[1], top.values()[0], trace.trace(), bs.mean(), Math.sqrt((double) d / n));
    }
}
