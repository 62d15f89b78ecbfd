/** The initial probe of a run: the file's illumination, or one estimated from the frames. */
import type { ComplexArray, Dataset } from "../data/dataset.ts";
import { fft2Reference, fftshift2 } from "../fft/reference.ts";

/** Frames read per batch while averaging, bounding host memory for large files. */
const BATCH = 256;

/**
 * The probe to start from, K x M x M complex: the file's illumination (modes beyond those it
 * holds, and all modes when it holds none, start from the estimate below, weaker by a factor 10
 * each so the first mode dominates), or {@link estimateProbe}.
 */
export async function initialProbe(dataset: Dataset, modes: number): Promise<ComplexArray> {
  const m = dataset.frame;
  const size = 2 * m * m;
  const given = dataset.illumination;
  const have = given ? Math.min(modes, given.shape.length === 3 ? given.shape[0] : 1) : 0;
  const out = new Float32Array(modes * size);
  if (given) out.set(given.data.subarray(0, have * size));
  if (have < modes) {
    const estimate = await estimateProbe(dataset);
    for (let k = have; k < modes; k++) {
      const weight = k === 0 ? 1 : 0.1 ** k;
      for (let i = 0; i < size; i++) out[k * size + i] = weight * estimate[i];
    }
  }
  return { shape: [modes, m, m], data: out };
}

/**
 * A probe estimated from the data: the inverse FFT of the mean diffraction amplitude, centred in
 * the frame, scaled so that its power equals the mean counts per frame (an object of modulus 1
 * then predicts the measured total intensity). Masked pixels are left out of the mean.
 */
export async function estimateProbe(dataset: Dataset): Promise<Float32Array> {
  const m = dataset.frame;
  const pixels = m * m;
  const amplitude = new Float64Array(pixels);
  let total = 0;
  for (let start = 0; start < dataset.count; start += BATCH) {
    const indices = Array.from(
      { length: Math.min(BATCH, dataset.count - start) },
      (_, i) => start + i,
    );
    const frames = await dataset.frames.read(indices);
    for (let i = 0; i < frames.length; i++) {
      const q = i % pixels;
      if (dataset.mask?.[q]) continue;
      amplitude[q] += Math.sqrt(Math.max(0, frames[i]));
      total += Math.max(0, frames[i]);
    }
  }
  const re = amplitude.map((a) => a / dataset.count);
  const im = new Float64Array(pixels);
  // Frames hold zero frequency at (M/2, M/2): shift it to (0, 0), transform, centre the probe.
  fftshift2(re, im, m, 1);
  fft2Reference(re, im, m, 1, true);
  fftshift2(re, im, m, 1);
  let power = 0;
  for (let i = 0; i < pixels; i++) power += re[i] ** 2 + im[i] ** 2;
  const scale = power > 0 ? Math.sqrt(total / dataset.count / power) : 0;
  const probe = new Float32Array(2 * pixels);
  for (let i = 0; i < pixels; i++) {
    probe[2 * i] = re[i] * scale;
    probe[2 * i + 1] = im[i] * scale;
  }
  return probe;
}
