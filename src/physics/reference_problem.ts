/**
 * {@link ReferenceProblem}: the float64 forward model behind the solvers' {@link Problem}
 * interface, so `cg` and `gd` can be tested on the CPU without a GPU.
 *
 * @module
 */
import type { Problem } from "../solvers/types.ts";
import { PRECONDITIONER_FLOOR } from "./model.ts";
import { type ModelOptions, type NoiseModel, ReferenceModel } from "./reference.ts";

export { PRECONDITIONER_FLOOR } from "./model.ts";

/** The unknowns of the reference problem: object S x H x W and probe K x M x M, interleaved. */
export interface ReferenceVector {
  object: Float64Array;
  probe: Float64Array;
}

/** Options of {@link ReferenceProblem}. */
export interface ReferenceProblemOptions extends ModelOptions {
  /** Measured frames N x M x M, zero frequency at (M/2, M/2). */
  frames: ArrayLike<number>;
  noise: NoiseModel;
}

/**
 * A reconstruction problem on the float64 CPU model.
 *
 * @example
 * ```ts
 * const problem = new ReferenceProblem({ ...model, frames, noise: "poisson" });
 * const x = problem.create("x");
 * const g = problem.create("g");
 * const cost = await problem.gradient(x, g);
 * ```
 */
export class ReferenceProblem implements Problem<ReferenceVector> {
  readonly model: ReferenceModel;
  #active = { object: true, probe: false };

  constructor(readonly options: ReferenceProblemOptions) {
    this.model = new ReferenceModel(options);
    const m2 = options.frame ** 2;
    if (options.frames.length !== this.model.count * m2) {
      throw new RangeError(
        `Expected ${this.model.count} frames of ${options.frame} x ${options.frame}, ` +
          `got ${options.frames.length} values`,
      );
    }
  }

  get active(): { object: boolean; probe: boolean } {
    return { ...this.#active };
  }

  create(_label: string): ReferenceVector {
    const { objectShape: [h, w], slices, modes, frame } = this.options;
    return {
      object: new Float64Array(2 * slices * h * w),
      probe: new Float64Array(2 * modes * frame * frame),
    };
  }

  destroy(_v: ReferenceVector): void {}

  copy(src: ReferenceVector, dst: ReferenceVector): void {
    for (const part of this.#parts()) dst[part].set(src[part]);
  }

  axpy(dst: ReferenceVector, x: ReferenceVector, a: number, y: ReferenceVector): void {
    for (const part of this.#parts()) {
      const d = dst[part], u = x[part], v = y[part];
      for (let i = 0; i < d.length; i++) d[i] = u[i] + a * v[i];
    }
  }

  scale(dst: ReferenceVector, a: number, x: ReferenceVector): void {
    for (const part of this.#parts()) {
      const d = dst[part], u = x[part];
      for (let i = 0; i < d.length; i++) d[i] = a * u[i];
    }
  }

  dot(a: ReferenceVector, b: ReferenceVector): Promise<number> {
    // Re sum conj(a) b = sum (a.re b.re + a.im b.im): a plain dot of the interleaved arrays.
    let sum = 0;
    for (const part of this.#parts()) {
      const u = a[part], v = b[part];
      for (let i = 0; i < u.length; i++) sum += u[i] * v[i];
    }
    return Promise.resolve(sum);
  }

  cost(x: ReferenceVector): Promise<number> {
    const { frames, noise } = this.options;
    return Promise.resolve(this.model.evaluate({ ...x, frames, noise }));
  }

  gradient(x: ReferenceVector, g: ReferenceVector): Promise<number> {
    const { frames, noise } = this.options;
    for (const part of this.#parts()) g[part].fill(0);
    return Promise.resolve(this.model.evaluate({
      ...x,
      frames,
      noise,
      objectGradient: this.#active.object ? g.object : undefined,
      probeGradient: this.#active.probe ? g.probe : undefined,
    }));
  }

  precondition(x: ReferenceVector, g: ReferenceVector, out: ReferenceVector): Promise<void> {
    // Both illuminations before either division: `out` may be `x`.
    const object = this.#active.object ? this.#probeIllumination(x.probe) : null;
    const probe = this.#active.probe ? this.#objectIllumination(x.object) : null;
    if (object) divide(out.object, g.object, object, 2);
    if (probe) divide(out.probe, g.probe, probe, 2);
    return Promise.resolve();
  }

  setActive(parts: { object: boolean; probe: boolean }): void {
    this.#active = { ...parts };
  }

  *#parts(): Generator<"object" | "probe"> {
    if (this.#active.object) yield "object";
    if (this.#active.probe) yield "probe";
  }

  /** sum_j sum_k |P_k|^2 over the windows covering each object pixel (shift ignored). */
  #probeIllumination(probe: Float64Array): Float64Array {
    const { frame, modes, objectShape: [h, w], slices } = this.options;
    const m2 = frame * frame;
    const power = new Float64Array(m2);
    for (let k = 0; k < modes; k++) {
      for (let q = 0; q < m2; q++) {
        power[q] += probe[2 * (k * m2 + q)] ** 2 + probe[2 * (k * m2 + q) + 1] ** 2;
      }
    }
    const plane = new Float64Array(h * w);
    for (const win of this.model.windows) {
      for (let y = 0; y < frame; y++) {
        for (let x = 0; x < frame; x++) {
          plane[(win.top + y) * w + win.left + x] += power[y * frame + x];
        }
      }
    }
    // Every slice sees about the probe's intensity: a weak object scatters little of it away.
    const out = new Float64Array(slices * h * w);
    for (let s = 0; s < slices; s++) out.set(plane, s * h * w);
    return out;
  }

  /** sum_j prod_s |O_s[window j]|^2 for each probe pixel, the same for every mode. */
  #objectIllumination(object: Float64Array): Float64Array {
    const { frame, modes, objectShape: [h, w], slices } = this.options;
    const m2 = frame * frame;
    const sum = new Float64Array(m2);
    for (const win of this.model.windows) {
      for (let y = 0; y < frame; y++) {
        for (let x = 0; x < frame; x++) {
          let t = 1;
          for (let s = 0; s < slices; s++) {
            const p = 2 * ((s * h + win.top + y) * w + win.left + x);
            t *= object[p] ** 2 + object[p + 1] ** 2;
          }
          sum[y * frame + x] += t;
        }
      }
    }
    const out = new Float64Array(modes * m2);
    for (let k = 0; k < modes; k++) out.set(sum, k * m2);
    return out;
  }
}

/** out <- g / (weight + floor) elementwise, `stride` interleaved values per weight. */
function divide(out: Float64Array, g: Float64Array, weight: Float64Array, stride: number): void {
  let max = 0;
  for (const v of weight) max = Math.max(max, v);
  const floor = PRECONDITIONER_FLOOR * max + Number.MIN_VALUE;
  for (let i = 0; i < weight.length; i++) {
    const f = 1 / (weight[i] + floor);
    for (let c = 0; c < stride; c++) out[stride * i + c] = g[stride * i + c] * f;
  }
}
