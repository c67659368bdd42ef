/**
 * The sharpness dimension of Tuci et al. (2026), "Generalization at the Edge of Stability" (SPEC §3),
 * and the generalization study built on it.
 * <ul>
 *   <li>{@link eoslab.sd.SharpnessDimension}: SD of exponents or weighted atoms (Defs. 4.1–4.2).</li>
 *   <li>{@link eoslab.sd.SdEstimators}: the EXACT, SLQ, KDE and PS estimators at a point w, from
 *       minibatch Hessians B_t = f(seed, t) ({@link eoslab.sd.SdOptions}, {@link eoslab.sd.SdEstimate}).</li>
 *   <li>{@link eoslab.sd.UpdateJacobian}: which Jacobian's singular values enter — the paper's SGD form
 *       |1 − η(α + λ_wd)| by default, or the heavy-ball Jacobian on the 2d state (w, m).</li>
 *   <li>{@link eoslab.sd.GeneralizationBound}: the computable terms of Thm 4.5 (I_∞ and C are omitted).</li>
 *   <li>{@link eoslab.sd.Kendall}: Kendall τ_b and the granulated ψ_LR, ψ_BS, Ψ of Jiang et al. (2019).</li>
 *   <li>{@link eoslab.sd.CheckpointAnalysis} and {@link eoslab.sd.Sweep}: one trained state, and the
 *       (η, b) grid study (CLI: {@code eoslab sd}, {@code eoslab sweep}).</li>
 * </ul>
 * ε: every estimator uses z = ln(σ + ε) (default ε = 1e-8; ε = 0 is allowed and a σ that is exactly
 * 0 is then an error). It guards the logarithm at ηα = 1 and changes z only where σ ≲ ε.
 */
package eoslab.sd;
