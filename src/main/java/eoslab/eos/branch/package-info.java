/**
 * The edge-of-stability branching experiment of Kwag et al. (2026), "Edge of Stability Selectively
 * Shapes Learning Across the Data Distribution", §3 and App. A.3 (SPEC §5):
 * <ul>
 *   <li>{@link eoslab.eos.branch.BranchRun}: one seed — the baseline at η on the prototype-modified
 *       training set, the fork checkpoint at t* (first logged λ_1 ≥ threshold), the exit branch at cη
 *       resumed from it, t**; diagnostics on one shared grid;</li>
 *   <li>{@link eoslab.eos.branch.GroupProbe}: per-group ℓ_k, cos²θ_k, curvature influence (∇ℓ_k·v_1)²,
 *       the selector Q_k = ⟨∇ℓ_k, ∇³L[v_1, v_1]⟩ (central difference of two HVPs), R_k, α, β;</li>
 *   <li>{@link eoslab.eos.branch.GridRecord}: one line of baseline.jsonl / exit.jsonl;</li>
 *   <li>{@link eoslab.eos.branch.BranchSummary} and {@link eoslab.eos.branch.BranchFigures}: medians
 *       and IQRs over seeds, the summary table (sign and size of Δℓ_k, most influential group at t*,
 *       whether it is the beneficiary), the Fig. 4–7-style PNGs;</li>
 *   <li>optional analyses: the natural-outlier correlation of §4.3 on the baseline grid
 *       ({@code BranchRun.naturalLine}, {@code natural.jsonl}) and the test-time consequences of §5.2,
 *       PGD accuracy and OOD loss at t** and the end ({@code BranchRobustness});</li>
 *   <li>{@link eoslab.eos.branch.BranchExperiment}: all seeds end to end, and the report from files;</li>
 *   <li>{@link eoslab.eos.branch.BranchConfig}: the validated configuration and the cpu / paper presets.</li>
 * </ul>
 * The CLI is {@code eoslab branch} ({@link eoslab.cli.BranchCommand}).
 */
package eoslab.eos.branch;
