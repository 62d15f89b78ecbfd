import type { Binding, Gpu } from "../gpu/mod.ts";
import type { Fft2, FusedPasses, FusionCall } from "../fft/mod.ts";
import code from "../../wgsl/poisson_step.wgsl" with { type: "text" };
import loadCode from "../../wgsl/poisson_step_load.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/poisson_step.wgsl", code };
/**
 * One pixel's Newton terms of the step (`newton_terms` of `wgsl/poisson_step.wgsl`), appended to
 * the far field's fused stores (`FarFieldCost`), so that their terms round as the `terms` pass's.
 */
export const NEWTON_TERMS_WGSL: string = (() => {
  const match = code.match(/\/\/ shared: begin\n([\s\S]*)\/\/ shared: end/);
  if (!match) throw new Error("wgsl/poisson_step.wgsl lost its shared Newton terms");
  return match[1];
})();
/** Lanes per frame of `wgsl/poisson_step.wgsl`'s `terms` (its `LANES`). */
const LANES = 64;

/**
 * The intensity floor of the step, in counts: J = sum_k |Psi_k|^2 + POISSON_STEP_FLOOR. A model
 * pixel darker than one count under a recorded photon would otherwise be pushed toward d^2 / J,
 * tens of times the count (with the cost's 0.1): on `bench quality`'s frame-64 set at 1e4
 * photons (probe estimated, lsqml with `LSQML_WINDOW_RIDGE`) lsqml reached 20.3 dB after 10
 * iterations and fell to 19.4 dB after 30 with 0.1; with 1, 23.4 and 24.0 dB (the Gaussian
 * model's modulus projection: 22.0 and 22.4 dB).
 */
export const POISSON_STEP_FLOOR = 1;

/**
 * Where Newton's method starts on a frame's step: the step near the fit (J ~ d, where alpha xi ~
 * 1 - sqrt(d / J) and xi ~ 2 (1 - sqrt(d / J))), and a point where s = 1 - alpha xi >= 1/2 on
 * every pixel (xi <= 1). From 0, one iterate kept as little as 92 % of the likelihood's decrease
 * along the step on the tests' frames (counts 0.3 to 3 times the model's); from 1/2, all but
 * 7e-4 of it (two from 0: all but 4e-4).
 */
export const POISSON_STEP_START = 0.5;

/**
 * Newton iterations of a frame's step from {@link POISSON_STEP_START}, each clamped to [0, 1].
 * From 0 the fourth iterate is within 1e-4 of the minimiser on the tests' random frames. Each
 * iterate is a `terms` pass over the batch's far fields: with four they cost 10 % of `lsqml`'s
 * device time at frame 128 (a timestamp profile); session 7 took two from 0, one from 1/2 keeps
 * as much of the decrease for one pass.
 */
export const POISSON_STEP_ITERATIONS = 1;

/** One call of {@link PoissonExitStep.apply}: a batch of positions' far fields. */
export interface PoissonStepCall {
  /**
   * Invocations per frame of the far field's fused stores that summed the first Newton
   * iteration's terms (see {@link PoissonExitStep.storeTerms}); absent: a pass of its own.
   */
  storeLanes?: number;
  /** The batch's measured intensities, count x M x M (stored layout). */
  frames: Binding;
  /** Mask weights, M x M (1 good, 0 bad). */
  weights: GPUBuffer;
  /** The far fields Psi, count x K x M x M complex, overwritten by G = Psi - Psi'. */
  far: GPUBuffer;
  count: number;
  modes: number;
  /** Frame pixels M^2. */
  m2: number;
}

/**
 * LSQ-ML's exit-wave update for the Poisson likelihood (Odstrčil et al., Opt. Express 26, 3108,
 * 2018; see `wgsl/poisson_step.wgsl`): Psi' = Psi (1 - alpha (1 - d / J)) with one step alpha
 * per frame minimising the frame's Poisson likelihood along it, J = sum_k |Psi_k|^2 + eps. It
 * leaves G = Psi - Psi' in the far fields, as the Gaussian model's gradient leaves
 * Psi - Pi_F(Psi): the sweep's exit-wave residual is minus it. Its float64 reference is
 * `poissonStepReference` of `src/physics/projection_reference.ts`.
 *
 * @example
 * ```ts
 * const step = await PoissonExitStep.create(gpu, 16);
 * step.apply({ frames, weights, far, count: 16, modes: 1, m2: 64 * 64 });
 * step.destroy();
 * ```
 */
export class PoissonExitStep {
  /** Each frame's step after {@link apply} (count float32). */
  readonly alpha: GPUBuffer;
  readonly #sums: GPUBuffer;
  /** The first iteration's sums from the far field's fused stores (see {@link storeTerms}). */
  #storeSums: GPUBuffer | null = null;
  /** {@link POISSON_STEP_START} for every frame, copied into `alpha` before the iterations. */
  readonly #start: GPUBuffer;

  private constructor(
    private readonly gpu: Gpu,
    private readonly pipelines: Record<"terms" | "newton" | "apply", GPUComputePipeline>,
    readonly maxCount: number,
    /** The update in the first loads of an inverse FFT (null: the plan does not fuse). */
    private readonly fusedLoad: FusedPasses | null,
    /** The probe modes the fused update was compiled for. */
    private readonly fusedModes: number,
  ) {
    this.alpha = gpu.buffer(4 * Math.max(1, maxCount), "poisson step");
    this.#sums = gpu.buffer(8 * LANES * Math.max(1, maxCount), "poisson step sums");
    const start = new Float32Array(Math.max(1, maxCount)).fill(POISSON_STEP_START);
    this.#start = gpu.upload(start, "poisson step start");
  }

  /**
   * Compiles the kernels for batches of up to `maxCount` positions, and with `fusion` the update
   * fused into the first loads of its FFT's inverse transforms for its count of probe modes (see
   * {@link fused}).
   */
  static async create(
    gpu: Gpu,
    maxCount: number,
    fusion?: { fft: Fft2; modes: number },
  ): Promise<PoissonExitStep> {
    const constants = { EPSILON: POISSON_STEP_FLOOR };
    const [terms, newton, apply] = await Promise.all(
      (["terms", "newton", "apply"] as const).map((e) => gpu.pipeline(SOURCE, e, constants)),
    );
    const modes = fusion?.modes ?? 1;
    const fused = fusion
      ? await fusion.fft.fuse({
        name: `poisson-step-${modes}`,
        code: loadCode,
        load: true,
        store: false,
        constants: { ...constants, MODES: modes },
      })
      : null;
    return new PoissonExitStep(gpu, { terms, newton, apply }, maxCount, fused, modes);
  }

  /**
   * Where the far field's fused stores (`CostCall.newton` of `FarFieldCost.farFieldAndCost`, with
   * `lanes` invocations per frame) sum the terms of the first Newton iteration for `count`
   * frames, so that {@link fused} or {@link apply} given the same `lanes` skips their pass.
   */
  storeTerms(count: number, lanes: number): { sums: GPUBuffer; floor: number; start: number } {
    const bytes = 8 * Math.max(1, count * lanes);
    if (!this.#storeSums || this.#storeSums.size < bytes) {
      this.gpu.release(this.#storeSums);
      this.#storeSums = this.gpu.buffer(bytes, "poisson step store sums");
    }
    return { sums: this.#storeSums, floor: POISSON_STEP_FLOOR, start: POISSON_STEP_START };
  }

  /** Finds each frame's step and overwrites `c.far` with G = w alpha (1 - d / J) Psi. */
  apply(c: PoissonStepCall): void {
    const { gpu, pipelines } = this;
    const params = this.#steps(c);
    gpu.dispatch(
      pipelines.apply,
      [params, c.frames, c.weights, c.far, this.alpha],
      Math.ceil((c.count * c.m2) / 64),
    );
  }

  /**
   * Finds each frame's step and returns the fusion that forms G = w alpha (1 - d / J) Psi in the
   * first loads of an inverse FFT of `c.far` (with its input shift, as the far field's adjoint
   * takes it): G is never stored and `c.far` is only read, one pass fewer than {@link apply}
   * with the same bits. Null (nothing recorded) when the FFT given to {@link create} does not
   * fuse: {@link apply} then.
   */
  fused(c: PoissonStepCall): FusionCall | null {
    if (!this.fusedLoad) return null;
    if (c.modes !== this.fusedModes) {
      throw new RangeError(
        `Cannot fuse the update of ${c.modes} modes: compiled for ${this.fusedModes}`,
      );
    }
    this.#steps(c);
    const params = this.gpu.params(new Uint32Array([Math.log2(c.m2) / 2]));
    return {
      passes: this.fusedLoad,
      load: [params, c.frames, c.weights, this.alpha],
    };
  }

  /** Records the frames' steps into {@link alpha}; returns the kernels' parameters. */
  #steps(c: PoissonStepCall): GPUBuffer {
    if (c.count > this.maxCount) {
      throw new RangeError(`Cannot step ${c.count} frames: sized for ${this.maxCount}`);
    }
    const { gpu, pipelines } = this;
    const params = gpu.params(new Uint32Array([c.m2, c.modes, c.count, LANES]));
    gpu.copy(this.#start, 0, this.alpha, 0, 4 * c.count);
    for (let i = 0; i < POISSON_STEP_ITERATIONS; i++) {
      const stored = i === 0 && c.storeLanes !== undefined;
      if (stored && (!this.#storeSums || this.#storeSums.size < 8 * c.count * c.storeLanes!)) {
        throw new RangeError(`Cannot take ${c.count} frames' terms from stores: none summed`);
      }
      if (!stored) {
        gpu.dispatch(
          pipelines.terms,
          [params, c.frames, c.weights, c.far, this.alpha, this.#sums],
          c.count,
        );
      }
      const lanes = stored
        ? gpu.params(new Uint32Array([c.m2, c.modes, c.count, c.storeLanes!]))
        : params;
      gpu.dispatch(
        pipelines.newton,
        [lanes, null, null, null, this.alpha, stored ? this.#storeSums : this.#sums],
        Math.ceil(c.count / 64),
      );
    }
    return params;
  }

  destroy(): void {
    this.gpu.release(this.alpha, this.#sums, this.#storeSums, this.#start);
  }
}
