package eoslab.eos;

import eoslab.data.SeededRandom;

/**
 * Projected gradient descent attack in L∞ (Madry et al. 2018), model-agnostic: the model enters only
 * through {@link InputGradient}. Kwag et al. (2026), §5.2, report PGD accuracy at ε = 0.03, 10 steps,
 * step ε/4, on the 50 boundary test points of {@link Prototypes#boundaryTestPoints}.
 *
 * <p>Iteration, per example (rows do not interact as long as the model has no batch coupling, e.g.
 * no batch norm in training mode — true of every eoslab model):
 * <pre>
 *   x_0     = x                      (or x + U[−ε, ε]^d with a random start)
 *   x_{t+1} = clip( Π_{‖· − x‖∞ ≤ ε}( x_t + a · sign(∇_x ℓ(x_t)) ) )
 * </pre>
 * sign(0) = 0. The loss may be a sum or a mean over the batch: a positive factor does not change
 * the sign of the gradient.
 *
 * <p>Units and clipping: ε is in the units of x. eoslab's default image normalization
 * ({@link eoslab.data.Normalization#CENTER}) keeps [0, 1] pixel units, so the paper's ε = 0.03 applies
 * unchanged; under STANDARDIZE divide ε by the per-feature σ yourself. The valid input box is not
 * [0, 1] once the data are centred: pass {@code lower_j = −μ_j}, {@code upper_j = 1 − μ_j} (μ = the
 * train mean image) to keep the attack on real images, or null for no clipping (the default here,
 * since the paper's input-outliers are themselves not clipped).
 */
public final class Pgd {
    private Pgd() {
    }

    /** The model seen from its inputs. */
    @FunctionalInterface
    public interface InputGradient {
        /**
         * Loss of the batch at inputs x, and its gradient with respect to x.
         *
         * @param x  (n, features) inputs, read-only
         * @param y  (n) labels
         * @param dx (n, features) output: ∂loss/∂x
         * @return the loss (sum or mean over the batch)
         */
        double lossAndGrad(float[] x, int[] y, int n, float[] dx);
    }

    /**
     * @param eps         L∞ radius, in the units of x (paper: 0.03)
     * @param steps       iterations (paper: 10)
     * @param stepSize    a (paper: ε/4)
     * @param randomStart start from a uniform point of the ε-ball instead of x
     * @param seed        seed of the random start (unused without it)
     */
    public record Options(double eps, int steps, double stepSize, boolean randomStart, long seed) {
        public Options {
            if (!(eps >= 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("PGD: eps must be finite and >= 0, got " + eps);
            if (steps < 0) throw new IllegalArgumentException("PGD: steps must be >= 0, got " + steps);
            if (!(stepSize >= 0) || Double.isInfinite(stepSize)) throw new IllegalArgumentException("PGD: step size must be finite and >= 0, got " + stepSize);
        }

        /** The paper's attack: ε = 0.03, 10 steps, step ε/4, no random start. */
        public static Options paper() {
            return new Options(0.03, 10, 0.03 / 4, false, 0L);
        }

        public Options withRandomStart(long seed) {
            return new Options(eps, steps, stepSize, true, seed);
        }
    }

    /**
     * @param x    (n, features) adversarial inputs
     * @param loss loss at x_0 … x_steps (steps + 1 values; the last costs one extra gradient call)
     */
    public record Result(float[] x, double[] loss) {
    }

    /**
     * Attack the batch (x, y).
     *
     * @param x     (n, features) clean inputs, not modified
     * @param lower (features) per-feature lower bound of valid inputs, or null for none
     * @param upper (features) per-feature upper bound, or null for none
     */
    public static Result attack(float[] x, int[] y, int n, int features, InputGradient model, Options o, float[] lower, float[] upper) {
        if (features < 1 || n < 0 || x.length != (long) n * features) throw new IllegalArgumentException("PGD: x holds " + x.length + " values, expected n*features = " + (long) n * features);
        if (y.length != n) throw new IllegalArgumentException("PGD: " + y.length + " labels for " + n + " examples");
        if ((lower != null && lower.length != features) || (upper != null && upper.length != features)) throw new IllegalArgumentException("PGD: bounds must have one value per feature (" + features + ")");
        if (lower != null && upper != null) {
            for (int p = 0; p < features; p++) if (lower[p] > upper[p]) throw new IllegalArgumentException("PGD: lower bound above upper bound at feature " + p);
        }
        // the ε-ball as float bounds, intersected with the valid box: (n, features)
        float[] lo = new float[x.length], hi = new float[x.length];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < features; p++) {
                int q = i * features + p;
                float l = (float) (x[q] - o.eps()), h = (float) (x[q] + o.eps());
                if (lower != null) l = Math.max(l, lower[p]);
                if (upper != null) h = Math.min(h, upper[p]);
                if (l > h) throw new IllegalArgumentException("PGD: example " + i + " feature " + p + " lies outside the valid box by more than eps");
                lo[q] = l;
                hi[q] = h;
            }
        }
        float[] adv = x.clone();
        if (o.randomStart()) {
            SeededRandom r = new SeededRandom(o.seed());
            for (int q = 0; q < adv.length; q++) adv[q] = clamp((float) (adv[q] + o.eps() * (2 * r.nextDouble() - 1)), lo[q], hi[q]);
        } else {
            for (int q = 0; q < adv.length; q++) adv[q] = clamp(adv[q], lo[q], hi[q]);
        }
        float[] dx = new float[x.length];
        double[] loss = new double[o.steps() + 1];
        for (int t = 0; t < o.steps(); t++) {
            loss[t] = model.lossAndGrad(adv, y, n, dx);
            for (int q = 0; q < adv.length; q++) {
                float s = Math.signum(dx[q]); // sign(0) = 0: a feature the loss ignores does not move
                if (Float.isNaN(s)) throw new IllegalStateException("PGD: input gradient is NaN at step " + t + ", element " + q);
                adv[q] = clamp((float) (adv[q] + o.stepSize() * s), lo[q], hi[q]);
            }
        }
        loss[o.steps()] = model.lossAndGrad(adv, y, n, dx);
        return new Result(adv, loss);
    }

    /** {@link #attack(float[], int[], int, int, InputGradient, Options, float[], float[])} without clipping. */
    public static Result attack(float[] x, int[] y, int n, int features, InputGradient model, Options o) {
        return attack(x, y, n, features, model, o, null, null);
    }

    private static float clamp(float v, float lo, float hi) {
        return Math.min(hi, Math.max(lo, v));
    }
}
