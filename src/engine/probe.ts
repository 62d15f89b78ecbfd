/** The initial probe of a run: the file's illumination, or one estimated from the frames. */
import { type ComplexArray, type Dataset, nearFieldOf } from "../data/dataset.ts";
import { fft2Reference, fftshift2 } from "../fft/reference.ts";
import { angularSpectrumKernel } from "../physics/fourier.ts";

/** Frames read per batch while averaging, bounding host memory for large files. */
const BATCH = 256;

/** The initial probe and the factor a given illumination was scaled by. */
export interface InitialProbe {
  /** K x M x M complex. */
  probe: ComplexArray;
  /**
   * The factor the file's illumination was multiplied by so that its power matches the data's
   * mean frame sum (1 when no illumination was given: the estimate is made at that scale).
   */
  rescale: number;
}

/**
 * The probe to start from, K x M x M complex: the file's illumination rescaled to the data (see
 * {@link InitialProbe.rescale}; another program's FFT normalisation or units change only the
 * overall scale), with modes beyond those it holds, and all modes when it holds none, started
 * from {@link estimateProbe}, weaker by a factor 10 each so the first mode dominates.
 */
export async function initialProbe(dataset: Dataset, modes: number): Promise<InitialProbe> {
  const m = dataset.frame;
  const size = 2 * m * m;
  const given = dataset.illumination;
  const have = given ? Math.min(modes, given.shape.length === 3 ? given.shape[0] : 1) : 0;
  const out = new Float32Array(modes * size);
  const mean = await meanFrame(dataset);
  let rescale = 1;
  if (given) {
    const kept = given.data.subarray(0, have * size);
    let power = 0;
    for (let i = 0; i < kept.length; i++) power += kept[i] * kept[i];
    rescale = power > 0 ? Math.sqrt(mean.sum / power) : 1;
    for (let i = 0; i < kept.length; i++) out[i] = kept[i] * rescale;
  }
  if (have < modes) {
    const estimate = probeFromMean(dataset, mean);
    for (let k = have; k < modes; k++) {
      const weight = k === 0 ? 1 : 0.1 ** k;
      for (let i = 0; i < size; i++) out[k * size + i] = weight * estimate[i];
    }
  }
  return { probe: { shape: [modes, m, m], data: out }, rescale };
}

/** The mean measured amplitude per pixel (0 on masked pixels) and the mean frame sum. */
interface MeanFrame {
  amplitude: Float64Array;
  /** Mean over frames of the counts summed over unmasked pixels. */
  sum: number;
}

async function meanFrame(dataset: Dataset): Promise<MeanFrame> {
  const pixels = dataset.frame ** 2;
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
  return { amplitude: amplitude.map((a) => a / dataset.count), sum: total / dataset.count };
}

/**
 * A probe estimated from the data, scaled so that its power equals the mean counts per frame (an
 * object of modulus 1 then predicts the measured total intensity); masked pixels are left out of
 * the mean. Far field: the inverse FFT of the mean diffraction amplitude, centred in the frame.
 * Near field: the mean frame's amplitude (with flat phase) propagated back to the sample plane,
 * by the conjugate angular-spectrum kernel.
 */
export async function estimateProbe(dataset: Dataset): Promise<Float32Array> {
  return probeFromMean(dataset, await meanFrame(dataset));
}

function probeFromMean(dataset: Dataset, mean: MeanFrame): Float32Array {
  const m = dataset.frame;
  const pixels = m * m;
  const re = mean.amplitude.slice();
  const im = new Float64Array(pixels);
  const near = nearFieldOf(dataset.geometry);
  if (near) {
    fft2Reference(re, im, m, 1, false);
    const h = angularSpectrumKernel(m, near);
    for (let i = 0; i < pixels; i++) {
      const [a, b, c, d] = [re[i], im[i], h[2 * i], -h[2 * i + 1]];
      re[i] = a * c - b * d;
      im[i] = a * d + b * c;
    }
    fft2Reference(re, im, m, 1, true);
  } else {
    // Frames hold zero frequency at (M/2, M/2): shift it to (0, 0), transform, centre the probe.
    fftshift2(re, im, m, 1);
    fft2Reference(re, im, m, 1, true);
    fftshift2(re, im, m, 1);
  }
  let power = 0;
  for (let i = 0; i < pixels; i++) power += re[i] ** 2 + im[i] ** 2;
  const scale = power > 0 ? Math.sqrt(mean.sum / power) : 0;
  const probe = new Float32Array(2 * pixels);
  for (let i = 0; i < pixels; i++) {
    probe[2 * i] = re[i] * scale;
    probe[2 * i + 1] = im[i] * scale;
  }
  return probe;
}
