package eoslab.sd;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one-step Jacobian J of the training map as a function of one eigenvalue α of the minibatch
 * Hessian H_B, which is all the SD estimators need (SPEC §1, §3). H_B = Q diag(α) Qᵀ makes J block
 * diagonal in Q, so the singular values of J are the union over eigenvalues of the singular values
 * of a 1×1 (SGD) or 2×2 (heavy ball) block; a curvature measure Σ m δ(α) maps atom by atom to a
 * measure of log singular values z.
 * <ul>
 *   <li>SGD (β = 0), with L2 weight decay λ: J = I − η(H_B + λI), σ = |1 − η(α + λ)| (Tuci et al.'s
 *       form; λ = 0 gives the paper's |1 − ηα|). One z per α: the spectrum has d exponents.</li>
 *   <li>Heavy ball (β &gt; 0, {@link eoslab.optim.Momentum}): state (w, m) of size 2d and
 *       J = [[I − ηa, −ηβ I], [a, β I]] with a = H_B + λI. Per eigenvalue, the 2×2 block
 *       [[1 − ηa, −ηβ], [a, β]] has |det| = β and ‖·‖_F² = S = (1 − ηa)² + η²β² + a² + β², so
 *       σ_1² = (S + √(S² − 4β²))/2 and σ_2 = β/σ_1. Two z per α: 2d exponents, and SD is a dimension in
 *       the 2d-dimensional state space. These singular values depend on how the optimizer scales m
 *       (here PyTorch's buffer convention, m' = βm + ∇L); the SGD form is what Tuci et al. report.</li>
 * </ul>
 *
 * @param lr          η
 * @param momentum    β; 0 = plain SGD (the state is w alone)
 * @param weightDecay λ
 */
public record UpdateJacobian(double lr, double momentum, double weightDecay) {
    public UpdateJacobian {
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("sd: learning rate must be a positive number, got " + lr);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("sd: momentum must be in [0, 1), got " + momentum);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw new IllegalArgumentException("sd: weight decay must be >= 0, got " + weightDecay);
    }

    /** Plain SGD, σ = |1 − ηα|: the form of Tuci et al. */
    public static UpdateJacobian sgd(double lr) {
        return new UpdateJacobian(lr, 0, 0);
    }

    /** Singular values of J per eigenvalue of H_B: 1 for SGD, 2 for heavy ball. */
    public int perEigenvalue() {
        return momentum > 0 ? 2 : 1;
    }

    /** Dimension of the state whose Jacobian this is, for a model with d parameters. */
    public long stateDim(long d) {
        return d * perEigenvalue();
    }

    /** The singular values of J's block for eigenvalue α, descending, into out[at..]. */
    public void singularValues(double alpha, double[] out, int at) {
        double a = alpha + weightDecay;
        if (momentum == 0) {
            out[at] = Math.abs(1 - lr * a);
            return;
        }
        double b = momentum, p = 1 - lr * a, q = lr * b;
        double s = p * p + q * q + a * a + b * b;
        double disc = Math.sqrt(Math.max(0, (s - 2 * b) * (s + 2 * b))); // √(S² − 4β²), no cancellation in the product
        double s1 = Math.sqrt(0.5 * (s + disc));
        out[at] = s1;
        out[at + 1] = b / s1; // |det| / σ_1: accurate even when σ_2 ≪ σ_1
    }

    /** z = ln(σ + ε) for each singular value of α's block, into out[at..]. */
    public void logSigmas(double alpha, double eps, double[] out, int at) {
        singularValues(alpha, out, at);
        for (int i = 0; i < perEigenvalue(); i++) out[at + i] = logOf(out[at + i], eps, alpha);
    }

    static double logOf(double sigma, double eps, double alpha) {
        if (sigma + eps == 0) {
            throw new IllegalArgumentException("sd: a singular value of the update Jacobian is exactly 0 (eigenvalue " + alpha
                    + "); ln 0 = −∞ — use --eps > 0");
        }
        return Math.log(sigma + eps);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lr", lr);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("form", momentum > 0 ? "heavy-ball 2d-state Jacobian [[I-eta(H+wd), -eta*beta],[H+wd, beta]]" : "|1 - eta*(alpha + wd)|");
        return m;
    }
}
