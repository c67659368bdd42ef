package eoslab.sd;

import java.util.Locale;
import java.util.Map;
import java.util.LinkedHashMap;

/**
 * Settings of one sharpness-dimension estimate (Tuci et al. 2026, SPEC §3), validated here.
 *
 * @param method       which estimator ({@link Method})
 * @param batches      EXACT: M minibatch Hessians averaged; SLQ/KDE/PS: R Lanczos runs, one per fresh minibatch
 * @param batchSize    rows per minibatch Hessian H_B; 0 = full batch (every H_B is the full-data Hessian)
 * @param lanczosSteps m, Lanczos steps per SLQ run (SLQ/KDE/PS); capped at d
 * @param eps          ε in z = ln(|1 − ηα| + ε); guards ln 0 where ηα = 1. ε = 0 is allowed and then a
 *                     singular value that is exactly 0 is an error. ε shifts z only where σ ≲ ε, i.e. for
 *                     eigenvalues within about ε/η of 1/η.
 * @param quantiles    M_q, equal-mass quantiles of the pooled measure (PS)
 * @param bins         histogram bins (SLQ) or cells the kernel density is integrated over (KDE), over the range of z
 * @param bandwidth    KDE kernel width in z; 0 = Silverman's rule 1.06·s·n_eff^(−1/5) on the weighted z sample
 * @param seed         seeds the minibatch schedule (B_t = f(seed, t)) and the Rademacher probes
 * @param hvpBlock     k, Hessian-vector products per batched call when EXACT assembles H_B from d products
 */
public record SdOptions(Method method, int batches, int batchSize, int lanczosSteps, double eps, int quantiles,
                        int bins, double bandwidth, long seed, int hvpBlock) {

    /** The four estimators of Tuci et al. */
    public enum Method {
        /** dense minibatch Hessians, average of the sorted log singular values of the update Jacobian */
        EXACT,
        /** pooled SLQ Ritz measure, histogram in z */
        SLQ,
        /** pooled SLQ Ritz measure, Gaussian kernel density in z */
        KDE,
        /** pooled SLQ Ritz measure, M equal-mass quantiles ("partial sums") */
        PS;

        public static Method parse(String s) {
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("--method must be exact, slq, kde or ps, got '" + s + "'");
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public SdOptions {
        if (method == null) throw new IllegalArgumentException("sd: method must be given (exact, slq, kde or ps)");
        if (batches < 1) throw new IllegalArgumentException("sd: --batches must be >= 1, got " + batches);
        if (batchSize < 0) throw new IllegalArgumentException("sd: --sd-batch-size must be >= 0 (0 = full batch), got " + batchSize);
        if (lanczosSteps < 1) throw new IllegalArgumentException("sd: --sd-lanczos-steps must be >= 1, got " + lanczosSteps);
        if (!(eps >= 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("sd: --eps must be a finite number >= 0, got " + eps);
        if (quantiles < 1) throw new IllegalArgumentException("sd: --quantiles must be >= 1, got " + quantiles);
        if (bins < 2) throw new IllegalArgumentException("sd: --bins must be >= 2, got " + bins);
        if (!(bandwidth >= 0) || Double.isInfinite(bandwidth)) throw new IllegalArgumentException("sd: --bandwidth must be >= 0 (0 = Silverman's rule), got " + bandwidth);
        if (hvpBlock < 1) throw new IllegalArgumentException("sd: --hvp-block must be >= 1, got " + hvpBlock);
    }

    /** Defaults: 8 batches of the training batch size, m = 64, ε = 1e-8, 200 quantiles, 100 bins, Silverman bandwidth, k = 16. */
    public static SdOptions defaults(Method method, int batchSize, long seed) {
        return new SdOptions(method, 8, batchSize, 64, 1e-8, 200, 100, 0.0, seed, 16);
    }

    public SdOptions withMethod(Method m) {
        return new SdOptions(m, batches, batchSize, lanczosSteps, eps, quantiles, bins, bandwidth, seed, hvpBlock);
    }

    public SdOptions withBatchSize(int b) {
        return new SdOptions(method, batches, b, lanczosSteps, eps, quantiles, bins, bandwidth, seed, hvpBlock);
    }

    public SdOptions withBatches(int m) {
        return new SdOptions(method, m, batchSize, lanczosSteps, eps, quantiles, bins, bandwidth, seed, hvpBlock);
    }

    public SdOptions withLanczosSteps(int m) {
        return new SdOptions(method, batches, batchSize, m, eps, quantiles, bins, bandwidth, seed, hvpBlock);
    }

    public SdOptions withQuantiles(int q) {
        return new SdOptions(method, batches, batchSize, lanczosSteps, eps, q, bins, bandwidth, seed, hvpBlock);
    }

    public SdOptions withEps(double e) {
        return new SdOptions(method, batches, batchSize, lanczosSteps, e, quantiles, bins, bandwidth, seed, hvpBlock);
    }

    /** Ordered map for JSON reports. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method.label());
        m.put("batches", batches);
        m.put("batch_size", batchSize);
        if (method != Method.EXACT) m.put("lanczos_steps", lanczosSteps);
        m.put("eps", eps);
        if (method == Method.PS) m.put("quantiles", quantiles);
        if (method == Method.SLQ || method == Method.KDE) m.put("bins", bins);
        if (method == Method.KDE) m.put("bandwidth", bandwidth);
        m.put("seed", seed);
        if (method == Method.EXACT) m.put("hvp_block", hvpBlock);
        return m;
    }
}
