import type { Gpu } from "../gpu/mod.ts";
import type { Reductions } from "../kernels/mod.ts";
import { INTENSITY_EPSILON, type NoiseModel, POISSON_FLOOR } from "../physics/model.ts";
import type { Fft2, FusedPasses } from "../fft/mod.ts";
import code from "../../wgsl/cost.wgsl" with { type: "text" };
import storeCode from "../../wgsl/cost_store.wgsl" with { type: "text" };
import { NEWTON_TERMS_WGSL } from "./poisson_step.ts";

const SOURCE = { file: "wgsl/cost.wgsl", code };
/**
 * The per-pixel cost of `wgsl/cost.wgsl` (`cost_and_factor` and its override constants, which
 * {@link PIXEL_COST_CONSTANTS} sets), appended to the cost fused into the FFT and to position
 * correction's search, so that all round alike.
 */
export const PIXEL_COST_WGSL: string = (() => {
  const match = code.match(/\/\/ shared: begin\n([\s\S]*)\/\/ shared: end/);
  if (!match) throw new Error("wgsl/cost.wgsl lost its shared per-pixel cost");
  return match[1];
})();
/** The override constants of {@link PIXEL_COST_WGSL}: the Gaussian guard and the Poisson floor. */
export const PIXEL_COST_CONSTANTS: Record<string, number> = {
  EPSILON: INTENSITY_EPSILON,
  FLOOR: POISSON_FLOOR,
};
/** The noise models' numbers in the kernels (`model` of `wgsl/cost.wgsl`). */
const MODEL: Record<NoiseModel, number> = { poisson: 0, gaussian: 1 };
/** Detector pixels one invocation of `wgsl/cost.wgsl` sums (its `PIXELS`). */
const PIXELS = 16;
/** Invocation sums added into one partial by {@link Reductions.sumRuns}. */
const RUN = 256;

/** Options of {@link FarFieldCost.create}. */
export interface FarFieldCostOptions {
  /** Measured intensities of all positions, N x M x M float32, stored layout (centred). */
  frames: GPUBuffer;
  /** Frame size M. */
  frame: number;
  /** Probe modes K (far fields per position). */
  modes: number;
  /** Largest number of positions of one call. */
  maxBatch: number;
  /** Finishes the sums on the device. */
  reductions: Reductions;
  noise: NoiseModel;
  /** Bad detector pixels (nonzero = bad), M x M stored layout, or null. */
  mask?: Uint8Array | null;
  /**
   * The same frames on the host, to compute {@link FarFieldCost.constant} once in float64.
   * Required for the Poisson model.
   */
  hostFrames?: Float32Array;
  /**
   * The far-field FFT plan of {@link FarFieldCost.farFieldAndCost}. With one mode and a plan that
   * fuses (the unrolled design), the cost is computed in the transform's stores.
   */
  fft?: Fft2;
}

/** Which positions a call covers and where its per-workgroup partial sums go. */
export interface CostCall {
  first: number;
  count: number;
  /**
   * Receives float32 pairs (cost sum, R-factor numerator sum), one per 4096 detector pixels,
   * from pair `partial` on (see {@link FarFieldCost.partialsFor}); the host adds them with
   * `sumPairs`.
   */
  partials: GPUBuffer;
  partial: number;
  /** Overwrite the far fields with dF/dconj(Psi). */
  gradient: boolean;
  /**
   * Without the gradient, {@link FarFieldCost.farFieldAndCost} leaves the far fields Psi in the
   * buffer (its fused stores write nothing otherwise); {@link FarFieldCost.evaluate} always does.
   */
  keepFarFields?: boolean;
  /**
   * With the fused stores (one mode, {@link FarFieldCost.storeLanes} not null): the terms of the
   * Poisson exit-wave step's first Newton iteration, from `start` with the intensity floor
   * `floor`, summed per invocation of the storing pass into `sums` (see `wgsl/cost_store.wgsl`;
   * `PoissonExitStep.storeTerms` gives all three).
   */
  newton?: { sums: GPUBuffer; floor: number; start: number };
  /**
   * Another noise model for this call (ePIE and rPIE step along the Gaussian amplitude cost).
   * A Poisson call needs a Poisson cost: its constant is computed for that model only.
   */
  noise?: NoiseModel;
}

/**
 * The data term on far fields Psi (count x K x M x M, stored layout) with I = sum_k |Psi_k|^2:
 * Poisson F = sum (I - d log I) (PtyGer eq. 2) with gradient (1 - d / I) Psi_k at and above the
 * floor of POISSON_FLOOR counts, log continued below it by its second-order Taylor polynomial
 * (`poissonPixel`), or Gaussian on amplitudes F = sum (sqrt(I + eps) - sqrt(d))^2 with gradient
 * (1 - sqrt(d / (I + eps))) Psi_k, eps = INTENSITY_EPSILON (0.1 counts, below one count). The
 * floor and the guard keep the cost and its gradient finite on dark pixels. Gradients are Wirtinger derivatives
 * dF/dconj(Psi_k), so dF = 2 Re <g, dPsi>. Masked pixels contribute neither cost nor gradient.
 *
 * The cost is returned as per-workgroup partials (see {@link partialsFor}); summing them in
 * float64 in index order on the host makes it deterministic. For the Poisson model the kernel
 * sums each pixel's cost minus its minimum d - d log d, which keeps float32 terms small near the
 * solution (where a line search compares nearby costs); F = {@link constant} + sum of partials.
 */
export class FarFieldCost {
  readonly weights: GPUBuffer;
  /** The float64 sum of d - d log d over unmasked pixels with d > 0 (Poisson), else 0. */
  readonly constant: number;
  /** The float64 sum of sqrt(d) over unmasked pixels: the amplitude R-factor's denominator. */
  readonly amplitudeSum: number;
  #runs: GPUBuffer;
  /** Bound as the fused stores' Newton sums when a call asks for none (never written). */
  #noSums: GPUBuffer;

  private constructor(
    private readonly gpu: Gpu,
    private readonly o: FarFieldCostOptions,
    private readonly pipeline: GPUComputePipeline,
    /** The fused stores of each noise model (`MODEL` of `wgsl/cost_store.wgsl`). */
    private readonly fused: Record<NoiseModel, FusedPasses> | null,
  ) {
    const m2 = o.frame * o.frame;
    const weights = new Float32Array(m2).fill(1);
    if (o.mask) {
      if (o.mask.length !== m2) {
        throw new RangeError(
          `Cannot use a mask of ${o.mask.length} pixels for ${o.frame} x ${o.frame} frames`,
        );
      }
      for (let q = 0; q < m2; q++) if (o.mask[q] !== 0) weights[q] = 0;
    }
    this.weights = gpu.upload(weights, "mask weights");
    const runs = Math.max(this.#runCount(o.maxBatch), this.#fusedRuns(o.maxBatch));
    this.#runs = gpu.buffer(8 * runs, "cost runs");
    this.#noSums = gpu.buffer(8, "cost no newton sums");
    this.constant = 0;
    this.amplitudeSum = 0;
    if (o.hostFrames) {
      let sum = 0;
      for (let i = 0; i < o.hostFrames.length; i++) {
        if (weights[i % m2] !== 0) sum += Math.sqrt(Math.max(0, o.hostFrames[i]));
      }
      this.amplitudeSum = sum;
    }
    if (o.noise === "poisson") {
      if (!o.hostFrames) throw new TypeError("The Poisson cost needs the frames on the host");
      let sum = 0;
      for (let i = 0; i < o.hostFrames.length; i++) {
        const d = o.hostFrames[i];
        if (d > 0 && weights[i % m2] !== 0) sum += d - d * Math.log(d);
      }
      this.constant = sum;
    }
  }

  /** Compiles the cost kernel and, with one mode and an FFT plan given, the fused one. */
  static async create(gpu: Gpu, o: FarFieldCostOptions): Promise<FarFieldCost> {
    const constants = PIXEL_COST_CONSTANTS;
    const pipeline = await gpu.pipeline(SOURCE, "main", constants);
    const code = storeCode + PIXEL_COST_WGSL + NEWTON_TERMS_WGSL;
    // One pipeline per noise model; the driver compiles only those a run dispatches.
    const fuse = async (noise: NoiseModel) => {
      const fusion = { name: `far-field-cost-${noise}`, code, load: false, store: true };
      const passes = await o.fft!.fuse({
        ...fusion,
        constants: { ...constants, MODEL: MODEL[noise] },
      });
      return passes && [noise, passes] as const;
    };
    const fused = o.fft && o.modes === 1
      ? await Promise.all([fuse("poisson"), fuse("gaussian")])
      : null;
    const byModel = fused?.every((f) => f !== null)
      ? Object.fromEntries(fused) as Record<NoiseModel, FusedPasses>
      : null;
    return new FarFieldCost(gpu, o, pipeline, byModel);
  }

  /** The problem's noise model (a call may take another, see {@link CostCall.noise}). */
  get noise(): NoiseModel {
    return this.o.noise;
  }

  /**
   * Invocations per frame of the fused stores, each summing its own cost and Newton terms (see
   * {@link CostCall.newton}); null when the cost is not fused into the FFT.
   */
  get storeLanes(): number | null {
    return this.fused ? this.fused.poisson.storeInvocationsPerFrame : null;
  }

  /** Most partials a call over `count` positions writes (each call returns its own count). */
  partialsFor(count: number): number {
    return Math.ceil(Math.max(this.#runCount(count), this.#fusedRuns(count)) / RUN);
  }

  /**
   * far <- fftshift(F waves) (in place, like `FarField.forward`) for the count x K waves of the
   * call's positions, then {@link evaluate}; fused into the FFT's stores when the plan allows,
   * which leaves `far` unwritten unless the gradient or the far fields (`keepFarFields`) are
   * asked for. Returns the partials written.
   */
  farFieldAndCost(far: GPUBuffer, c: CostCall): number {
    const fft = this.o.fft;
    if (!fft) throw new TypeError("farFieldAndCost() needs the FFT plan in the options");
    if (!this.fused) {
      if (c.newton) throw new RangeError("Cannot sum Newton terms in stores that are not fused");
      fft.forward(far, far, c.count * this.o.modes, { shiftOutput: true });
      return this.evaluate(far, c);
    }
    const m2 = this.o.frame * this.o.frame;
    const store = c.gradient ? 1 : c.keepFarFields ? 2 : 0;
    const words = new Uint32Array([m2, 0, store, Math.log2(m2), c.newton ? 1 : 0, 0, 0]);
    new Float32Array(words.buffer, 20, 2).set([c.newton?.floor ?? 0, c.newton?.start ?? 0]);
    const frames = this.framesOf(c.first, c.count);
    const sums = c.newton?.sums ?? this.#noSums;
    fft.forward(far, far, c.count, {
      shiftOutput: true,
      fusion: {
        passes: this.fused[c.noise ?? this.o.noise],
        store: [this.gpu.params(words), frames, this.weights, this.#runs, sums],
      },
    });
    const runs = this.#fusedRuns(c.count);
    this.o.reductions.sumRuns(this.#runs, c.partials, { count: runs, run: RUN, first: c.partial });
    return Math.ceil(runs / RUN);
  }

  /**
   * Records the cost (and optionally the gradient, in place) of positions first .. first + count
   * from their far fields; returns the number of partials written.
   */
  evaluate(far: GPUBuffer, c: CostCall): number {
    const m2 = this.o.frame * this.o.frame;
    const params = this.gpu.params(
      new Uint32Array([
        m2,
        this.o.modes,
        c.count,
        0,
        MODEL[c.noise ?? this.o.noise],
        c.gradient ? 1 : 0,
        Math.log2(m2),
      ]),
    );
    const runs = this.#runCount(c.count);
    this.gpu.dispatch(
      this.pipeline,
      [params, this.framesOf(c.first, c.count), this.weights, far, this.#runs],
      Math.ceil(runs / 256),
    );
    this.o.reductions.sumRuns(this.#runs, c.partials, { count: runs, run: RUN, first: c.partial });
    return Math.ceil(runs / RUN);
  }

  /**
   * Positions first .. first + count - 1's frames, bound as a range of the frames buffer (offsets are multiples
   * of M^2 x 4 bytes >= 1 KiB, aligned for storage bindings): a binding is limited (128 MiB on
   * the software adapter) where the whole frames buffer is not.
   */
  framesOf(first: number, count: number): { buffer: GPUBuffer; offset: number; size: number } {
    const bytes = 4 * this.o.frame * this.o.frame;
    return { buffer: this.o.frames, offset: first * bytes, size: count * bytes };
  }

  /** Invocation sums of the fused cost over `count` positions (0 when not fused). */
  #fusedRuns(count: number): number {
    return this.fused ? count * this.fused.poisson.storeInvocationsPerFrame : 0;
  }

  #runCount(count: number): number {
    // Whole workgroups of 256 invocations, each summing PIXELS pixels 256 apart.
    return 256 * Math.ceil((count * this.o.frame * this.o.frame) / (256 * PIXELS));
  }

  /** Frees the mask weights (the frames belong to the caller). */
  destroy(): void {
    this.gpu.release(this.weights, this.#runs, this.#noSums);
  }
}
