/**
 * The forward model of DESIGN section 1 in float64 on the CPU, with the Poisson and Gaussian
 * costs and their Wirtinger gradients by the adjoint chain. It is the reference the GPU physics is
 * tested against, the engine of the CPU simulator and, through {@link ReferenceProblem}, a problem
 * solvers can be tested on without a GPU. Slow by design: clarity over speed.
 *
 * Layouts: the object is S x H x W complex, the probe K x M x M complex, both interleaved
 * (re, im) float64. Frames are N x M x M with zero frequency at pixel (M/2, M/2).
 *
 * @module
 */
import { fft2Reference, fftshift2 } from "../fft/reference.ts";
import {
  angularSpectrumKernel,
  frequency,
  fresnelKernel,
  type NearFieldPropagation,
  type Propagation,
  shiftKernel,
  type Window,
  windowOf,
} from "./fourier.ts";
import { INTENSITY_EPSILON, type NoiseModel, poissonPixel } from "./model.ts";

export { INTENSITY_EPSILON, type NoiseModel, POISSON_FLOOR, poissonPixel } from "./model.ts";

export {
  angularSpectrumKernel,
  frequency,
  fresnelKernel,
  type NearFieldPropagation,
  type Propagation,
  shiftKernel,
  type Window,
  windowOf,
} from "./fourier.ts";

/** Sizes and scan of a forward model. */
export interface ModelOptions {
  /** Frame size M (even, a power of two). */
  frame: number;
  /** Object size [H, W] in pixels. */
  objectShape: [number, number];
  /** Number of object slices S (1 for 2D ptychography). */
  slices: number;
  /** Number of probe modes K. */
  modes: number;
  /** Scan positions in object pixels: the probe centre (M/2, M/2) sits on (y, x). */
  positionsX: Float64Array;
  positionsY: Float64Array;
  /** Needed when `slices > 1`. */
  propagation?: Propagation;
  /** Bad detector pixels (nonzero = bad), M x M in the stored layout, or null. */
  mask?: Uint8Array | null;
  /**
   * A near-field detector reached by the angular spectrum over this distance (frames not
   * shifted); absent or null: far field.
   */
  nearField?: NearFieldPropagation | null;
}

/** One complex M x M frame held as separate real and imaginary planes for the FFT. */
class Plane {
  re: Float64Array;
  im: Float64Array;
  constructor(readonly n: number) {
    this.re = new Float64Array(n * n);
    this.im = new Float64Array(n * n);
  }
  copyFrom(other: Plane): void {
    this.re.set(other.re);
    this.im.set(other.im);
  }
  fft(inverse: boolean): void {
    fft2Reference(this.re, this.im, this.n, 1, inverse);
  }
  /** this <- this * k (or * conj(k)), k interleaved in FFT order. */
  multiply(k: Float64Array, conjugate: boolean): void {
    const s = conjugate ? -1 : 1;
    for (let i = 0; i < this.re.length; i++) {
      const a = this.re[i];
      const b = this.im[i];
      const c = k[2 * i];
      const d = s * k[2 * i + 1];
      this.re[i] = a * c - b * d;
      this.im[i] = a * d + b * c;
    }
  }
}

/** Arguments of {@link ReferenceModel.evaluate}. */
export interface EvaluateOptions {
  object: Float64Array;
  probe: Float64Array;
  /** Measured frames N x M x M (stored layout). */
  frames: ArrayLike<number>;
  noise: NoiseModel;
  /** When given, dF/dconj(O) is added into it. */
  objectGradient?: Float64Array;
  /** When given, dF/dconj(P) is added into it. */
  probeGradient?: Float64Array;
  /** Only these positions' terms of F (all when omitted): the sequential engines use one. */
  positions?: ArrayLike<number>;
  /** When given, dF/dx_j and dF/dy_j (real, object pixels) of each position are added into it. */
  positionGradient?: { x: Float64Array; y: Float64Array };
  /**
   * When given, the gradients take these per-pixel factors of position j's far fields instead
   * of the noise model's (masked pixels stay 0), from its model intensities sum_k |Psi_k|^2 and
   * its frame (M x M each): LSQ-ML's Poisson exit-wave step. The cost is the noise model's.
   */
  factors?: (j: number, intensity: Float64Array, frame: ArrayLike<number>) => Float64Array;
}

/**
 * The float64 forward model: sub-pixel probe shift, window extraction, multislice with
 * band-limited Fresnel propagation, K probe modes, unitary far-field FFT (or the near-field
 * angular spectrum), intensities.
 *
 * @example
 * ```ts
 * const model = new ReferenceModel({ frame: 16, objectShape: [32, 32], slices: 1, modes: 1,
 *   positionsX: new Float64Array([16]), positionsY: new Float64Array([16]) });
 * const frames = model.intensities(object, probe); // 1 x 16 x 16
 * ```
 */
export class ReferenceModel {
  readonly windows: Window[];
  readonly #kernel: Float64Array | null;
  readonly #detector: Float64Array | null;
  readonly #shifts: (Float64Array | null)[];

  constructor(readonly options: ModelOptions) {
    const { frame, objectShape: [h, w], slices, modes, positionsX, positionsY } = options;
    if (frame % 2 !== 0 || frame < 2) throw new RangeError(`Expected an even frame, got ${frame}`);
    if (slices < 1 || modes < 1) {
      throw new RangeError(`Expected at least one slice and mode, got ${slices} and ${modes}`);
    }
    if (slices > 1 && !options.propagation) {
      throw new TypeError(`A model of ${slices} slices needs its propagation distances`);
    }
    this.windows = Array.from(positionsX, (x, j) => windowOf(positionsY[j], x, frame));
    for (const [j, win] of this.windows.entries()) {
      if (win.top < 0 || win.left < 0 || win.top + frame > h || win.left + frame > w) {
        throw new RangeError(
          `Position ${j} (y ${positionsY[j]}, x ${positionsX[j]}) puts the probe window outside ` +
            `the ${h} x ${w} object`,
        );
      }
    }
    this.#kernel = slices > 1 ? fresnelKernel(frame, options.propagation!) : null;
    this.#detector = options.nearField ? angularSpectrumKernel(frame, options.nearField) : null;
    this.#shifts = this.windows.map((win) => shiftKernel(frame, win.fy, win.fx));
  }

  get count(): number {
    return this.windows.length;
  }

  /** Model intensities of every position, N x M x M, zero frequency at (M/2, M/2). */
  intensities(object: Float64Array, probe: Float64Array): Float64Array {
    const m2 = this.options.frame ** 2;
    const out = new Float64Array(this.count * m2);
    const waves = this.#scratch();
    for (let j = 0; j < this.count; j++) {
      this.#forward(j, object, probe, waves);
      out.set(intensityOf(waves.far), j * m2);
    }
    return out;
  }

  /**
   * The detector waves of positions `positions` (count x K x M x M complex, interleaved, stored
   * layout). The far field's transform is unitary, so their inner products are the exit waves'.
   */
  farFields(object: Float64Array, probe: Float64Array, positions: ArrayLike<number>): Float64Array {
    const { frame, modes } = this.options;
    const m2 = frame * frame;
    const out = new Float64Array(2 * positions.length * modes * m2);
    const waves = this.#scratch();
    for (let n = 0; n < positions.length; n++) {
      this.#forward(positions[n], object, probe, waves);
      for (let k = 0; k < modes; k++) {
        const base = 2 * (n * modes + k) * m2;
        for (let q = 0; q < m2; q++) {
          out[base + 2 * q] = waves.far[k].re[q];
          out[base + 2 * q + 1] = waves.far[k].im[q];
        }
      }
    }
    return out;
  }

  /**
   * The amplitude R-factor sum | sqrt(I) - sqrt(d) | / sum sqrt(d) over every position's unmasked
   * pixels, I the model intensity summed over modes (DESIGN section 7).
   */
  rFactor(object: Float64Array, probe: Float64Array, frames: ArrayLike<number>): number {
    const m2 = this.options.frame ** 2;
    const mask = this.options.mask ?? null;
    const intensities = this.intensities(object, probe);
    let numerator = 0, denominator = 0;
    for (let i = 0; i < intensities.length; i++) {
      if (mask && mask[i % m2] !== 0) continue;
      const amplitude = Math.sqrt(Math.max(0, frames[i]));
      numerator += Math.abs(Math.sqrt(intensities[i]) - amplitude);
      denominator += amplitude;
    }
    return numerator / denominator;
  }

  /** The cost F over all positions; adds the Wirtinger gradients into the given arrays. */
  evaluate(o: EvaluateOptions): number {
    const { frame } = this.options;
    const m2 = frame * frame;
    const mask = this.options.mask ?? null;
    const waves = this.#scratch();
    const weight = new Float64Array(m2);
    let cost = 0;
    const positions = o.positions ?? Array.from({ length: this.count }, (_, j) => j);
    for (let n = 0; n < positions.length; n++) {
      const j = positions[n];
      this.#forward(j, o.object, o.probe, waves);
      const intensity = intensityOf(waves.far);
      for (let q = 0; q < m2; q++) {
        if (mask && mask[q] !== 0) {
          weight[q] = 0;
          continue;
        }
        const d = o.frames[j * m2 + q];
        if (o.noise === "poisson") {
          const [f, factor] = poissonPixel(intensity[q], d);
          cost += f;
          weight[q] = factor;
        } else {
          const r = Math.sqrt(intensity[q] + INTENSITY_EPSILON);
          cost += (r - Math.sqrt(d)) ** 2;
          weight[q] = 1 - Math.sqrt(d) / r;
        }
      }
      if (o.factors) {
        const frame = Float64Array.from({ length: m2 }, (_, q) => o.frames[j * m2 + q]);
        const factors = o.factors(j, intensity, frame);
        for (let q = 0; q < m2; q++) if (!mask || mask[q] === 0) weight[q] = factors[q];
      }
      if (o.objectGradient || o.probeGradient || o.positionGradient) {
        this.#backward(j, o, waves, weight);
      }
    }
    return cost;
  }

  #scratch(): Scratch {
    const { frame, slices, modes } = this.options;
    const planes = (n: number) => Array.from({ length: n }, () => new Plane(frame));
    return { inputs: planes(modes * slices), far: planes(modes), work: new Plane(frame) };
  }

  #forward(j: number, object: Float64Array, probe: Float64Array, waves: Scratch): void {
    const { frame, slices, modes } = this.options;
    const m2 = frame * frame;
    const win = this.windows[j];
    const w = waves.work;
    for (let k = 0; k < modes; k++) {
      for (let i = 0; i < m2; i++) {
        w.re[i] = probe[2 * (k * m2 + i)];
        w.im[i] = probe[2 * (k * m2 + i) + 1];
      }
      this.#shift(j, w, false);
      for (let s = 0; s < slices; s++) {
        waves.inputs[k * slices + s].copyFrom(w);
        this.#multiplyWindow(w, object, s, win, false);
        if (s < slices - 1) this.#propagate(w, false);
      }
      w.fft(false);
      if (this.#detector) {
        w.multiply(this.#detector, false);
        w.fft(true);
      } else {
        fftshift2(w.re, w.im, frame, 1);
      }
      waves.far[k].copyFrom(w);
    }
  }

  #backward(j: number, o: EvaluateOptions, waves: Scratch, weight: Float64Array): void {
    const { frame, slices, modes, objectShape: [h, wd] } = this.options;
    const m2 = frame * frame;
    const win = this.windows[j];
    const w = waves.work;
    for (let k = 0; k < modes; k++) {
      const far = waves.far[k];
      for (let q = 0; q < m2; q++) {
        w.re[q] = weight[q] * far.re[q];
        w.im[q] = weight[q] * far.im[q];
      }
      if (this.#detector) {
        w.fft(false);
        w.multiply(this.#detector, true);
      } else {
        fftshift2(w.re, w.im, frame, 1);
      }
      w.fft(true);
      for (let s = slices - 1; s >= 0; s--) {
        if (o.objectGradient) {
          // dF/dconj(O_s) = conj(psi_in) * dF/dconj(O_s psi_in), summed over windows.
          const input = waves.inputs[k * slices + s];
          for (let y = 0; y < frame; y++) {
            for (let x = 0; x < frame; x++) {
              const q = y * frame + x;
              const p = 2 * ((s * h + win.top + y) * wd + win.left + x);
              const a = input.re[q];
              const b = input.im[q];
              o.objectGradient[p] += a * w.re[q] + b * w.im[q];
              o.objectGradient[p + 1] += a * w.im[q] - b * w.re[q];
            }
          }
        }
        if (s === 0 && !o.probeGradient && !o.positionGradient) break;
        this.#multiplyWindow(w, o.object, s, win, true);
        if (s > 0) this.#propagate(w, true);
      }
      if (o.positionGradient) {
        // psi_0 = P(r - r_j): d psi_0 / dx_j = -dP/dx (r - r_j), by the spectral derivative,
        // and dF/dx_j = 2 Re <dF/dconj(psi_0), d psi_0 / dx_j>.
        const [gx, gy] = positionDerivatives(waves.inputs[k * slices], w);
        o.positionGradient.x[j] += gx;
        o.positionGradient.y[j] += gy;
      }
      if (o.probeGradient) {
        this.#shift(j, w, true);
        for (let q = 0; q < m2; q++) {
          o.probeGradient[2 * (k * m2 + q)] += w.re[q];
          o.probeGradient[2 * (k * m2 + q) + 1] += w.im[q];
        }
      }
    }
  }

  /** w <- O_s[window] * w, or conj(O_s[window]) * w for the adjoint. */
  #multiplyWindow(w: Plane, object: Float64Array, s: number, win: Window, adjoint: boolean) {
    const { frame, objectShape: [h, wd] } = this.options;
    const sign = adjoint ? -1 : 1;
    for (let y = 0; y < frame; y++) {
      for (let x = 0; x < frame; x++) {
        const q = y * frame + x;
        const p = 2 * ((s * h + win.top + y) * wd + win.left + x);
        const c = object[p];
        const d = sign * object[p + 1];
        const a = w.re[q];
        const b = w.im[q];
        w.re[q] = a * c - b * d;
        w.im[q] = a * d + b * c;
      }
    }
  }

  #propagate(w: Plane, adjoint: boolean): void {
    w.fft(false);
    w.multiply(this.#kernel!, adjoint);
    w.fft(true);
  }

  /** Sub-pixel shift of position j (its adjoint shifts back); integer positions skip it. */
  #shift(j: number, w: Plane, adjoint: boolean): void {
    const kernel = this.#shifts[j];
    if (!kernel) return;
    w.fft(false);
    w.multiply(kernel, adjoint);
    w.fft(true);
  }
}

/** Work planes of one position. */
interface Scratch {
  /** Wave entering slice s of mode k: index k * S + s. */
  inputs: Plane[];
  /** Detector wave of each mode, stored layout. */
  far: Plane[];
  work: Plane;
}

function intensityOf(far: Plane[]): Float64Array {
  const out = new Float64Array(far[0].re.length);
  for (const f of far) {
    for (let q = 0; q < out.length; q++) out[q] += f.re[q] ** 2 + f.im[q] ** 2;
  }
  return out;
}

/** 2 Re <g, d psi / dx> and 2 Re <g, d psi / dy> for psi shifted by +x, +y: d/dx = -d/dr. */
function positionDerivatives(psi: Plane, g: Plane): [number, number] {
  const n = psi.n;
  const out: number[] = [];
  for (const axis of ["x", "y"] as const) {
    const d = new Plane(n);
    d.copyFrom(psi);
    d.fft(false);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const i = y * n + x;
        // Times -2 pi i k (k in cycles per pixel): the derivative of psi(r - t) in t.
        const k = -2 * Math.PI * frequency(axis === "x" ? x : y, n);
        [d.re[i], d.im[i]] = [-k * d.im[i], k * d.re[i]];
      }
    }
    d.fft(true);
    let sum = 0;
    for (let i = 0; i < n * n; i++) sum += g.re[i] * d.re[i] + g.im[i] * d.im[i];
    out.push(2 * sum);
  }
  return [out[0], out[1]];
}

/** Inputs of {@link shiftGradientReference} (interleaved complex, FFT order). */
export interface ShiftGradientInputs {
  frame: number;
  modes: number;
  /** Sub-pixel parts (fy, fx) of each position: the ramps exp(-2 pi i u f). */
  fractionsY: ArrayLike<number>;
  fractionsX: ArrayLike<number>;
  /** The probe spectrum, K x M x M. */
  spectrum: ArrayLike<number>;
  /** F dF/dconj(psi_0) of each position, N x K x M x M. */
  chiHat: ArrayLike<number>;
}

/**
 * The float64 reference of `wgsl/position_gradient.wgsl`: per position, dF/dx and dF/dy =
 * 2 Re sum conj(chi^) (-2 pi i u) ramp P^ over modes and frequencies (u in cycles per pixel).
 */
export function shiftGradientReference(
  o: ShiftGradientInputs,
): { x: Float64Array; y: Float64Array } {
  const { frame: m, modes } = o;
  const n = o.fractionsY.length;
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < modes; k++) {
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < m; c++) {
          const uy = frequency(r, m), ux = frequency(c, m);
          const phase = -2 * Math.PI * (uy * o.fractionsY[j] + ux * o.fractionsX[j]);
          const q = 2 * (k * m * m + r * m + c);
          const pr = o.spectrum[q], pi = o.spectrum[q + 1];
          // t = ramp P^, then Im(conj(chi^) t).
          const tr = Math.cos(phase) * pr - Math.sin(phase) * pi;
          const ti = Math.cos(phase) * pi + Math.sin(phase) * pr;
          const h = 2 * ((j * modes + k) * m * m + r * m + c);
          const im = o.chiHat[h] * ti - o.chiHat[h + 1] * tr;
          x[j] += 4 * Math.PI * ux * im;
          y[j] += 4 * Math.PI * uy * im;
        }
      }
    }
  }
  return { x, y };
}

/** Inputs of {@link shiftCurvatureReference} (interleaved complex). */
export interface ShiftCurvatureInputs {
  frame: number;
  modes: number;
  objectShape: [number, number];
  /** Object slice 0, H x W. */
  object: ArrayLike<number>;
  /** Window origins (top, left) of each position. */
  origins: ArrayLike<number>;
  /** The shifted probes psi_0 of each position, N x K x M x M. */
  waves: ArrayLike<number>;
}

/**
 * The float64 reference of `wgsl/shift_curvature.wgsl`: per position, sum_k sum_r |psi_0|^2
 * |dO/dx|^2 and the same with d/dy over its window, the derivatives central differences (one-sided
 * at the object's edges).
 */
export function shiftCurvatureReference(
  o: ShiftCurvatureInputs,
): { x: Float64Array; y: Float64Array } {
  const { frame: m, modes, objectShape: [h, w] } = o;
  const n = o.origins.length / 2;
  const out = { x: new Float64Array(n), y: new Float64Array(n) };
  const value = (
    y: number,
    x: number,
  ) => [o.object[2 * (y * w + x)], o.object[2 * (y * w + x) + 1]];
  const squared = (a: number[], b: number[], span: number) =>
    ((b[0] - a[0]) / span) ** 2 + ((b[1] - a[1]) / span) ** 2;
  for (let j = 0; j < n; j++) {
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < m; c++) {
        const y = o.origins[2 * j] + r, x = o.origins[2 * j + 1] + c;
        let intensity = 0;
        for (let k = 0; k < modes; k++) {
          const q = 2 * ((j * modes + k) * m * m + r * m + c);
          intensity += o.waves[q] ** 2 + o.waves[q + 1] ** 2;
        }
        const [x0, x1] = [Math.max(x - 1, 0), Math.min(x + 1, w - 1)];
        const [y0, y1] = [Math.max(y - 1, 0), Math.min(y + 1, h - 1)];
        out.x[j] += intensity * squared(value(y, x0), value(y, x1), x1 - x0);
        out.y[j] += intensity * squared(value(y0, x), value(y1, x), y1 - y0);
      }
    }
  }
  return out;
}
