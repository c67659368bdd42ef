package eoslab.dynamics;

import eoslab.dynamics.qr.QrMethod;

/**
 * Settings of a Benettin/QR run (SPEC §4). Time is counted in map steps; {@code dt} converts to
 * the time unit the exponents are reported in (1 for maps, the integrator step for flows).
 *
 * @param k           number of tangent vectors (exponents tracked), 1 ≤ k ≤ dim
 * @param steps       measured steps after burn-in; a multiple of qrInterval
 * @param burnIn      steps run first (with QR, without accumulation) so Q aligns with the
 *                    Oseledets directions; a multiple of qrInterval
 * @param qrInterval  steps between orthonormalizations; larger is cheaper, but the tangents grow
 *                    like exp(λ_1·qrInterval) and collapse onto the top direction in between
 * @param segments    batch-means segments for the error bars (≥ 2, ≤ steps/qrInterval)
 * @param seed        seed of the random orthonormal Q_0
 * @param dt          time per map step (exponents are per unit of this time), &gt; 0
 * @param t0          noise index of the first step: step s reads θ^{t0+s} ω
 * @param recordEvery steps between recorded running estimates (a multiple of qrInterval; 0 = none)
 * @param qr          which thin QR orthonormalizes the tangents
 * @param orthoBound  ‖QᵀQ − I‖_F above which CholeskyQR2 falls back (NaN = per-dtype default)
 */
public record LyapunovConfig(int k, long steps, long burnIn, int qrInterval, int segments, long seed,
                             double dt, long t0, long recordEvery, QrMethod qr, double orthoBound) {
    public LyapunovConfig {
        if (k < 1) throw new IllegalArgumentException("lyapunov: k (number of exponents) must be >= 1, got " + k);
        if (qrInterval < 1) throw new IllegalArgumentException("lyapunov: qrInterval must be >= 1, got " + qrInterval);
        if (steps < 1 || steps % qrInterval != 0) {
            throw new IllegalArgumentException("lyapunov: steps must be a positive multiple of qrInterval=" + qrInterval + ", got " + steps);
        }
        if (burnIn < 0 || burnIn % qrInterval != 0) {
            throw new IllegalArgumentException("lyapunov: burnIn must be a non-negative multiple of qrInterval=" + qrInterval + ", got " + burnIn);
        }
        if (segments < 2 || segments > steps / qrInterval) {
            throw new IllegalArgumentException("lyapunov: segments must be in [2, steps/qrInterval=" + steps / qrInterval
                    + "] for batch-means error bars, got " + segments);
        }
        if (!(dt > 0) || !Double.isFinite(dt)) throw new IllegalArgumentException("lyapunov: dt must be a positive time per step, got " + dt);
        if (recordEvery < 0 || recordEvery % qrInterval != 0) {
            throw new IllegalArgumentException("lyapunov: recordEvery must be 0 or a multiple of qrInterval=" + qrInterval + ", got " + recordEvery);
        }
        if (qr == null) throw new IllegalArgumentException("lyapunov: qr method is required");
        if (!Double.isNaN(orthoBound) && !(orthoBound > 0)) {
            throw new IllegalArgumentException("lyapunov: orthoBound must be > 0 (or NaN for the default), got " + orthoBound);
        }
    }

    /**
     * k exponents over {@code steps} measured steps after {@code burnIn}: QR every step, 10
     * segments, seed 0, dt = 1, t0 = 0, no history, CholeskyQR2 with the default bound.
     */
    public static LyapunovConfig of(int k, long steps, long burnIn) {
        return new LyapunovConfig(k, steps, burnIn, 1, 10, 0L, 1.0, 0L, 0L, QrMethod.CHOLESKY_QR2, Double.NaN);
    }

    public LyapunovConfig withQrInterval(int n) {
        return new LyapunovConfig(k, steps, burnIn, n, segments, seed, dt, t0, recordEvery, qr, orthoBound);
    }

    public LyapunovConfig withSegments(int n) {
        return new LyapunovConfig(k, steps, burnIn, qrInterval, n, seed, dt, t0, recordEvery, qr, orthoBound);
    }

    public LyapunovConfig withSeed(long s) {
        return new LyapunovConfig(k, steps, burnIn, qrInterval, segments, s, dt, t0, recordEvery, qr, orthoBound);
    }

    public LyapunovConfig withDt(double h) {
        return new LyapunovConfig(k, steps, burnIn, qrInterval, segments, seed, h, t0, recordEvery, qr, orthoBound);
    }

    public LyapunovConfig withT0(long t) {
        return new LyapunovConfig(k, steps, burnIn, qrInterval, segments, seed, dt, t, recordEvery, qr, orthoBound);
    }

    public LyapunovConfig withRecordEvery(long n) {
        return new LyapunovConfig(k, steps, burnIn, qrInterval, segments, seed, dt, t0, n, qr, orthoBound);
    }

    public LyapunovConfig withQr(QrMethod m) {
        return new LyapunovConfig(k, steps, burnIn, qrInterval, segments, seed, dt, t0, recordEvery, m, orthoBound);
    }

    public LyapunovConfig withOrthoBound(double b) {
        return new LyapunovConfig(k, steps, burnIn, qrInterval, segments, seed, dt, t0, recordEvery, qr, b);
    }
}
