/**
 * Structural similarity of phases over the scanned area, and the mask of that area.
 *
 * @module
 */
import { alignPhase, type PhaseComparison, phaseRange } from "./phase.ts";

/** Gaussian window width of SSIM, pixels (Wang et al. 2004). */
const SIGMA = 1.5;
const RADIUS = 5;
const K1 = 0.01;
const K2 = 0.03;

/**
 * Phase SSIM (Wang et al. 2004: Gaussian window sigma 1.5, K1 0.01, K2 0.03) after
 * {@link alignPhase}, with the data range of {@link phasePsnr}. Local means and variances are
 * Gaussian averages over masked pixels only (normalized convolution), so pixels outside the
 * scanned area do not leak in; the SSIM map is averaged over the mask.
 *
 * @example
 * ```ts
 * const s = phaseSsim({ reconstruction: o, truth: t, shape: [h, w], mask });
 * ```
 */
export function phaseSsim(c: PhaseComparison): number {
  const { reconstruction: x, truth: y } = alignPhase(c);
  const [h, w] = c.shape;
  const m = Float64Array.from(c.mask, (v) => (v ? 1 : 0));
  const blur = (v: Float64Array) => gaussianBlur(v, h, w);
  const weight = blur(m);
  const mean = (v: Float64Array) => {
    const s = blur(v.map((e, i) => e * m[i]));
    return s.map((e, i) => (weight[i] > 0 ? e / weight[i] : 0));
  };
  const mx = mean(x);
  const my = mean(y);
  const sxx = mean(x.map((v) => v * v));
  const syy = mean(y.map((v) => v * v));
  const sxy = mean(x.map((v, i) => v * y[i]));
  const range = phaseRange(y, c.mask);
  const c1 = (K1 * range) ** 2;
  const c2 = (K2 * range) ** 2;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < m.length; i++) {
    if (!m[i]) continue;
    const vx = sxx[i] - mx[i] ** 2;
    const vy = syy[i] - my[i] ** 2;
    const cov = sxy[i] - mx[i] * my[i];
    sum += ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) /
      ((mx[i] ** 2 + my[i] ** 2 + c1) * (vx + vy + c2));
    count++;
  }
  if (count === 0) throw new RangeError("Cannot compute an SSIM over an empty mask");
  return sum / count;
}

/** Separable Gaussian blur (sigma 1.5, radius 5) with zero padding. */
function gaussianBlur(v: Float64Array, h: number, w: number): Float64Array {
  const taps = Array.from(
    { length: 2 * RADIUS + 1 },
    (_, k) => Math.exp(-((k - RADIUS) ** 2) / (2 * SIGMA * SIGMA)),
  );
  const total = taps.reduce((a, b) => a + b, 0);
  const kernel = taps.map((t) => t / total);
  const rows = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -RADIUS; k <= RADIUS; k++) {
        const xx = x + k;
        if (xx >= 0 && xx < w) s += kernel[k + RADIUS] * v[y * w + xx];
      }
      rows[y * w + x] = s;
    }
  }
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -RADIUS; k <= RADIUS; k++) {
        const yy = y + k;
        if (yy >= 0 && yy < h) s += kernel[k + RADIUS] * rows[yy * w + x];
      }
      out[y * w + x] = s;
    }
  }
  return out;
}

/** Options of {@link scannedArea}. */
export interface ScannedAreaOptions {
  frame: number;
  objectShape: [number, number];
  positionsX: ArrayLike<number>;
  positionsY: ArrayLike<number>;
  /** The probe, K x M x M interleaved complex. */
  probe: ArrayLike<number>;
  /** Fraction of the maximum illumination a pixel needs to count (default 0.1). */
  threshold?: number;
}

/**
 * The scanned area: object pixels whose total illumination sum_j |P(r - r_j)|^2 (integer window
 * placement) reaches `threshold` times its maximum. The bare union of M x M windows would include
 * their dark corners, which no measurement constrains.
 */
export function scannedArea(o: ScannedAreaOptions): Uint8Array {
  const [h, w] = o.objectShape;
  const m = o.frame;
  const power = new Float64Array(m * m);
  for (let i = 0; i < o.probe.length / 2; i++) {
    power[i % (m * m)] += o.probe[2 * i] ** 2 + o.probe[2 * i + 1] ** 2;
  }
  const sum = new Float64Array(h * w);
  for (let j = 0; j < o.positionsX.length; j++) {
    const top = Math.floor(o.positionsY[j]) - m / 2;
    const left = Math.floor(o.positionsX[j]) - m / 2;
    for (let y = 0; y < m; y++) {
      for (let x = 0; x < m; x++) {
        const yy = top + y;
        const xx = left + x;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w) sum[yy * w + xx] += power[y * m + x];
      }
    }
  }
  let max = 0;
  for (const v of sum) max = Math.max(max, v);
  const limit = (o.threshold ?? 0.1) * max;
  return Uint8Array.from(sum, (v) => (v >= limit && v > 0 ? 1 : 0));
}
