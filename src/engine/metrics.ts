/** Phase metrics of a reconstruction against the data set's ground truth, when it has one. */
import type { ComplexArray, Dataset } from "../data/dataset.ts";
import { phasePsnr, phaseSsim, projectSlices, scannedArea } from "../metrics/mod.ts";

/** Phase PSNR (dB) and SSIM over the scanned area. */
export interface PhaseMetrics {
  phasePsnrDb: number;
  phaseSsim: number;
  /** With the true positions known: the RMS error of the measured and of the refined ones. */
  positionErrorRmsPx?: { measured: number; refined: number };
  /** With the true positions known: the largest error of the measured and of the refined ones. */
  positionErrorMaxPx?: { measured: number; refined: number };
}

/**
 * The RMS distance (pixels) of positions from the true ones, their mean difference (a common
 * shift, which the data cannot see) removed.
 */
export function positionErrorRms(
  positions: { y: ArrayLike<number>; x: ArrayLike<number> },
  truth: { y: ArrayLike<number>; x: ArrayLike<number> },
): number {
  const errors = positionErrors(positions, truth);
  return Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length);
}

/** The largest distance (pixels) of a position from its true place, as {@link positionErrorRms}. */
export function positionErrorMax(
  positions: { y: ArrayLike<number>; x: ArrayLike<number> },
  truth: { y: ArrayLike<number>; x: ArrayLike<number> },
): number {
  return positionErrors(positions, truth).reduce((a, e) => Math.max(a, e), 0);
}

/** Each position's distance (pixels) from its true place, the common shift removed. */
function positionErrors(
  positions: { y: ArrayLike<number>; x: ArrayLike<number> },
  truth: { y: ArrayLike<number>; x: ArrayLike<number> },
): number[] {
  const n = truth.y.length;
  const dy = Array.from({ length: n }, (_, j) => positions.y[j] - truth.y[j]);
  const dx = Array.from({ length: n }, (_, j) => positions.x[j] - truth.x[j]);
  const my = dy.reduce((a, v) => a + v, 0) / n, mx = dx.reduce((a, v) => a + v, 0) / n;
  return Array.from({ length: n }, (_, j) => Math.hypot(dy[j] - my, dx[j] - mx));
}

/**
 * Compares the projected transmission (the product of all slices, so a reconstruction with a
 * different number of slices than the truth is still comparable) of `object` with the ground
 * truth's, over the pixels the probe illuminates. Undefined without a ground truth or when the
 * object planes differ in size.
 */
export function metricsOf(
  dataset: Dataset,
  object: ComplexArray,
  probe: ComplexArray,
  refined?: { y: Float64Array; x: Float64Array },
): PhaseMetrics | undefined {
  const truth = dataset.groundTruth;
  if (!truth) return undefined;
  const [h, w] = dataset.objectShape;
  if (
    truth.shape[1] !== h || truth.shape[2] !== w || object.shape[1] !== h || object.shape[2] !== w
  ) {
    return undefined;
  }
  const comparison = {
    reconstruction: projectSlices(object.data, object.shape[0], h * w),
    truth: projectSlices(truth.data, truth.shape[0], h * w),
    shape: [h, w] as [number, number],
    mask: scannedArea({
      frame: dataset.frame,
      objectShape: [h, w],
      positionsX: dataset.positionsX,
      positionsY: dataset.positionsY,
      probe: probe.data,
    }),
  };
  const metrics: PhaseMetrics = {
    phasePsnrDb: phasePsnr(comparison),
    phaseSsim: phaseSsim(comparison),
  };
  const truePositions = dataset.truePositions;
  if (truePositions) {
    const measured = { y: dataset.positionsY, x: dataset.positionsX };
    metrics.positionErrorRmsPx = {
      measured: positionErrorRms(measured, truePositions),
      refined: positionErrorRms(refined ?? measured, truePositions),
    };
    metrics.positionErrorMaxPx = {
      measured: positionErrorMax(measured, truePositions),
      refined: positionErrorMax(refined ?? measured, truePositions),
    };
  }
  return metrics;
}
