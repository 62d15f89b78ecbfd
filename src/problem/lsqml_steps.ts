/**
 * LSQ-ML's step lengths on the device (`wgsl/lsqml_steps.wgsl`): the five sums of a batch's 2 x 2
 * normal equations from its per-pixel terms (`LsqmlStepTerms`) and the probe direction, the
 * clamped solve and the updates that read the steps, so that a batch on one device needs no
 * readback. Its float64 reference is `lsqmlSteps` (src/solvers/lsqml.ts) with
 * the sums of `StepSums`.
 *
 * @module
 */
import type { Gpu } from "../gpu/mod.ts";
import code from "../../wgsl/lsqml_steps.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/lsqml_steps.wgsl", code };
/** Elements one workgroup of `pixels` sums (64 slots of 32). */
const CHUNK = 2048;
/** Slots per workgroup of `pixels`, and invocations per workgroup of `fold` and `apply`. */
const LANES = 64;
/** Slots one invocation of `fold` adds. */
const RUN = 64;
/** Words of the kernels' `Params` (a uniform binding is at least its struct's size). */
const PARAM_WORDS = 5;

type Pipelines = Record<"pixels" | "fold" | "total" | "solve" | "apply", GPUComputePipeline>;

/** The rule of the solve: the clamp and the ridge of `lsqmlSteps`. */
export interface StepRule {
  /** Steps are cut to [0, maxStep]. */
  maxStep: number;
  /** Relative weight added to the normal equations' diagonal. */
  ridge: number;
}

/** The probe's part of {@link LsqmlStepSolve.sumTerms}: each K x M x M but the weight. */
export interface ProbeTerms {
  /** The probe direction dP. */
  direction: GPUBuffer;
  /** Its numerator N (dP = N / (W + floor)) as this tile summed it. */
  numerator: GPUBuffer;
  /** This tile's windows' power W = sum_j |O_j|^2 (M x M complex, its real part). */
  weight: GPUBuffer;
}

/**
 * The device's step solve of one LSQ-ML sweep, for probes of up to `maxElements` elements
 * (K x M x M). `sums` holds the five sums aa, ab, bb, ag, bg (float32) after {@link sumTerms},
 * or as a caller writes them (tiles write their all-reduced totals); `steps` holds the object's
 * and the probe's step after {@link solve}.
 *
 * @example
 * ```ts
 * const solve = await LsqmlStepSolve.create(gpu, 64 * 64);
 * solve.sumTerms({ terms, count: 64 * 64, m2: 64 * 64, probe: null });
 * solve.solve(true, { maxStep: 1, ridge: 1e-3 });
 * solve.apply(object, direction, h * w, "object");
 * solve.destroy();
 * ```
 */
export class LsqmlStepSolve {
  /** aa, ab, bb, ag, bg. */
  readonly sums: GPUBuffer;
  /** The object's and the probe's step. */
  readonly steps: GPUBuffer;
  readonly #slots: GPUBuffer;
  readonly #folded: GPUBuffer;

  private constructor(
    private readonly gpu: Gpu,
    private readonly pipelines: Pipelines,
    maxElements: number,
  ) {
    const slots = slotsFor(maxElements);
    this.sums = gpu.buffer(4 * 8, "lsqml step sums");
    this.steps = gpu.buffer(4 * 4, "lsqml steps");
    this.#slots = gpu.buffer(4 * 5 * slots, "lsqml step partials");
    this.#folded = gpu.buffer(4 * 5 * Math.ceil(slots / RUN), "lsqml folded step partials");
  }

  static async create(gpu: Gpu, maxElements: number): Promise<LsqmlStepSolve> {
    const names = ["pixels", "fold", "total", "solve", "apply"] as const;
    const compiled = await Promise.all(names.map((n) => gpu.pipeline(SOURCE, n)));
    const pipelines = Object.fromEntries(names.map((n, i) => [n, compiled[i]]));
    return new LsqmlStepSolve(gpu, pipelines as Pipelines, maxElements);
  }

  /**
   * sums <- the five sums from the first `count` (K x M x M) elements of a batch's terms
   * (`LsqmlStepTerms.terms`) and, when the probe is refined, its direction (`probe`; null: its
   * three sums are 0), for frames of `m2` pixels.
   */
  sumTerms(o: { terms: GPUBuffer; count: number; m2: number; probe: ProbeTerms | null }): void {
    const { gpu, pipelines } = this;
    const slots = slotsFor(o.count);
    if (slots * 20 > this.#slots.size) {
      throw new RangeError(`Cannot sum ${o.count} elements in a solve sized for fewer`);
    }
    const words = paramsOf([o.count, o.probe ? 1 : 0, 0, 0, o.m2]);
    const p = o.probe;
    gpu.dispatch(
      pipelines.pixels,
      [
        gpu.params(words),
        o.terms,
        p?.numerator ?? o.terms,
        p?.weight ?? o.terms,
        this.#slots,
        null,
        p?.direction ?? o.terms,
      ],
      slots / LANES,
    );
    const folded = Math.ceil(slots / RUN);
    gpu.dispatch(
      pipelines.fold,
      [gpu.params(paramsOf([slots, RUN])), null, null, null, this.#folded, this.#slots],
      Math.ceil(folded / LANES),
    );
    gpu.dispatch(
      pipelines.total,
      [gpu.params(paramsOf([folded])), null, null, null, this.sums, this.#folded],
      1,
    );
  }

  /** steps <- the rule's solution of the normal equations in `sums` (probe terms when `probe`). */
  solve(probe: boolean, rule: StepRule): void {
    const words = paramsOf([0, probe ? 1 : 0]);
    new Float32Array(words.buffer, 8, 2).set([rule.maxStep, rule.ridge]);
    this.gpu.dispatch(
      this.pipelines.solve,
      [this.gpu.params(words), null, null, null, this.steps, this.sums],
      1,
    );
  }

  /** x <- x - step d over `count` complex elements, with the object's or the probe's step. */
  apply(x: GPUBuffer, d: GPUBuffer, count: number, which: "object" | "probe"): void {
    const params = this.gpu.params(paramsOf([count, which === "object" ? 0 : 1]));
    this.gpu.dispatch(
      this.pipelines.apply,
      [params, null, null, null, null, this.steps, d, x],
      Math.ceil(count / LANES),
    );
  }

  destroy(): void {
    this.gpu.release(this.sums, this.steps, this.#slots, this.#folded);
  }
}

/** The kernels' parameters: the five words of their `Params`, unset ones 0. */
function paramsOf(values: number[]): Uint32Array {
  const words = new Uint32Array(PARAM_WORDS);
  words.set(values);
  return words;
}

/** Slots of `pixels` for `count` elements: 64 per started chunk of 2048. */
function slotsFor(count: number): number {
  return Math.max(1, Math.ceil(count / CHUNK)) * LANES;
}
