package eoslab.cli;

import eoslab.sd.CheckpointAnalysis;
import eoslab.sd.SdOptions;
import eoslab.util.UserError;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Options of the sharpness-dimension estimators and the bound terms, shared by {@code eoslab sd} and {@code eoslab sweep}. */
public final class SdCliOptions {
    @Option(names = "--batches", defaultValue = "8", description = "exact: minibatch Hessians averaged (M); slq/kde/ps: Lanczos runs, one per fresh minibatch (R) (default: ${DEFAULT-VALUE})")
    int batches;
    @Option(names = "--sd-batch-size", description = "rows per minibatch Hessian; 0 = full batch (default: the run's batch size)")
    Integer sdBatchSize;
    @Option(names = "--sd-lanczos-steps", defaultValue = "64", description = "Lanczos steps m per SLQ run (default: ${DEFAULT-VALUE})")
    int lanczosSteps;
    @Option(names = "--eps", defaultValue = "1e-8", description = "ε in ln(|1 − ηα| + ε); 0 is allowed when no singular value is exactly 0 (default: ${DEFAULT-VALUE})")
    double eps;
    @Option(names = "--quantiles", defaultValue = "200", description = "ps: equal-mass quantiles M (default: ${DEFAULT-VALUE})")
    int quantiles;
    @Option(names = "--bins", defaultValue = "100", description = "slq: histogram bins; kde: cells the density is integrated over (default: ${DEFAULT-VALUE})")
    int bins;
    @Option(names = "--bandwidth", defaultValue = "0", description = "kde: kernel width in ln σ; 0 = Silverman's rule (default: ${DEFAULT-VALUE})")
    double bandwidth;
    @Option(names = "--sd-seed", description = "seed of the SD minibatches and probes (default: the run's seed)")
    Long sdSeed;
    @Option(names = "--hvp-block", defaultValue = "16", description = "exact: Hessian-vector products per batched call (default: ${DEFAULT-VALUE})")
    int hvpBlock;
    @Option(names = "--state-jacobian", description = "momentum runs: use the heavy-ball Jacobian on the 2d state (w, m) instead of the paper's SGD form |1 − ηα|")
    boolean stateJacobian;
    @Option(names = "--lipschitz", defaultValue = "1", description = "bound: Lipschitz constant L of the loss (default: ${DEFAULT-VALUE})")
    double lipschitz;
    @Option(names = "--loss-bound", defaultValue = "1", description = "bound: B, the loss lies in [0, B] (an assumption for cross-entropy) (default: ${DEFAULT-VALUE})")
    double lossBound;
    @Option(names = "--delta", defaultValue = "0.01", description = "bound: covering scale δ in (0, 1) (default: ${DEFAULT-VALUE})")
    double delta;
    @Option(names = "--zeta", defaultValue = "0.05", description = "bound: confidence ζ in (0, 1) (default: ${DEFAULT-VALUE})")
    double zeta;
    @Option(names = "--trace-probes", defaultValue = "32", description = "Hutchinson probes for tr H (default: ${DEFAULT-VALUE})")
    int traceProbes;
    @Option(names = "--lambda-tol", defaultValue = "1e-4", description = "relative residual of the λ_max Lanczos solve (default: ${DEFAULT-VALUE})")
    double lambdaTol;
    @Option(names = "--top", defaultValue = "10", description = "exponents listed per estimate in the JSON (default: ${DEFAULT-VALUE})")
    int top;

    /** "exact,ps" → the methods, in order, without repeats. */
    static List<SdOptions.Method> methods(String s, String option) {
        List<SdOptions.Method> out = new ArrayList<>();
        if (s == null || s.isBlank()) throw new UserError(option + ": give at least one of exact, slq, kde, ps");
        for (String p : s.split(",")) {
            SdOptions.Method m;
            try {
                m = SdOptions.Method.parse(p);
            } catch (IllegalArgumentException e) {
                throw new UserError(option + " '" + s + "': each entry must be exact, slq, kde or ps");
            }
            if (!out.contains(m)) out.add(m);
        }
        return out;
    }

    CheckpointAnalysis.Options analysis(List<SdOptions.Method> methods, long runSeed) {
        try {
            List<SdOptions> est = new ArrayList<>();
            for (SdOptions.Method m : methods) {
                est.add(new SdOptions(m, batches, 0, lanczosSteps, eps, quantiles, bins, bandwidth, sdSeed == null ? runSeed : sdSeed, hvpBlock));
            }
            return new CheckpointAnalysis.Options(est, sdBatchSize, stateJacobian, lambdaTol, traceProbes, lipschitz, lossBound, delta, zeta, top);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
