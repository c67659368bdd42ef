/**
 * Curvature solvers on a symmetric {@link eoslab.curvature.LinearOperator}, knowing nothing about
 * networks (STYLE principle 8): {@link eoslab.curvature.Lanczos} top-k eigenpairs with warm start and
 * a {@link eoslab.curvature.PowerIteration} fallback, {@link eoslab.curvature.Hutchinson} trace,
 * {@link eoslab.curvature.Slq} spectral density, {@link eoslab.curvature.BatchSharpness} over a
 * {@link eoslab.curvature.MinibatchCurvature}, and {@link eoslab.curvature.DenseOperator} as the test
 * double. Vectors live on the operator's backend; scalar coefficients are accumulated in float64
 * on the host.
 */
package eoslab.curvature;
