/**
 * Data-side pieces of the edge-of-stability branching experiments of Kwag et al. (2026),
 * "Edge of Stability Selectively Shapes Learning Across the Data Distribution" (SPEC §5):
 * <ul>
 *   <li>{@link eoslab.eos.Prototypes}: the prototype taxonomy of §2.3 (inliers, boundary points,
 *       input-outliers, output-outliers; 25 per class per group) and its App. D random-direction
 *       control, as a modified training set plus a {@link eoslab.eos.PrototypeSet} that both
 *       branches of an experiment load from one JSON file; test-side helpers of §5.2 (boundary
 *       test points, input-outliers at α_test);</li>
 *   <li>{@link eoslab.eos.Knn}: exact k-NN in input space (the boundary group's label ambiguity);</li>
 *   <li>{@link eoslab.eos.Centroids} and {@link eoslab.eos.Stats}: centroid distances and Spearman ρ
 *       for the natural-outlier analysis of §4.3 / App. E, quantiles for medians and IQRs;</li>
 *   <li>{@link eoslab.eos.Pgd}: the model-agnostic L∞ PGD attack of §5.2.</li>
 * </ul>
 * These know nothing about networks: models enter through callbacks, data through
 * {@link eoslab.data.Dataset}. The model-facing analyses built on them take an {@link eoslab.nn.Model}
 * (or {@link eoslab.nn.Objective}) and its weights:
 * <ul>
 *   <li>{@link eoslab.eos.Robustness}: PGD accuracy on the boundary test points and the OOD loss
 *       curve over α_test (§5.2, Figs. 9–10);</li>
 *   <li>{@link eoslab.eos.NaturalOutliers}: per-example cos²(∇ℓ_i, v_1) over the training set and
 *       its Spearman ρ with centroid distance (§4.3, App. E).</li>
 * </ul>
 */
package eoslab.eos;
