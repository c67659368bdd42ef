package eoslab.dynamics;

import java.util.List;

/**
 * The result of a Benettin/QR run: the k leading Lyapunov exponents (in tracking order, which is
 * descending up to finite-time noise), batch-means standard errors, the partial-determinant
 * exponents Λ_j = Σ_{i≤j} λ_i (growth rate of j-dimensional volumes, SPEC §2 ‖·‖_j) and the
 * Kaplan–Yorke dimension.
 *
 * @param exponents        λ_i = Σ ln R_ii / (measured steps · dt), (k)
 * @param stdErrors        batch-means standard error of λ_i over the segments, (k)
 * @param partialSums      Λ_j = Σ_{i≤j} λ_i, (k)
 * @param partialStdErrors batch-means standard error of Λ_j, (k)
 * @param segmentExponents per-segment estimates, (segments, k)
 * @param kaplanYorke      D_KY from the k exponents, with the k-too-small flag
 * @param kyStdError       batch-means standard error of D_KY (NaN when a segment flags kTooSmall differently,
 *                         or when D_KY is only the lower bound k)
 * @param history          running estimates λ_i(t) recorded every {@code recordEvery} steps
 * @param qrCount          orthonormalizations done (burn-in included)
 * @param secondPasses     how many of them CholeskyQR needed a second pass for (CholeskyQR2)
 * @param fallbacks        how many of them CholeskyQR handed to Householder
 * @param maxOrthoError    largest measured ‖QᵀQ − I‖_F on the CholeskyQR path (NaN if never measured)
 * @param config           the settings of the run
 */
public record LyapunovSpectrum(double[] exponents, double[] stdErrors, double[] partialSums, double[] partialStdErrors,
                               double[][] segmentExponents, KaplanYorke kaplanYorke, double kyStdError,
                               List<Snapshot> history, long qrCount, long secondPasses, long fallbacks, double maxOrthoError,
                               LyapunovConfig config) {

    /**
     * Running estimate after {@code step} measured steps (burn-in excluded).
     *
     * @param step      measured steps so far
     * @param time      step · dt
     * @param exponents λ_i(t) = Σ ln R_ii / time, (k)
     */
    public record Snapshot(long step, double time, double[] exponents) {
    }

    public int k() {
        return exponents.length;
    }

    /** Σ_{i≤k} λ_i: the exponential rate of change of k-volumes. */
    public double sum() {
        return partialSums[partialSums.length - 1];
    }
}
