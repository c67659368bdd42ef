package eoslab.sd;

import eoslab.curvature.BatchSharpness;
import eoslab.curvature.EigenResult;
import eoslab.curvature.Hutchinson;
import eoslab.curvature.Lanczos;
import eoslab.nn.HessianOperator;
import eoslab.nn.MinibatchHessian;
import eoslab.tensor.Tensor;
import eoslab.train.TrainConfig;
import eoslab.train.Trainer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the generalization study of Tuci et al. (2026) reports for one trained state
 * (SPEC §3): train/test loss and accuracy and their gaps, SD by each requested estimator, the
 * computable terms of the Thm 4.5 bound, and the pointwise curvature summaries it is compared
 * with — λ_max (Lanczos) and tr H (Hutchinson) of the full training-loss Hessian, and batch sharpness
 * E_B[g_Bᵀ H_B g_B / ‖g_B‖²] over {@value #BATCH_SHARPNESS_BATCHES} minibatches of the run's size
 * (Andreyev &amp; Beneventano 2024; SGD's own stability measure) — beside √(d/n).
 *
 * <p>Which update Jacobian SD uses ({@link UpdateJacobian}): by default the paper's SGD form
 * |1 − η(α + λ_wd)| for every optimizer (for a momentum run this ignores β, as Tuci et al. do);
 * with {@code stateJacobian} a momentum run uses the heavy-ball Jacobian on the 2d state instead.
 */
public final class CheckpointAnalysis {
    private CheckpointAnalysis() {
    }

    /** Minibatches batch sharpness averages over (one for a full-batch run, where all are the same). */
    public static final int BATCH_SHARPNESS_BATCHES = 32;

    /**
     * @param estimators    one SdOptions per estimator to run (their batch size is replaced, see sdBatchSize)
     * @param sdBatchSize   rows per minibatch Hessian; null = the run's own batch size (0, full batch, for gd)
     * @param stateJacobian momentum runs: 2d-state heavy-ball Jacobian instead of the SGD form
     * @param lanczosTol    relative residual for λ_max
     * @param traceProbes   Hutchinson probes for tr H (≥ 2)
     * @param lipschitz     L of the bound
     * @param lossBound     B of the bound
     * @param delta         δ of the bound
     * @param zeta          ζ of the bound
     * @param top           exponents/atoms listed per estimate
     */
    public record Options(List<SdOptions> estimators, Integer sdBatchSize, boolean stateJacobian, double lanczosTol, int traceProbes,
                          double lipschitz, double lossBound, double delta, double zeta, int top) {
        public Options {
            if (estimators == null || estimators.isEmpty()) throw new IllegalArgumentException("sd: give at least one --method");
            estimators = List.copyOf(estimators);
            if (sdBatchSize != null && sdBatchSize < 0) throw new IllegalArgumentException("sd: --sd-batch-size must be >= 0 (0 = full batch), got " + sdBatchSize);
            if (!(lanczosTol > 0 && lanczosTol < 1)) throw new IllegalArgumentException("sd: --lanczos-tol must be in (0, 1), got " + lanczosTol);
            if (traceProbes < 2) throw new IllegalArgumentException("sd: --trace-probes must be >= 2, got " + traceProbes);
            if (top < 1) throw new IllegalArgumentException("sd: --top must be >= 1, got " + top);
            // the bound's parameters are validated by a throwaway bound now, not after hours of training
            new GeneralizationBound(1, 1, 0, lipschitz, lossBound, delta, zeta);
        }
    }

    /** The update map of a run, as {@link Options#stateJacobian()} chooses. */
    public static UpdateJacobian jacobianOf(TrainConfig cfg, boolean stateJacobian) {
        double beta = cfg.optimizer().equals("momentum") && stateJacobian ? cfg.momentum() : 0;
        return new UpdateJacobian(cfg.lr(), beta, cfg.weightDecay());
    }

    /** The estimator settings for a run: the SD minibatch size is the option's, or the run's own (0 = full batch). */
    public static SdOptions resolve(SdOptions so, Options o, TrainConfig cfg) {
        return so.withBatchSize(o.sdBatchSize() != null ? o.sdBatchSize() : cfg.batchSize());
    }

    /** One state of a run: the ordered report map, and the SD estimates by method. */
    public record Report(Map<String, Object> map, Map<SdOptions.Method, SdEstimate> sd, Map<SdOptions.Method, GeneralizationBound> bounds,
                         double trainLoss, double testLoss, double trainAcc, double testAcc, double lambdaMax, double trace,
                         double batchSharpness, double sqrtDOverN) {
        public double lossGap() {
            return testLoss - trainLoss;
        }

        /** 0-1 error gap: test error − train error = train accuracy − test accuracy. */
        public double errorGap() {
            return trainAcc - testAcc;
        }
    }

    public static Report analyze(Trainer tr, Trainer.State s, Options o) {
        TrainConfig cfg = tr.cfg;
        Tensor w = tr.opt.params(s.x());
        double[] trn = tr.train.lossAndAccuracy(w), tst = tr.test.lossAndAccuracy(w);
        int n = tr.train.n();
        long d = tr.train.dim();
        HessianOperator full = new HessianOperator(tr.train, w, null);
        EigenResult top = Lanczos.topK(full, 1, Lanczos.Options.defaults().withTol(o.lanczosTol()).withSeed(cfg.seed()));
        Hutchinson.Estimate trace = Hutchinson.trace(full, o.traceProbes(), Math.min(8, o.traceProbes()), cfg.seed() + 1);
        UpdateJacobian jac = jacobianOf(cfg, o.stateJacobian());
        // the run's minibatch size, batches 0..31 of the trainer's batch-sharpness schedule (apart from the training noise)
        var bsSchedule = tr.batchSharpnessSchedule();
        BatchSharpness.Estimate bs = BatchSharpness.estimate(new MinibatchHessian(tr.train, w, bsSchedule), 0,
                bsSchedule.fullBatch() ? 1 : BATCH_SHARPNESS_BATCHES);

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", s.step());
        m.put("lr", cfg.lr());
        m.put("batch_size", cfg.batchSize());
        m.put("optimizer", cfg.optimizer());
        m.put("n", n);
        m.put("d", d);
        m.put("train_loss", trn[0]);
        m.put("test_loss", tst[0]);
        m.put("train_acc", trn[1]);
        m.put("test_acc", tst[1]);
        m.put("loss_gap", tst[0] - trn[0]);
        m.put("error_gap", trn[1] - tst[1]);
        m.put("lambda_max", top.values()[0]);
        m.put("lambda_max_converged", top.converged());
        m.put("threshold", tr.opt.threshold());
        m.put("trace", trace.trace());
        m.put("trace_std_error", trace.stdError());
        bs.putInto(m);
        m.put("batch_sharpness_batches", bs.hvps());
        m.put("sqrt_d_over_n", Math.sqrt((double) d / n));
        Map<SdOptions.Method, SdEstimate> sds = new LinkedHashMap<>();
        Map<SdOptions.Method, GeneralizationBound> bounds = new LinkedHashMap<>();
        Map<String, Object> sdMap = new LinkedHashMap<>(), boundMap = new LinkedHashMap<>();
        for (SdOptions so : o.estimators()) {
            SdEstimate e = SdEstimators.estimate(tr.train, w, jac, resolve(so, o, cfg));
            GeneralizationBound b = new GeneralizationBound(n, e.stateDim(), e.sd(), o.lipschitz(), o.lossBound(), o.delta(), o.zeta());
            sds.put(so.method(), e);
            bounds.put(so.method(), b);
            sdMap.put(so.method().label(), e.toMap(o.top()));
            boundMap.put(so.method().label(), b.toMap());
        }
        m.put("sd", sdMap);
        m.put("bound", boundMap);
        return new Report(m, sds, bounds, trn[0], tst[0], trn[1], tst[1], top.values()[0], trace.trace(), bs.mean(), Math.sqrt((double) d / n));
    }
}
