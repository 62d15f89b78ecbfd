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
 * Added to the model intensity inside the Gaussian cost's `sqrt`, so a dark model pixel gives a
 * finite gradient. Counts are photons or electrons, so 0.1 is below one count. It is not smaller
 * because the gradient on a dark pixel grows as 1 / sqrt(I + eps): the Poisson cost's, when it
 * was guarded alike (log(I + eps)), is about -d Psi / eps, and with 1e-6 float32 rounding in Psi
 * was multiplied by ~1e6 d: from a flat start two runs that differed only in batch size drifted
 * apart by 2.6e-3 (relative L2) in 3 gd iterations; with 0.1, by 1e-6 (frame 64, 400 positions,
 * siemens preset). The Poisson cost now has its floor instead ({@link POISSON_FLOOR}).
 */
export const INTENSITY_EPSILON = 0.1;

/**
 * The Poisson cost's floor c, in counts: per detector pixel the likelihood's own I - d log I at
 * and above c, and below it log I continued by its second-order Taylor polynomial at c,
 * log c + t - t^2 / 2 with t = (I - c) / c (value, slope and curvature continuous at c), so the
 * cost and its gradient stay finite on dark pixels without biasing bright ones (see
 * {@link poissonPixel}; DESIGN section 6, "The Poisson cost's floor").
 */
export const POISSON_FLOOR = 2.75;

/**
 * The Poisson cost of one detector pixel of model intensity I and count d under the floor c
 * ({@link POISSON_FLOOR}), in float64, and its gradient factor dF/dI (the Wirtinger gradient with
 * respect to conj(Psi_k) is the factor times Psi_k): I - d L(I) and 1 - d L'(I), with L = log at
 * and above c and its Taylor polynomial below. Where d = 0: I and 1. The device computes the same
 * less d - d log d (`wgsl/cost.wgsl`); its minimiser is I = d for d >= c and max(0, 2c - c^2 / d)
 * below.
 */
export function poissonPixel(intensity: number, d: number, c = POISSON_FLOOR): [number, number] {
  if (!(d > 0)) return [intensity, 1];
  if (intensity >= c) return [intensity - d * Math.log(intensity), 1 - d / intensity];
  const t = (intensity - c) / c;
  return [intensity - d * (Math.log(c) + t - t * t / 2), 1 - d * (1 - t) / c];
}

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
