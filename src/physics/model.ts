/**
 * The physics shared by the device engine and the float64 reference model: the noise models of
 * the cost and the constants both compute with. Production code takes them from here, never from
 * the test oracles (`reference.ts`, `reference_problem.ts`), which import them too.
 *
 * @module
 */

/** The noise model of the cost. */
export type NoiseModel = "poisson" | "gaussian";

/**
 * Added to the model intensity inside `log` (Poisson) and `sqrt` (Gaussian), so a dark model pixel
 * gives a finite cost and gradient. Counts are photons or electrons, so 0.1 is below one count.
 * It is not smaller because the Poisson gradient on a dark pixel is about -d Psi / eps: with
 * 1e-6, float32 rounding in Psi was multiplied by ~1e6 d, and from a flat start two runs that
 * differ only in batch size drifted apart by 2.6e-3 (relative L2) in 3 gd iterations; with 0.1,
 * by 1e-6 (frame 64, 400 positions, siemens preset).
 */
export const INTENSITY_EPSILON = 0.1;

/**
 * Weight of the preconditioner's floor: 1 / (illumination + PRECONDITIONER_FLOOR * max), so dim
 * pixels at the scan's edge do not get unbounded steps.
 */
export const PRECONDITIONER_FLOOR = 1e-2;

/** RAAR's relaxation when none is given (DESIGN section 7, `--raar-beta`). */
export const DEFAULT_RAAR_BETA = 0.75;

/**
 * The probe support of `dm` and `raar` when none is given: none (null). A centred disc holding
 * a fraction of the frame's area (PtyPy's `probe_support`, 0.7 there) cut the tails of
 * `simulate`'s probes, which hold 1 % of their power outside it, and the R-factor rose from 0.03
 * to 0.2 at the first probe update (frame 64, 1e8 photons, true probe).
 */
export const DEFAULT_PROBE_SUPPORT: number | null = null;
