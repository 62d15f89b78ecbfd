/**
 * LSQ-ML's step lengths on the device (`wgsl/lsqml_steps.wgsl`): the five sums of a batch's 2 x 2
 * normal equations, the clamped solve and the updates that read the steps, so that a batch on
 * one device needs no readback. Its float64 reference is `lsqmlSteps` (src/solvers/lsqml.ts) with
 * the sums of `StepSums`.
 *
 * @module
 */
import type { Gpu } from "../gpu/mod.ts";
import code from "../../wgsl/lsqml_steps.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/lsqml_steps.wgsl", code };
/** Complex elements one workgroup of `partials` sums (64 slots of 32). */
const CHUNK = 2048;
/** Slots per workgroup of `partials`, and invocations per workgroup of `fold` and `apply`. */
const LANES = 64;
/** Slots one invocation of `fold` adds. */
const RUN = 64;

type Pipelines = Record<"partials" | "fold" | "total" | "solve" | "apply", GPUComputePipeline>;

/** The rule of the solve: the clamp and the ridge of `lsqmlSteps`. */
export interface StepRule {
  /** Steps are cut to [0, maxStep]. */
  maxStep: number;
  /** Relative weight added to the normal equations' diagonal. */
  ridge: number;
}

/**
 * The device's step solve of one LSQ-ML sweep, sized for batches of up to `maxElements` complex
 * exit-wave elements. `sums` holds the five sums aa, ab, bb, ag, bg (float32) after
 * {@link sum}, or as a caller writes them (tiles write their all-reduced totals); `steps` holds
 * the object's and the probe's step after {@link solve}.
 *
 * @example
 * ```ts
 * const solve = await LsqmlStepSolve.create(gpu, 16 * 64 * 64);
 * solve.sum({ a, b, g, count: 16 * 64 * 64 });
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
    const names = ["partials", "fold", "total", "solve", "apply"] as const;
    const compiled = await Promise.all(names.map((n) => gpu.pipeline(SOURCE, n)));
    const pipelines = Object.fromEntries(names.map((n, i) => [n, compiled[i]]));
    return new LsqmlStepSolve(gpu, pipelines as Pipelines, maxElements);
  }

  /**
   * sums <- the five sums over the first `count` complex elements of A (`a`), B (`b`, null when
   * the probe is not refined: its three sums are 0) and G (`g`).
   */
  sum(o: { a: GPUBuffer; b: GPUBuffer | null; g: GPUBuffer; count: number }): void {
    const { gpu, pipelines } = this;
    const slots = slotsFor(o.count);
    if (slots * 20 > this.#slots.size) {
      throw new RangeError(`Cannot sum ${o.count} elements in a solve sized for fewer`);
    }
    const probe = o.b !== null ? 1 : 0;
    gpu.dispatch(
      pipelines.partials,
      [gpu.params(new Uint32Array([o.count, probe])), o.a, o.b ?? o.a, o.g, this.#slots],
      slots / LANES,
    );
    const folded = Math.ceil(slots / RUN);
    gpu.dispatch(
      pipelines.fold,
      [gpu.params(new Uint32Array([slots, RUN])), null, null, null, this.#folded, this.#slots],
      Math.ceil(folded / LANES),
    );
    gpu.dispatch(
      pipelines.total,
      [gpu.params(new Uint32Array([folded])), null, null, null, this.sums, this.#folded],
      1,
    );
  }

  /** steps <- the rule's solution of the normal equations in `sums` (probe terms when `probe`). */
  solve(probe: boolean, rule: StepRule): void {
    const words = new Uint32Array(4);
    words.set([0, probe ? 1 : 0]);
    new Float32Array(words.buffer, 8, 2).set([rule.maxStep, rule.ridge]);
    this.gpu.dispatch(
      this.pipelines.solve,
      [this.gpu.params(words), null, null, null, this.steps, this.sums],
      1,
    );
  }

  /** x <- x - step d over `count` complex elements, with the object's or the probe's step. */
  apply(x: GPUBuffer, d: GPUBuffer, count: number, which: "object" | "probe"): void {
    const params = this.gpu.params(new Uint32Array([count, which === "object" ? 0 : 1]));
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

/** Slots of `partials` for `count` elements: 64 per started chunk of 2048. */
function slotsFor(count: number): number {
  return Math.max(1, Math.ceil(count / CHUNK)) * LANES;
}
