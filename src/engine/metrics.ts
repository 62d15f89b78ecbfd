/** Phase metrics of a reconstruction against the data set's ground truth, when it has one. */
import type { ComplexArray, Dataset } from "../data/dataset.ts";
import { phasePsnr, phaseSsim, projectSlices, scannedArea } from "../metrics/mod.ts";

/** Phase PSNR (dB) and SSIM over the scanned area. */
export interface PhaseMetrics {
  phasePsnrDb: number;
  phaseSsim: number;
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
  return { phasePsnrDb: phasePsnr(comparison), phaseSsim: phaseSsim(comparison) };
}
