/**
 * Comparing a reconstructed phase with a ground truth. Ptychography recovers the object only up
 * to a global phase and, when the probe is refined too, a linear phase ramp (a shift of the far
 * field the probe can absorb): both are fitted and removed over the scanned area before any
 * metric is taken.
 *
 * @module
 */

/** Two complex H x W images (interleaved) and the pixels to compare. */
export interface PhaseComparison {
  reconstruction: ArrayLike<number>;
  truth: ArrayLike<number>;
  /** Image size [H, W]. */
  shape: [number, number];
  /** Nonzero where the pixel counts (the scanned area). */
  mask: Uint8Array;
}

/** Phases of both images over the whole array, the reconstruction aligned to the truth. */
export interface AlignedPhases {
  reconstruction: Float64Array;
  truth: Float64Array;
}

/**
 * Removes the global phase and the linear phase ramp that best align the reconstruction with the
 * truth over the mask, and unwraps the reconstruction's phase around the truth's (each pixel gets
 * the truth's phase plus the wrapped difference), so that a 2 pi jump is not counted as an error.
 *
 * @example
 * ```ts
 * const { reconstruction, truth } = alignPhase({ reconstruction: o, truth: t, shape, mask });
 * ```
 */
export function alignPhase(c: PhaseComparison): AlignedPhases {
  const [h, w] = c.shape;
  const n = h * w;
  if (c.reconstruction.length !== 2 * n || c.truth.length !== 2 * n || c.mask.length !== n) {
    throw new RangeError(
      `Cannot compare phases: expected ${h} x ${w} complex images and mask, got lengths ` +
        `${c.reconstruction.length}, ${c.truth.length} and ${c.mask.length}`,
    );
  }
  const truth = new Float64Array(n);
  const difference = new Float64Array(n);
  const ratio = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [a, b] = [c.reconstruction[2 * i], c.reconstruction[2 * i + 1]];
    const [p, q] = [c.truth[2 * i], c.truth[2 * i + 1]];
    truth[i] = Math.atan2(q, p);
    // recon * conj(truth): its angle is the phase error of the pixel.
    ratio[2 * i] = a * p + b * q;
    ratio[2 * i + 1] = b * p - a * q;
    difference[i] = Math.atan2(ratio[2 * i + 1], ratio[2 * i]);
  }
  // The ramp from the mean phasor of neighbouring pixels' error ratios, the offset from the mean
  // phasor after removing it (both immune to wrapping), then a least-squares refinement on the
  // residual, which is now small and unwrapped.
  const ay = meanAngle(ratio, c.mask, w, w);
  const ax = meanAngle(ratio, c.mask, w, 1);
  let sr = 0;
  let si = 0;
  for (let i = 0; i < n; i++) {
    if (!c.mask[i]) continue;
    const t = -(ay * Math.floor(i / w) + ax * (i % w));
    sr += ratio[2 * i] * Math.cos(t) - ratio[2 * i + 1] * Math.sin(t);
    si += ratio[2 * i] * Math.sin(t) + ratio[2 * i + 1] * Math.cos(t);
  }
  let plane = [Math.atan2(si, sr), ay, ax];
  const residual = difference.map((d, i) => wrap(d - evaluate(plane, i, w)));
  const fit = fitPlane(residual, c.mask, w);
  plane = plane.map((v, k) => v + fit[k]);
  const reconstruction = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    reconstruction[i] = truth[i] + wrap(difference[i] - evaluate(plane, i, w));
  }
  return { reconstruction, truth };
}

/** The data range PSNR and SSIM use: max - min of the true phase over the mask. */
export function phaseRange(truth: Float64Array, mask: Uint8Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < truth.length; i++) {
    if (!mask[i]) continue;
    lo = Math.min(lo, truth[i]);
    hi = Math.max(hi, truth[i]);
  }
  return hi - lo;
}

/**
 * Phase PSNR in dB: 10 log10(R^2 / MSE) over the mask, after {@link alignPhase}. The data range R
 * is the true phase's max - min over the mask (not 2 pi: a weak phase object would otherwise
 * score high whatever the reconstruction).
 */
export function phasePsnr(c: PhaseComparison): number {
  const { reconstruction, truth } = alignPhase(c);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < truth.length; i++) {
    if (!c.mask[i]) continue;
    sum += (reconstruction[i] - truth[i]) ** 2;
    count++;
  }
  if (count === 0) throw new RangeError("Cannot compute a PSNR over an empty mask");
  return 10 * Math.log10(phaseRange(truth, c.mask) ** 2 / (sum / count));
}

/** angle(sum r[i + step] conj(r[i])) over pairs inside the mask (and the same row for x). */
function meanAngle(r: Float64Array, mask: Uint8Array, w: number, step: number): number {
  let sr = 0;
  let si = 0;
  for (let i = 0; i + step < mask.length; i++) {
    if (!mask[i] || !mask[i + step] || (step === 1 && (i + 1) % w === 0)) continue;
    const [a, b] = [r[2 * (i + step)], r[2 * (i + step) + 1]];
    const [p, q] = [r[2 * i], r[2 * i + 1]];
    sr += a * p + b * q;
    si += b * p - a * q;
  }
  return Math.atan2(si, sr);
}

function wrap(a: number): number {
  return a - 2 * Math.PI * Math.round(a / (2 * Math.PI));
}

function evaluate(plane: number[], i: number, w: number): number {
  return plane[0] + plane[1] * Math.floor(i / w) + plane[2] * (i % w);
}

/** Least-squares c + ay y + ax x through `values` over the mask. */
function fitPlane(values: Float64Array, mask: Uint8Array, w: number): number[] {
  const a = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const b = [0, 0, 0];
  for (let i = 0; i < values.length; i++) {
    if (!mask[i]) continue;
    const basis = [1, Math.floor(i / w), i % w];
    for (let r = 0; r < 3; r++) {
      b[r] += basis[r] * values[i];
      for (let k = 0; k < 3; k++) a[r][k] += basis[r] * basis[k];
    }
  }
  return solve3(a, b);
}

/** Solves a 3 x 3 symmetric system by Cramer's rule (the normal equations are well scaled). */
function solve3(a: number[][], b: number[]): number[] {
  const det = (m: number[][]) =>
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const d = det(a);
  if (d === 0) throw new RangeError("Cannot fit a phase ramp: the mask is degenerate");
  return [0, 1, 2].map((col) =>
    det(a.map((row, r) => row.map((v, k) => (k === col ? b[r] : v)))) / d
  );
}
