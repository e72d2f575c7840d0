/**
 * Scaling laws from sweep results, after Hoffmann et al. 2022 ("Chinchilla") and the replication
 * of Besiroglu et al. 2024.
 *
 * <ul>
 *   <li>{@link io.ringtrain.scaling.ScalingLawFit}: approach 3. L(N, D) = E + A/N^alpha +
 *       B/D^beta in the log-sum-exp parametrisation, Huber loss (delta 1e-3) on log-loss
 *       residuals, a small L-BFGS of our own with a strong-Wolfe line search and analytic
 *       gradients, run from the 4500 grid starts of Hoffmann et al. with an iteration cap; the 8
 *       best runs are then polished to tight tolerances. Bootstrap intervals refit each resample
 *       (drawn up front from one seed, as point multiplicities) from the optimum and the 4 best
 *       grid starts. On the reconstructed Chinchilla points it reproduces the replication's
 *       published fit (see ChinchillaFitTest).
 *   <li>{@link io.ringtrain.scaling.IsoFlopFit}: approach 2. Runs are grouped into budgets by
 *       FLOPs (1% relative by default) or by an explicit budget; each budget with 3+ model sizes
 *       gets a least-squares parabola of loss in ln N; budgets whose parabola has no minimum, or
 *       whose minimum lies outside the sampled sizes, are skipped with the reason, because an
 *       extrapolated vertex is not a measurement. N_opt and D_opt power laws are fitted in
 *       log-log space.
 *   <li>{@link io.ringtrain.scaling.ComputeOptimal}: the closed-form compute-optimal split under
 *       C = 6ND, for a budget in FLOPs or in hours at a measured FLOP/s.
 *   <li>{@link io.ringtrain.scaling.ResultsCsv}: sweep results in, with column mapping and errors
 *       that name the line and the column.
 * </ul>
 *
 * <p>Ill-posed fits (fewer than 5 points, one model size, one token count) and failed fits
 * throw {@link io.ringtrain.scaling.FitException}; bad input throws IllegalArgumentException.
 */
package io.ringtrain.scaling;
