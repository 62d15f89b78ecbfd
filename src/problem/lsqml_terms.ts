/**
 * LSQ-ML's step terms of one batch per probe pixel (`wgsl/lsqml_terms.wgsl`): what the batch's
 * five step sums need of its windows, in one pass over them and without storing a wave along
 * either direction. Its float64 reference is the arithmetic of the kernel's comment (the sweep's
 * test, `tests/problem/lsqml_sweep_test.ts`, and `tests/problem/lsqml_steps_test.ts`).
 *
 * @module
 */
import type { Gpu } from "../gpu/mod.ts";
import type { Batch, Scan } from "../operators/mod.ts";
import code from "../../wgsl/lsqml_terms.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/lsqml_terms.wgsl", code };
/** Invocations per workgroup of the kernel. */
const LANES = 64;

/** What a batch's terms are formed from (see {@link LsqmlStepTerms.record}). */
export interface TermInputs {
  /** The object (H x W, slice 0), read only with `weight`. */
  object: GPUBuffer;
  /** The object direction dO (H x W). */
  direction: GPUBuffer;
  /** The batch's shifted probes as its forward pass stored them (count x K x M x M). */
  waves: GPUBuffer;
  /** The exit-wave gradient G of the batch (count x K x M x M). */
  chi: GPUBuffer;
  /**
   * Receives sum_j |O_j|^2 over the batch's windows (M x M complex, imaginary part 0) when the
   * probe is refined; null: the probe's terms are not formed.
   */
  weight: GPUBuffer | null;
}

/**
 * The batch's terms per element (k, p) of the probe, four float32 each: sum_j |A_jk|^2,
 * sum_j Re conj(A_jk) G_jk and the complex sum_j conj(A_jk) O_j, A_jk = w_jk dO_j the exit-wave
 * change along the object direction (see `StepSums`); with the probe refined, also the windows'
 * power sum_j |O_j|^2 (the probe direction's weight).
 *
 * @example
 * ```ts
 * const terms = await LsqmlStepTerms.create(gpu, scan, modes);
 * terms.record(batch, { object, direction, waves, chi, weight });
 * solve.sumTerms({ terms: terms.terms, count: modes * m * m, probe: null });
 * terms.destroy();
 * ```
 */
export class LsqmlStepTerms {
  /** K x M x M vec4f: (aa, ag, v.re, v.im) per element, after {@link record}. */
  readonly terms: GPUBuffer;
  /** Bound as the weight when the probe's terms are not formed (the kernel does not write it). */
  readonly #noWeight: GPUBuffer;

  private constructor(
    private readonly gpu: Gpu,
    private readonly scan: Pick<Scan, "objectShape" | "frame" | "origins">,
    private readonly modes: number,
    private readonly pipeline: GPUComputePipeline,
  ) {
    this.terms = gpu.buffer(16 * modes * scan.frame ** 2, "lsqml step terms");
    this.#noWeight = gpu.buffer(8, "lsqml step terms no weight");
  }

  /** Compiles the kernel for a scan and K probe modes. */
  static async create(
    gpu: Gpu,
    scan: Pick<Scan, "objectShape" | "frame" | "origins">,
    modes: number,
  ): Promise<LsqmlStepTerms> {
    return new LsqmlStepTerms(gpu, scan, modes, await gpu.pipeline(SOURCE, "terms_of"));
  }

  /** Records the batch's terms (see the class comment). */
  record(batch: Batch, i: TermInputs): void {
    const m = this.scan.frame;
    const params = this.gpu.params(
      new Uint32Array([
        m,
        this.modes,
        batch.count,
        batch.first,
        this.scan.objectShape[1],
        Math.log2(m),
        i.weight ? 1 : 0,
      ]),
    );
    this.gpu.dispatch(
      this.pipeline,
      [
        params,
        this.scan.origins,
        i.object,
        i.direction,
        i.waves,
        i.chi,
        this.terms,
        i.weight ?? this.#noWeight,
      ],
      Math.ceil((this.modes * m * m) / LANES),
    );
  }

  destroy(): void {
    this.gpu.release(this.terms, this.#noWeight);
  }
}
