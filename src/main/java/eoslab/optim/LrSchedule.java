package eoslab.optim;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The learning rate η_t of step t (0-based): an optional linear warmup, then either constant η or a
 * cosine decay to a floor, as karpathy/llm.c's {@code train_gpt2.cu} and nanoGPT's {@code get_lr} do:
 * <pre>
 *   t &lt; W:       η_t = η (t + 1)/W                                  (llm.c: step 0 already moves)
 *   constant:    η_t = η                                            (t ≥ W)
 *   cosine:      η_t = η_min + ½(1 + cos(π (t − W)/(D − W))) (η − η_min)   (W ≤ t &lt; D)
 *                η_t = η_min                                        (t ≥ D)
 * </pre>
 * η_t is a pure function of t and this record, so the optimizer map φ(1, θ^t ω, ·) stays a function of
 * (t, ω) and a run resumed at any step repeats the same η_t bit for bit (SPEC §1). The optimizer map is
 * then non-autonomous in t through η_t as well as through B_t; the Lyapunov tracker and the cocycle
 * property are unaffected, since both already index the map by t.
 *
 * <p>Error messages name the command-line options ({@code --lr}, {@code --warmup-steps}, {@code --min-lr},
 * {@code --decay-steps}) because these values come from there.
 *
 * @param kind        {@link Kind#CONSTANT} or {@link Kind#COSINE}
 * @param peak        η, the rate after warmup (the --lr)
 * @param warmupSteps W ≥ 0; 0 = no warmup
 * @param minLr       η_min, the floor of the cosine, in (0, η]; unused (0) for constant
 * @param decaySteps  D, the step at which the cosine reaches η_min, &gt; W; unused (0) for constant
 */
public record LrSchedule(Kind kind, double peak, long warmupSteps, double minLr, long decaySteps) {
    public enum Kind {
        CONSTANT, COSINE;

        public String label() { return name().toLowerCase(Locale.ROOT); }

        public static Kind parse(String s) {
            for (Kind k : values()) if (k.label().equals(s)) return k;
            throw new IllegalArgumentException("--lr-schedule must be constant or cosine, got '" + s + "'");
        }
    }

    public LrSchedule {
        if (kind == null) throw new IllegalArgumentException("--lr-schedule must be constant or cosine");
        if (!(peak > 0) || Double.isInfinite(peak)) throw new IllegalArgumentException("--lr must be a positive number, got " + peak);
        if (warmupSteps < 0) throw new IllegalArgumentException("--warmup-steps must be >= 0, got " + warmupSteps);
        if (kind == Kind.COSINE) {
            // a floor of 0 would make η_t = 0 at t ≥ D: the update is then the identity and the threshold 2/η infinite
            if (!(minLr > 0 && minLr <= peak)) {
                throw new IllegalArgumentException("--min-lr must be in (0, --lr = " + peak + "], got " + minLr);
            }
            if (decaySteps <= warmupSteps) {
                throw new IllegalArgumentException("--warmup-steps " + warmupSteps + " must be smaller than the cosine's decay horizon "
                        + decaySteps + " (--decay-steps, default --steps)");
            }
        }
    }

    /** η at every step. */
    public static LrSchedule constant(double lr) {
        return new LrSchedule(Kind.CONSTANT, lr, 0, 0, 0);
    }

    public boolean isConstant() {
        return kind == Kind.CONSTANT && warmupSteps == 0;
    }

    /** η_t (see the class comment); exactly {@link #peak} for every t of a constant schedule without warmup. */
    public double lr(long t) {
        if (isConstant()) return peak;   // also for t < 0 (a pullback ensemble may start before step 0)
        if (t < 0) throw new IllegalArgumentException("a learning-rate schedule starts at step 0, asked for step " + t);
        if (t < warmupSteps) return peak * (t + 1) / warmupSteps;
        if (kind == Kind.CONSTANT) return peak;
        if (t >= decaySteps) return minLr;
        double ratio = (double) (t - warmupSteps) / (decaySteps - warmupSteps);
        return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (peak - minLr);
    }

    /**
     * Σ_{s&lt;t} η_s, the "time" η·t of the paper's plots (Kwag et al., SPEC §5) for a varying rate;
     * exactly η·t for a constant schedule.
     */
    public double elapsed(long t) {
        if (isConstant()) return peak * t;
        double s = 0;
        for (long i = 0; i < t; i++) s += lr(i);
        return s;
    }

    /** The same shape with peak η' and the floor scaled by η'/η (a sweep's learning-rate axis, a branch's cη). */
    public LrSchedule withPeak(double newPeak) {
        return new LrSchedule(kind, newPeak, warmupSteps, kind == Kind.COSINE ? minLr * (newPeak / peak) : minLr, decaySteps);
    }

    /** For config files and logs. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lr_schedule", kind.label());
        m.put("lr", peak);
        m.put("warmup_steps", warmupSteps);
        if (kind == Kind.COSINE) {
            m.put("min_lr", minLr);
            m.put("decay_steps", decaySteps);
        }
        return m;
    }

    /** One line: "constant η=0.003" or "warmup 10 steps, cosine η=0.003 → 0.0003 at step 300". */
    public String describe() {
        String w = warmupSteps > 0 ? "warmup " + warmupSteps + " steps, " : "";
        return w + (kind == Kind.CONSTANT ? "constant η=" + fmt(peak)
                : "cosine η=" + fmt(peak) + " → " + fmt(minLr) + " at step " + decaySteps);
    }

    private static String fmt(double x) {
        return String.format(Locale.ROOT, "%.4g", x).replaceAll("\\.?0+(e|$)", "$1");
    }
}
