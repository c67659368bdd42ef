package eoslab.backend;

/**
 * The scalars of one AdamW step (Loshchilov &amp; Hutter 2019; {@link eoslab.optim.AdamW}) for
 * {@link Backend#adamwUpdate} and {@link Backend#adamwTangents}: learning rate η, β₁, β₂, ε, decoupled
 * weight decay λ, and the bias corrections c₁ = 1 − β₁ˢ, c₂ = 1 − β₂ˢ at PyTorch's step count s
 * (s = t + 1 for the 0-based step t; {@link #atStep}). A record, not seven doubles in a row, so that
 * no call site can swap two of them.
 *
 * <p>The methods below are the per-element arithmetic of both ops, in float64, as scalar
 * references: CpuBackend calls them, and kernels/optim.cu writes the same expressions in the same
 * order (no FMA: the kernels are built with --fmad=false), so CPU and GPU give the same bits.
 */
public record AdamWCoefficients(double lr, double beta1, double beta2, double eps, double weightDecay, double c1, double c2) {

    public AdamWCoefficients {
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("AdamW learning rate must be a positive number, got " + lr);
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("AdamW beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("AdamW beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("AdamW eps must be > 0, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("AdamW weight decay must be >= 0, got " + weightDecay);
        if (!(c1 > 0 && c1 <= 1)) throw new IllegalArgumentException("AdamW bias correction c1 must be in (0, 1], got " + c1);
        if (!(c2 > 0 && c2 <= 1)) throw new IllegalArgumentException("AdamW bias correction c2 must be in (0, 1], got " + c2);
    }

    /** The coefficients of the 0-based step t: c₁ = 1 − β₁^(t+1), c₂ = 1 − β₂^(t+1). */
    public static AdamWCoefficients atStep(long t, double lr, double beta1, double beta2, double eps, double weightDecay) {
        if (t < 0) throw new IllegalArgumentException("AdamW step must be >= 0, got " + t);
        double s = t + 1;
        return new AdamWCoefficients(lr, beta1, beta2, eps, weightDecay, 1 - Math.pow(beta1, s), 1 - Math.pow(beta2, s));
    }

    /** m' = β₁ m + (1 − β₁) g. */
    public double mNew(double m, double g) {
        return beta1 * m + (1 - beta1) * g;
    }

    /** v' = β₂ v + (1 − β₂) g ⊙ g. */
    public double vNew(double v, double g) {
        return beta2 * v + (1 - beta2) * g * g;
    }

    /** w' = (1 − ηλ) w − η m̂ / p with m̂ = m'/c₁, p = √(v'/c₂) + ε. */
    public double wNew(double w, double mNew, double vNew) {
        double p = Math.sqrt(vNew / c2) + eps;
        return (1 - lr * weightDecay) * w - lr * (mNew / c1) / p;
    }

    /** δm' = β₁ δm + (1 − β₁) H δw. */
    public double dmNew(double dm, double hdw) {
        return beta1 * dm + (1 - beta1) * hdw;
    }

    /** δv' = β₂ δv + 2(1 − β₂) g ⊙ H δw. */
    public double dvNew(double dv, double g, double hdw) {
        return beta2 * dv + 2 * (1 - beta2) * g * hdw;
    }

    /**
     * δw' = (1 − ηλ) δw − η [ δm'/(c₁ p) − m̂ ⊙ δv'/(2 c₂ √v̂ p²) ] with v̂ = v'/c₂; the second term
     * is dropped where v̂ = 0 (√ is not differentiable there) and always with {@code freeze}.
     */
    public double dwNew(double dw, double dmNew, double dvNew, double mNew, double vNew, boolean freeze) {
        double sq = Math.sqrt(vNew / c2), p = sq + eps;
        double r = (1 - lr * weightDecay) * dw - lr * dmNew / (c1 * p);
        if (!freeze && sq > 0) r += lr * (mNew / c1) * dvNew / (2 * c2 * sq * p * p);
        return r;
    }
}
