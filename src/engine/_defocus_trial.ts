/**
 * The defocus search's trials (`probe_search.ts`): the central positions' frames at reduced
 * resolution and an object fitted to them under a curved probe.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { fft2Reference, fftshift2 } from "../fft/reference.ts";
import { frequency, shiftKernel } from "../physics/fourier.ts";

/** The object quotient's floor, relative to its denominator's peak (as `OVERLAP_FLOOR`). */
const TRIAL_FLOOR = 1e-3;
/** The trial keeps the central frequencies holding this fraction of the mean frame's power. */
const CROP_POWER = 0.95;
/** The trial's largest crop of the frame (a power of two): the central cut the frames keep. */
const CROP_MAX = 64;

/**
 * The measured amplitudes sqrt(d) of the trial's positions ({@link centralPositions}, in that
 * order), each cut to the frame's central `side` x `side` pixels (side = min(M, 64)).
 */
export interface CentralFrames {
  side: number;
  /** positions x side x side. */
  amplitudes: Float64Array;
}

/** The side of {@link CentralFrames}' cut for frames of m. */
export function centralSide(m: number): number {
  return Math.min(m, CROP_MAX);
}

/** The `count` positions nearest the scan's centroid, nearest first (ties by index). */
export function centralPositions(
  dataset: Pick<Dataset, "positionsX" | "positionsY" | "count">,
  count: number,
): number[] {
  const cy = dataset.positionsY.reduce((s, v) => s + v, 0) / dataset.count;
  const cx = dataset.positionsX.reduce((s, v) => s + v, 0) / dataset.count;
  const distance = (j: number) =>
    Math.hypot(dataset.positionsY[j] - cy, dataset.positionsX[j] - cx);
  return Array.from({ length: dataset.count }, (_, j) => j)
    .sort((a, b) => distance(a) - distance(b) || a - b)
    .slice(0, Math.min(count, dataset.count));
}

/**
 * Adds frame `frame` (M x M counts) to `out` (a {@link CentralFrames} array) as trial position
 * `slot`: the square roots of its central cut.
 */
export function cutCentre(frame: ArrayLike<number>, m: number, out: Float64Array, slot: number) {
  const side = centralSide(m);
  const o = m / 2 - side / 2;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      out[(slot * side + y) * side + x] = Math.sqrt(Math.max(0, frame[(o + y) * m + o + x]));
    }
  }
}

/** The far field of a probe centred at (M/2, M/2): shifted to (0, 0) and transformed (float64). */
export function spectrumOf(probe: Float32Array, m: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(m * m);
  const im = new Float64Array(m * m);
  for (let i = 0; i < m * m; i++) {
    re[i] = probe[2 * i];
    im[i] = probe[2 * i + 1];
  }
  fftshift2(re, im, m, 1);
  fft2Reference(re, im, m, 1, false);
  return { re, im };
}

/**
 * Multiplies a c x c far field in FFT order, cut from a frame of m (so its index i is frequency
 * frequency(i, c) c / m cycles per pixel), by exp(-i pi a |f - f0|^2), f0 = `centre` / m (the far
 * field's centre in pixels of the frame from zero frequency, y then x).
 */
export function applyCurvature(
  re: Float64Array,
  im: Float64Array,
  c: number,
  m: number,
  a: number,
  centre: readonly [number, number] = [0, 0],
) {
  if (a === 0) return;
  for (let y = 0; y < c; y++) {
    const fy = (frequency(y, c) * c - centre[0]) / m;
    for (let x = 0; x < c; x++) {
      const fx = (frequency(x, c) * c - centre[1]) / m;
      const phase = -Math.PI * a * (fy * fy + fx * fx);
      const [cos, sin, i] = [Math.cos(phase), Math.sin(phase), y * c + x];
      [re[i], im[i]] = [re[i] * cos - im[i] * sin, re[i] * sin + im[i] * cos];
    }
  }
}

/**
 * A trial's fixed parts: the central positions' measured amplitudes cut to the crop's c x c
 * central frequencies, the flat probe's far field there, and the positions on the crop's grid
 * (pixels M / c times the frame's; sub-pixel remainders by a Fourier shift of the probe).
 */
export class DefocusTrialSet {
  private constructor(
    readonly m: number,
    readonly crop: number,
    /** Radius (cycles per pixel) enclosing 95 % of the far field's power. */
    readonly f95: number,
    readonly spectrum: { re: Float64Array; im: Float64Array },
    readonly amplitudes: Float64Array,
    /** 1 where the crop's pixel is measured (unmasked). */
    readonly weight: Uint8Array,
    readonly corners: [number, number][],
    readonly shifts: (Float64Array | null)[],
    readonly shape: [number, number],
    /** Error-reduction rounds before the cost is taken. */
    readonly sweeps: number,
    /** The far field's centre the curvature is taken about (pixels of the frame, y then x). */
    readonly centre: readonly [number, number],
  ) {}

  static create(
    dataset: Dataset,
    probe: Float32Array,
    central: CentralFrames,
    sweeps: number,
    centre: readonly [number, number] = [0, 0],
  ): DefocusTrialSet {
    const m = dataset.frame;
    const full = spectrumOf(probe, m);
    const power = Float64Array.from(
      { length: m * m },
      (_, i) => full.re[i] ** 2 + full.im[i] ** 2,
    );
    const radius = (i: number) => Math.hypot(frequency(Math.floor(i / m), m), frequency(i % m, m));
    const order = Array.from({ length: m * m }, (_, i) => i).sort((a, b) => radius(a) - radius(b));
    const total = power.reduce((s, p) => s + p, 0);
    let sum = 0, f95 = 0.5;
    for (const i of order) {
      sum += power[i];
      if (sum >= 0.95 * total) {
        f95 = Math.max(radius(i), 1 / m);
        break;
      }
    }
    let crop = 16;
    while (crop < central.side && boxPower(power, m, crop) < CROP_POWER * total) crop *= 2;
    crop = Math.min(crop, central.side);
    const c = crop;
    // The crop's far field, FFT order: index i of c holds frequency index frequency(i, c) c of m.
    const spectrum = { re: new Float64Array(c * c), im: new Float64Array(c * c) };
    const fullIndex = (i: number) => ((frequency(i, c) * c) % m + m) % m;
    for (let y = 0; y < c; y++) {
      for (let x = 0; x < c; x++) {
        const q = fullIndex(y) * m + fullIndex(x);
        spectrum.re[y * c + x] = full.re[q];
        spectrum.im[y * c + x] = full.im[q];
      }
    }
    const chosen = centralPositions(
      dataset,
      central.amplitudes.length / (central.side * central.side),
    );
    const k = chosen.length;
    const amplitudes = new Float64Array(k * c * c);
    const weight = new Uint8Array(c * c);
    // Frames hold frequency 0 at (M/2, M/2), the central cut at (C/2, C/2): frequency index f
    // sits at pixel C/2 + f of the cut.
    const side = central.side;
    const pixel = (i: number) => side / 2 + frequency(i, c) * c;
    for (let y = 0; y < c; y++) {
      for (let x = 0; x < c; x++) {
        const q = pixel(y) * side + pixel(x);
        const full = (m / 2 - side / 2 + pixel(y)) * m + m / 2 - side / 2 + pixel(x);
        weight[y * c + x] = dataset.mask?.[full] ? 0 : 1;
        for (let j = 0; j < k; j++) {
          amplitudes[(j * c + y) * c + x] = central.amplitudes[j * side * side + q];
        }
      }
    }
    const scale = c / m;
    const at = chosen.map((j) => [dataset.positionsY[j] * scale, dataset.positionsX[j] * scale]);
    const whole = at.map(([y, x]) => [Math.round(y), Math.round(x)]);
    const y0 = Math.min(...whole.map((p) => p[0])) - c / 2;
    const x0 = Math.min(...whole.map((p) => p[1])) - c / 2;
    const corners = whole.map(([y, x]) => [y - c / 2 - y0, x - c / 2 - x0] as [number, number]);
    const shifts = at.map(([y, x], j) => shiftKernel(c, y - whole[j][0], x - whole[j][1]));
    const h = Math.max(...corners.map((p) => p[0])) + c;
    const w = Math.max(...corners.map((p) => p[1])) + c;
    return new DefocusTrialSet(
      m,
      c,
      f95,
      spectrum,
      amplitudes,
      weight,
      corners,
      shifts,
      [h, w],
      sweeps,
      centre,
    );
  }

  /**
   * The trial of curvature a: an object of 1 fitted under the curved probe by
   * `sweeps` rounds of error reduction (every position's modulus projection from the
   * same object, then O = (sum_j conj(P_j) psi_j + e O) / (sum_j |P_j|^2 + e), e = 1e-3 of the
   * denominator's peak: a per-pixel quotient, which fits the dim rim of a peaked probe as fast as
   * its centre, where ePIE's step over the peak intensity did not), then the amplitude cost over
   * the measured pixels.
   */
  cost(curvature: number): number {
    const c = this.crop;
    const n = c * c;
    const probes = this.shifts.map((shift) => {
      const re = this.spectrum.re.slice();
      const im = this.spectrum.im.slice();
      applyCurvature(re, im, c, this.m, curvature, this.centre);
      if (shift) {
        for (let i = 0; i < n; i++) {
          const [a, b, s, t] = [re[i], im[i], shift[2 * i], shift[2 * i + 1]];
          [re[i], im[i]] = [a * s - b * t, a * t + b * s];
        }
      }
      fft2Reference(re, im, c, 1, true);
      fftshift2(re, im, c, 1);
      return { re, im };
    });
    const [h, w] = this.shape;
    const weight = new Float64Array(h * w);
    this.#eachWindow(probes, (o, i, p) => weight[o] += p.re[i] ** 2 + p.im[i] ** 2);
    const floor = TRIAL_FLOOR * Math.max(...weight);
    const or = new Float64Array(h * w).fill(1);
    const oi = new Float64Array(h * w);
    const [nr, ni] = [new Float64Array(h * w), new Float64Array(h * w)];
    const [re, im] = [new Float64Array(n), new Float64Array(n)];
    let cost = 0;
    for (let sweep = 0; sweep <= this.sweeps; sweep++) {
      const last = sweep === this.sweeps;
      cost = 0;
      for (let o = 0; o < h * w; o++) [nr[o], ni[o]] = [floor * or[o], floor * oi[o]];
      for (let j = 0; j < probes.length; j++) {
        const p = probes[j];
        const [ty, tx] = this.corners[j];
        for (let y = 0; y < c; y++) {
          for (let x = 0; x < c; x++) {
            const [o, i] = [(ty + y) * w + tx + x, y * c + x];
            re[i] = p.re[i] * or[o] - p.im[i] * oi[o];
            im[i] = p.re[i] * oi[o] + p.im[i] * or[o];
          }
        }
        fft2Reference(re, im, c, 1, false);
        for (let i = 0; i < n; i++) {
          if (!this.weight[i]) continue;
          const a = Math.hypot(re[i], im[i]);
          const d = this.amplitudes[j * n + i];
          cost += (a - d) ** 2;
          const s = a > 0 ? d / a : 0;
          re[i] *= s;
          im[i] *= s;
        }
        if (last) continue;
        fft2Reference(re, im, c, 1, true);
        for (let y = 0; y < c; y++) {
          for (let x = 0; x < c; x++) {
            const [o, i] = [(ty + y) * w + tx + x, y * c + x];
            nr[o] += p.re[i] * re[i] + p.im[i] * im[i];
            ni[o] += p.re[i] * im[i] - p.im[i] * re[i];
          }
        }
      }
      if (last) break;
      for (let o = 0; o < h * w; o++) {
        [or[o], oi[o]] = [nr[o] / (weight[o] + floor), ni[o] / (weight[o] + floor)];
      }
    }
    return cost;
  }

  /** Calls `f(object index, window index, probe)` for every pixel of every trial window. */
  #eachWindow(
    probes: { re: Float64Array; im: Float64Array }[],
    f: (o: number, i: number, p: { re: Float64Array; im: Float64Array }) => void,
  ): void {
    const c = this.crop;
    const w = this.shape[1];
    for (const [j, p] of probes.entries()) {
      const [ty, tx] = this.corners[j];
      for (let y = 0; y < c; y++) {
        for (let x = 0; x < c; x++) f((ty + y) * w + tx + x, y * c + x, p);
      }
    }
  }
}

/** Power of a far field (M x M, FFT order) within the central c x c frequencies. */
function boxPower(power: Float64Array, m: number, c: number): number {
  let sum = 0;
  for (let y = 0; y < m; y++) {
    for (let x = 0; x < m; x++) {
      const [fy, fx] = [frequency(y, m) * m, frequency(x, m) * m];
      if (fy >= -c / 2 && fy < c / 2 && fx >= -c / 2 && fx < c / 2) sum += power[y * m + x];
    }
  }
  return sum;
}
