package eoslab.dynamics;

import eoslab.backend.Backend;
import eoslab.dynamics.qr.HouseholderQr;
import eoslab.dynamics.qr.QrPath;
import eoslab.dynamics.qr.QrResult;
import eoslab.dynamics.qr.TallQr;
import eoslab.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The Benettin/QR method (Benettin, Galgani, Giorgilli, Strelcyn 1980; Shimada &amp; Nagashima 1979;
 * SPEC §4) on any {@link RandomMap}: it knows nothing about networks.
 *
 * <pre>
 *   Q_0 random orthonormal (d, k)
 *   every step        V ← J_t V            (the map's batched JVPs, one call per step)
 *   every qrInterval  V = Q R, V ← Q;  after burn-in accumulate ln R_ii
 *   λ_i = Σ ln R_ii / (steps · dt)
 * </pre>
 *
 * Error bars are batch means: the measured steps are cut into {@code segments} consecutive blocks
 * of (nearly) equal length, λ is estimated on each, and the standard error is the standard
 * deviation of the block estimates over √segments. Blocks much longer than the decorrelation time
 * make this honest; too few segments make the error bar itself noisy.
 */
public final class LyapunovTracker {
    private final RandomMap map;
    private final LyapunovConfig cfg;
    private boolean profiling;
    private Profile profile;

    /**
     * Wall time of the phases of the last {@link #run} (issue #6: the tracker's per-step cost broken
     * down): {@code stepSeconds[s]} is step s's {@link RandomMap#step} (the map's primal pass, its k
     * JVPs and its update), {@code qrSeconds[q]} the q-th {@link TallQr#factor}, {@code totalSeconds}
     * the whole loop; the rest (ln R_ii bookkeeping, snapshots) is total − Σ step − Σ qr. Each phase
     * is bracketed by {@link Backend#sync}, so asynchronous device work is charged to its own phase.
     */
    public record Profile(double[] stepSeconds, double[] qrSeconds, double totalSeconds) {
    }

    public LyapunovTracker(RandomMap map, LyapunovConfig cfg) {
        if (cfg.k() > map.dim()) {
            throw new IllegalArgumentException("lyapunov: k=" + cfg.k() + " exponents asked of a map of dimension " + map.dim());
        }
        this.map = map;
        this.cfg = cfg;
    }

    public LyapunovSpectrum run(Tensor x) {
        return run(x, null);
    }

    /**
     * Times every step and QR of the following runs ({@link #lastProfile}). It only adds device
     * synchronizations and clock reads around the phases; the numbers computed are the same.
     */
    public LyapunovTracker profiled() {
        profiling = true;
        return this;
    }

    /** The phase timings of the last run, or null when it was not {@link #profiled}. */
    public Profile lastProfile() {
        return profile;
    }

    /**
     * Runs burnIn + steps steps from state {@code x}, which is advanced in place (on return it is
     * the state at t0 + burnIn + steps). {@code listener}, if not null, gets the running estimate
     * after every QR of the measured phase.
     */
    public LyapunovSpectrum run(Tensor x, Consumer<LyapunovSpectrum.Snapshot> listener) {
        if (x.size != map.dim()) throw new IllegalArgumentException("lyapunov: state has " + x.size + " elements, the map has dimension " + map.dim());
        return run(x, randomOrthonormal(map.backend(), map, map.dim(), cfg.k(), cfg.seed()), listener);
    }

    /**
     * As {@link #run(Tensor, Consumer)}, from the given orthonormal tangents Q_0 (k, d) instead of the
     * seeded random ones; they are advanced in place. For Q_0 built on the device when k·d exceeds a
     * host array (the benchmarks of issue #6 on GPT-2 124M); the caller answers for orthonormality.
     */
    public LyapunovSpectrum run(Tensor x, Tensor tangents, Consumer<LyapunovSpectrum.Snapshot> listener) {
        if (x.size != map.dim()) throw new IllegalArgumentException("lyapunov: state has " + x.size + " elements, the map has dimension " + map.dim());
        Backend be = map.backend();
        int k = cfg.k();
        long d = map.dim();
        if (tangents.size != d * k) throw new IllegalArgumentException("lyapunov: Q_0 has " + tangents.size + " elements, k·d = " + d * k);
        TallQr qr = TallQr.create(cfg.qr(), be, map.dtype(), d, k, cfg.orthoBound());

        long blocks = cfg.steps() / cfg.qrInterval();
        int segments = cfg.segments();
        double[] total = new double[k];
        double[][] segSum = new double[segments][k];
        long[] segSteps = new long[segments];
        List<LyapunovSpectrum.Snapshot> history = new ArrayList<>();
        long qrCount = 0, secondPasses = 0, fallbacks = 0;
        double maxOrtho = Double.NaN;

        long all = cfg.burnIn() + cfg.steps();
        boolean prof = profiling;
        double[] stepS = prof ? new double[Math.toIntExact(all)] : null, qrS = prof ? new double[Math.toIntExact(all / cfg.qrInterval())] : null;
        long start = prof ? tick(be) : 0;
        profile = null;
        for (long s = 0; s < all; s++) {
            long t0 = prof ? tick(be) : 0;
            map.step(cfg.t0() + s, x, tangents, k);
            if (prof) stepS[(int) s] = (tick(be) - t0) * 1e-9;
            if ((s + 1) % cfg.qrInterval() != 0) continue;
            long q0 = prof ? tick(be) : 0;
            QrResult res = qr.factor(tangents);
            if (prof) qrS[(int) qrCount] = (tick(be) - q0) * 1e-9;
            qrCount++;
            if (res.path() == QrPath.HOUSEHOLDER_FALLBACK) fallbacks++;
            if (res.path() == QrPath.CHOLESKY_QR2) secondPasses++;
            if (!Double.isNaN(res.orthoError())) maxOrtho = Double.isNaN(maxOrtho) ? res.orthoError() : Math.max(maxOrtho, res.orthoError());
            if (s + 1 <= cfg.burnIn()) continue;

            double[] lr = res.logAbsDiag();
            for (double v : lr) {
                if (Double.isNaN(v) || Double.isInfinite(v)) {
                    throw new IllegalStateException("lyapunov: tangent vectors " + (v == Double.NEGATIVE_INFINITY
                            ? "contracted to zero (underflow, or a map singular along them)" : "overflowed or became NaN") + " at step "
                            + (cfg.t0() + s) + " (ln R_ii = " + v + "); use a smaller qrInterval (now " + cfg.qrInterval() + ")");
                }
            }
            long measured = s + 1 - cfg.burnIn();          // measured steps so far
            long block = measured / cfg.qrInterval() - 1;    // index of this QR among the measured ones
            int seg = (int) (block * segments / blocks);
            for (int i = 0; i < k; i++) {
                total[i] += lr[i];
                segSum[seg][i] += lr[i];
            }
            segSteps[seg] += cfg.qrInterval();
            boolean record = cfg.recordEvery() > 0 && measured % cfg.recordEvery() == 0;
            if (listener != null || record) {
                double time = measured * cfg.dt();
                double[] now = new double[k];
                for (int i = 0; i < k; i++) now[i] = total[i] / time;
                LyapunovSpectrum.Snapshot snap = new LyapunovSpectrum.Snapshot(measured, time, now);
                if (record) history.add(snap);
                if (listener != null) listener.accept(snap);
            }
        }

        if (prof) profile = new Profile(stepS, qrS, (tick(be) - start) * 1e-9);

        double time = cfg.steps() * cfg.dt();
        double[] lambda = new double[k];
        for (int i = 0; i < k; i++) lambda[i] = total[i] / time;
        double[][] segLambda = new double[segments][k];
        double[][] segPartial = new double[segments][k];
        double[] segKy = new double[segments];
        boolean kyFlagStable = true;
        KaplanYorke ky = KaplanYorke.of(lambda);
        for (int g = 0; g < segments; g++) {
            double acc = 0;
            for (int i = 0; i < k; i++) {
                segLambda[g][i] = segSum[g][i] / (segSteps[g] * cfg.dt());
                acc += segLambda[g][i];
                segPartial[g][i] = acc;
            }
            KaplanYorke kg = KaplanYorke.of(segLambda[g]);
            segKy[g] = kg.dimension();
            kyFlagStable &= kg.kTooSmall() == ky.kTooSmall();
        }
        double[] partial = new double[k];
        double acc = 0;
        for (int i = 0; i < k; i++) {
            acc += lambda[i];
            partial[i] = acc;
        }
        double[] se = new double[k], pse = new double[k];
        for (int i = 0; i < k; i++) {
            se[i] = batchMeansError(segLambda, i);
            pse[i] = batchMeansError(segPartial, i);
        }
        // No error bar where the segments disagree on whether k reaches a contracting volume, nor where
        // D_KY is only the lower bound k (k tracked exponents of a larger map, S_k >= 0): a bound has none.
        boolean bound = ky.kTooSmall() && k < map.dim();
        double kySe = kyFlagStable && !bound ? stdError(segKy) : Double.NaN;
        return new LyapunovSpectrum(lambda, se, partial, pse, segLambda, ky, kySe, List.copyOf(history),
                qrCount, secondPasses, fallbacks, maxOrtho, cfg);
    }

    /** The clock after the device has drained (profiling only). */
    private static long tick(Backend be) {
        be.sync();
        return System.nanoTime();
    }

    private static double batchMeansError(double[][] seg, int i) {
        double[] col = new double[seg.length];
        for (int g = 0; g < seg.length; g++) col[g] = seg[g][i];
        return stdError(col);
    }

    /** Standard error of the mean of {@code x}: sample standard deviation / √n. */
    static double stdError(double[] x) {
        int n = x.length;
        double m = 0;
        for (double v : x) m += v;
        m /= n;
        double ss = 0;
        for (double v : x) ss += (v - m) * (v - m);
        return Math.sqrt(ss / ((double) n * (n - 1)));
    }

    /**
     * Q_0: k orthonormal vectors of length d, the Q of a Gaussian (d, k) matrix (Haar-distributed
     * thanks to the R_ii &gt; 0 normalization), as a tensor of the map's dtype on its backend.
     */
    public static Tensor randomOrthonormal(Backend be, RandomMap map, long d, int k, long seed) {
        if (d * k > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("lyapunov: d*k=" + d * k + " too large for a host Q_0");
        SplittableRandom rng = new SplittableRandom(seed);
        double[] a = new double[(int) (d * k)];
        for (int i = 0; i < a.length; i++) a[i] = rng.nextGaussian();
        HouseholderQr.factorHost(a, (int) d, k);
        return be.fromDoubles(map.dtype(), a);
    }
}
