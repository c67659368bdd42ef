package eoslab.curvature;

import eoslab.tensor.Tensor;

/**
 * Batch sharpness (Andreyev &amp; Beneventano 2024, "Edge of stochastic stability"):
 * E_B[ g_Bᵀ H_B g_B / ‖g_B‖² ], the curvature of each minibatch loss along its own gradient, the
 * quantity that SGD drives to 2/η (SPEC §1). Estimated by the mean over the given minibatches,
 * with the standard error of that mean. Minibatches whose gradient is exactly zero have no
 * direction and are skipped (and counted).
 *
 * <p>Also the ratio-of-expectations form E_B[g_Bᵀ H_B g_B] / E_B[‖g_B‖²] over the same minibatches,
 * which weights each batch's quotient by its ‖g_B‖². The two agree when the minibatch gradient norms
 * are alike and part ways when they are not (near interpolation, where a few batches carry most of
 * the gradient).
 */
public final class BatchSharpness {
    private BatchSharpness() {
    }

    /**
     * @param mean     the average of the per-batch Rayleigh quotients
     * @param stdError sample standard deviation / √used (NaN if fewer than 2 were used)
     * @param perBatch each used batch's g_Bᵀ H_B g_B / ‖g_B‖², in the order given
     * @param skipped  batches with ‖g_B‖ = 0
     * @param hvps     Hessian-vector products used
     * @param ratioOfMeans Σ g_Bᵀ H_B g_B / Σ ‖g_B‖² over the used batches (NaN if none)
     */
    public record Estimate(double mean, double stdError, double[] perBatch, int skipped, long hvps, double ratioOfMeans) {
        /** The metrics fields: batch_sharpness, batch_sharpness_se and batch_sharpness_ratio. */
        public void putInto(java.util.Map<String, Object> m) {
            m.put("batch_sharpness", mean);
            m.put("batch_sharpness_se", stdError);
            m.put("batch_sharpness_ratio", ratioOfMeans);
        }
    }

    /** Batch sharpness over minibatches {@code batchIndices}. */
    public static Estimate estimate(MinibatchCurvature mc, long[] batchIndices) {
        if (batchIndices.length == 0) throw new IllegalArgumentException("batch sharpness: no minibatches given");
        long d = mc.dim();
        Tensor g = mc.backend().zeros(mc.dtype(), d);
        Tensor hg = mc.backend().zeros(mc.dtype(), d);
        double[] vals = new double[batchIndices.length];
        double num = 0, den = 0;
        int used = 0, skipped = 0;
        for (long b : batchIndices) {
            mc.gradAndHvp(b, g, hg);
            double gg = mc.backend().dot(g, g);
            if (!(gg > 0)) {
                if (gg == 0) { skipped++; continue; }
                throw new ArithmeticException("batch sharpness: gradient of minibatch " + b + " is not finite");
            }
            double ghg = mc.backend().dot(g, hg);
            vals[used++] = ghg / gg;
            num += ghg;
            den += gg;
        }
        double[] per = java.util.Arrays.copyOf(vals, used);
        double mean = 0;
        for (double v : per) mean += v;
        mean = used == 0 ? Double.NaN : mean / used;
        double se = Double.NaN;
        if (used >= 2) {
            double var = 0;
            for (double v : per) var += (v - mean) * (v - mean);
            se = Math.sqrt(var / (used - 1) / used);
        }
        return new Estimate(mean, se, per, skipped, batchIndices.length, used == 0 ? Double.NaN : num / den);
    }

    /**
     * The minibatch indices of a log step t when each draws {@code count} fresh ones from a schedule of
     * their own: t·count, …, t·count + count − 1 (a pure function of t, so resumed runs draw the same).
     */
    public static long[] batchesAt(long t, int count) {
        long[] idx = new long[count];
        for (int i = 0; i < count; i++) idx[i] = t * count + i;
        return idx;
    }

    /** Minibatches {@code first, first + 1, …, first + count − 1}. */
    public static Estimate estimate(MinibatchCurvature mc, long first, int count) {
        if (count < 1) throw new IllegalArgumentException("batch sharpness: count must be >= 1, got " + count);
        long[] idx = new long[count];
        for (int i = 0; i < count; i++) idx[i] = first + i;
        return estimate(mc, idx);
    }
}
