/**
 * The projection algorithms `dm` (difference map, Thibault et al., Science 321, 379, 2008 and
 * Ultramicroscopy 109, 338, 2009) and `raar` (relaxed averaged alternating reflections, Luke,
 * Inverse Problems 21, 37, 2005) on a {@link GpuProblem}: each position keeps its exit wave on
 * the device, and an iteration alternates the Fourier-modulus projection (with the reflection
 * through the overlap set) and the overlap projection, the latter built from the gradient
 * solvers' own pieces, so that on tiles its sums go through the same exchange as gradients.
 *
 * @module
 */
import { ExitWaveUpdate } from "../cost/mod.ts";
import { sumPairs } from "../kernels/mod.ts";
import { DEFAULT_PROBE_SUPPORT, DEFAULT_RAAR_BETA } from "../physics/model.ts";
import type { GpuProblem, GpuVariables } from "../problem/mod.ts";
import type { StepResult } from "./gradient_solver.ts";

/**
 * The overlap projection's regularisation c, this fraction of its denominator's peak: the object
 * becomes (sum_j conj(P_j) psi_j + c O) / (sum_j |P_j|^2 + c), PtyPy's object inertia, so that
 * pixels the probes barely reach (the scan's rim) stay put instead of blowing up, while the
 * fixed point keeps the exact projection (a floor without the c O term biased it: 101 dB at the
 * truth fell to 42 dB in one iteration, noise-free, frame 64).
 */
export const OVERLAP_FLOOR = 1e-3;

/** Options of {@link ProjectionSolver}. */
export interface ProjectionSolverOptions {
  algorithm: "dm" | "raar";
  /** RAAR's beta (ignored by `dm`, which is beta = 1). */
  beta?: number;
  /** First iteration that also updates the probe (never when undefined). */
  refineProbeFrom?: number;
  /**
   * The updated probe is set to zero outside a centred disc of this fraction of the frame's
   * area; null: no support (the default, {@link DEFAULT_PROBE_SUPPORT}).
   */
  probeSupport?: number | null;
}

/** A projection solver's state with its exit waves read back (see {@link ProjectionSolver.save}). */
export interface ProjectionState {
  algorithm: "dm" | "raar";
  iteration: number;
  scalars: Record<string, number>;
  vectors: Record<string, { object: Float32Array; probe: Float32Array }>;
}

/**
 * The difference map and RAAR with probe refinement. With phi_j = P O_j the model's exit wave of
 * position j and psi_j its stored exit wave, an iteration
 * 1. evaluates the cost at (O, P) and updates every exit wave on the detector plane,
 *    psi_j <- beta (psi_j + Pi_F(2 phi_j - psi_j) - phi_j) + (1 - beta) phi_j
 *    (`wgsl/exit_update.wgsl`; beta = 1 is DM), so the waves are stored propagated: the
 *    propagation is linear and the modulus projection acts there;
 * 2. projects onto the overlap set, one pass for each unknown as PtyPy does with one inner
 *    iteration: O = (sum_j conj(P_j) psi_j + c O) / (sum_j |P_j|^2 + c) with the probes shifted
 *    as in the model (overlap-added, and on tiles summed over the halos; c is
 *    {@link OVERLAP_FLOOR}'s), then, when the probe is refined, with the new O, a step
 *    P <- P + sum_j S_j^H conj(O_j) (psi_j - phi_j) / (sum_j |O_j|^2 + c) (S_j the sub-pixel
 *    shift of the probe, the sums all-reduced in tile order) and the probe's support. The probe
 *    takes a step rather than the quotient sum_j S_j^H conj(O_j) psi_j / sum_j |O_j|^2 because
 *    the shifts make sum_j S_j^H |O_j|^2 S_j differ from that diagonal: the quotient diverged
 *    after 9 iterations from the true probe, noise-free, and was stable with positions rounded;
 *    the step has the exact fixed point and was stable.
 * Every tile does the same with its own positions' waves, so tiled equals untiled up to float32
 * rounding.
 *
 * On the device an iteration is two passes over the batches and one readback (the cost's
 * partial sums; on tiles also the object floor's peak): the first runs step 1 and the object's
 * sums (forward pass, to the detector, cost, update, back; the probe is unchanged, so the stored
 * shifted probes serve the sums), the second, when the probe is refined, takes the probe's
 * residual on the object plane (forward pass with the new O, the waves brought back, the probe's
 * adjoint): three frame transforms each.
 */
export class ProjectionSolver {
  #iteration = 0;
  /** 0 until the exit waves hold a first update (they start as phi). */
  #started = 0;
  readonly #exits: GPUBuffer[];
  readonly #numerator: GpuVariables;
  readonly #partials: GPUBuffer;
  readonly #support: GPUBuffer | null;
  /** sum_j |O_j|^2 over the probe's frame (see {@link #divideProbe}). */
  readonly #probeDenominator: GPUBuffer;
  /** sum_j |P_j|^2 over the object (one plane) and its floor (see {@link #divideObject}). */
  readonly #denominator: GPUBuffer;
  readonly #floor: GPUBuffer;
  /** A batch of object-plane waves for the probe step (allocated when the probe is refined). */
  #scratch: GPUBuffer | null = null;

  private constructor(
    readonly problem: GpuProblem,
    readonly x: GpuVariables,
    readonly options: ProjectionSolverOptions,
    private readonly update: ExitWaveUpdate,
  ) {
    const { gpu, scan, modes, costTerm } = problem;
    const m2 = scan.frame ** 2;
    this.#exits = scan.batches.map((b, i) =>
      gpu.buffer(8 * b.count * modes * m2, `exit waves of batch ${i}`)
    );
    this.#numerator = problem.create("overlap projection numerator");
    const partials = scan.batches.reduce((n, b) => n + costTerm.partialsFor(b.count), 0);
    this.#partials = gpu.buffer(8 * partials, "projection cost partials");
    const [h, w] = scan.objectShape;
    this.#denominator = gpu.buffer(8 * h * w, "overlap projection denominator");
    this.#floor = gpu.buffer(8, "overlap projection floor");
    this.#probeDenominator = gpu.buffer(8 * m2, "overlap projection probe denominator");
    const support = options.probeSupport === undefined
      ? DEFAULT_PROBE_SUPPORT
      : options.probeSupport;
    this.#support = support === null
      ? null
      : gpu.upload(probeSupport(scan.frame, support), "probe support");
  }

  /** Compiles the exit-wave update and allocates the exit waves (frames-sized, on the device). */
  static async create(
    problem: GpuProblem,
    x: GpuVariables,
    options: ProjectionSolverOptions,
  ): Promise<ProjectionSolver> {
    if (problem.slices !== 1) {
      throw new RangeError(`Cannot run ${options.algorithm} on ${problem.slices} slices: one only`);
    }
    return new ProjectionSolver(problem, x, options, await ExitWaveUpdate.create(problem.gpu));
  }

  get iteration(): number {
    return this.#iteration;
  }

  /** The relaxation in use: 1 for DM. */
  get beta(): number {
    return this.options.algorithm === "dm" ? 1 : this.options.beta ?? DEFAULT_RAAR_BETA;
  }

  /** One iteration: cost and exit-wave update, then the overlap projection. */
  async step(): Promise<StepResult> {
    const { problem, options } = this;
    const refine = options.refineProbeFrom !== undefined &&
      this.#iteration >= options.refineProbeFrom;
    problem.setActive({ object: true, probe: false });
    const { cost, rFactor } = await this.#updateExits();
    await this.#divideObject();
    if (refine) {
      problem.setActive({ object: false, probe: true });
      await this.#probeNumerator();
      await this.#divideProbe();
    }
    problem.setActive({ object: true, probe: refine });
    this.#iteration++;
    return { cost, newCost: undefined, step: 1, rFactor, evaluations: 1 };
  }

  /** The state with the exit waves read back, all batches' in one array. */
  async save(): Promise<ProjectionState> {
    const { gpu } = this.problem;
    const parts = await Promise.all(this.#exits.map((b) => gpu.readF32(b)));
    const exits = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      exits.set(p, at);
      at += p.length;
    }
    const x = await this.problem.download(this.x);
    return {
      algorithm: this.options.algorithm,
      iteration: this.#iteration,
      scalars: { started: this.#started },
      vectors: { x, exits: { object: exits, probe: new Float32Array(0) } },
    };
  }

  /** Continues from a state written by {@link save} of the same tile and algorithm. */
  async restore(saved: ProjectionState): Promise<void> {
    const { gpu } = this.problem;
    if (saved.algorithm !== this.options.algorithm) {
      throw new TypeError(
        `Cannot resume ${this.options.algorithm} from a ${saved.algorithm} state`,
      );
    }
    gpu.write(this.x.object, saved.vectors.x.object);
    gpu.write(this.x.probe, saved.vectors.x.probe);
    const exits = saved.vectors.exits.object;
    let at = 0;
    for (const b of this.#exits) {
      gpu.write(b, exits.subarray(at, at + b.size / 4));
      at += b.size / 4;
    }
    if (at !== exits.length) {
      throw new RangeError(
        `Cannot restore ${exits.length / 2} exit-wave values: expected ${at / 2}`,
      );
    }
    this.#iteration = saved.iteration;
    this.#started = saved.scalars.started;
    this.problem.setActive({
      object: true,
      probe: this.options.refineProbeFrom !== undefined &&
        saved.iteration > this.options.refineProbeFrom,
    });
    await gpu.finish();
  }

  destroy(): void {
    this.problem.destroy(this.#numerator);
    this.problem.gpu.release(
      ...this.#exits,
      this.#partials,
      this.#support,
      this.#probeDenominator,
      this.#denominator,
      this.#floor,
      this.#scratch,
    );
  }

  /**
   * Step 1 of the class comment and the object's overlap sums, in one pass over the batches:
   * each batch's forward pass stores its shifted probes, its waves reach the detector, give the
   * cost and update the stored exit waves, which come back to the object plane for
   * sum_j conj(P_j) psi_j and sum_j |P_j|^2 (with the probe unchanged, the sums of the updated
   * waves need no second forward pass). Returns the cost and R-factor at (O, P), from the
   * iteration's one readback.
   */
  async #updateExits(): Promise<{ cost: number; rFactor: number }> {
    const { problem, x } = this;
    const { multislice: ms, scan, work, costTerm, gpu, reduced, modes } = problem;
    const detector = problem.detector;
    const m2 = scan.frame ** 2;
    const numerator = this.#numerator.object;
    gpu.encoder.clearBuffer(numerator);
    gpu.encoder.clearBuffer(this.#denominator);
    ms.setProbe(x.probe);
    let partial = 0;
    for (const [i, batch] of scan.batches.entries()) {
      const frames = batch.count * modes;
      ms.forward(x.object, work, batch, true);
      const call = { first: batch.first, count: batch.count, partials: this.#partials, partial };
      if (problem.nearField) {
        detector.forward(work, work, frames);
        partial += costTerm.evaluate(work, { ...call, gradient: false });
      } else {
        // The far field's FFT keeps the far fields and sums the cost in its stores.
        const keep = { ...call, gradient: false, keepFarFields: true };
        partial += costTerm.farFieldAndCost(work, keep);
      }
      this.update.apply({
        frames: costTerm.framesOf(batch.first, batch.count),
        weights: costTerm.weights,
        model: work,
        exits: this.#exits[i],
        count: batch.count,
        modes,
        m2,
        beta: this.beta,
        init: this.#started === 0,
      });
      detector.adjoint(this.#exits[i], work, frames);
      // With the probes as shifted (sub-pixel) in the model, so that the projection's fixed
      // point is the model's.
      const window = { batch, slice: 0, modes, waveOffset: 0 };
      ms.windows.overlapProduct(work, ms.waves, numerator, window);
      ms.windows.overlapProduct(ms.waves, ms.waves, this.#denominator, window);
    }
    this.#started = 1;
    const sums = sumPairs(await gpu.readF32(this.#partials, 0, 8 * partial));
    const result = await reduced.sumShare({
      cost: costTerm.constant + sums.re,
      numerator: sums.im,
      denominator: costTerm.amplitudeSum,
    });
    await reduced.sumQuotient(numerator, this.#denominator);
    return result;
  }

  /**
   * O <- numerator / (denominator + floor), the floor being {@link OVERLAP_FLOOR} times the
   * denominator's peak over all tiles (the largest of the tiles' floors, which rounds as the
   * untiled one since the scale is positive).
   */
  async #divideObject(): Promise<void> {
    const { reductions, reduced, ew, scan, sizes } = this.problem;
    const [h, w] = scan.objectShape;
    reductions.scaledMaxReal(
      this.#denominator,
      { height: h, width: w },
      this.#floor,
      OVERLAP_FLOOR,
    );
    await reduced.peakValue(this.#floor);
    this.#withInertia(this.x.object, this.#numerator.object, sizes.object);
    ew.divideBroadcast(this.#denominator, this.x.object, {
      count: sizes.object,
      length: h * w,
      c: this.#floor,
    });
  }

  /** x <- c x + numerator, c being the floor on the device (complex elements `count`). */
  #withInertia(x: GPUBuffer, numerator: GPUBuffer, count: number): void {
    const { ew } = this.problem;
    ew.mulBroadcast(this.#floor, x, { count, length: 1 });
    ew.axpy(x, x, 1, numerator, 2 * count);
  }

  /**
   * P <- numerator / (sum_j |O_j|^2 + floor) for every mode, the floor {@link OVERLAP_FLOOR}
   * times the sum's peak (the sum all-reduced in tile order, so the same on every tile), then
   * the support.
   */
  async #divideProbe(): Promise<void> {
    const { gpu, reductions, reduced, ew, scan, sizes, multislice: ms } = this.problem;
    const m2 = scan.frame ** 2;
    const sum = this.#probeDenominator;
    gpu.encoder.clearBuffer(sum);
    for (const batch of scan.batches) {
      const window = { batch, slice: 0, modes: 1, waveOffset: 0 };
      ms.windows.windowPower(this.x.object, sum, window, true);
    }
    await reduced.sumProbes(sum);
    reductions.scaledMaxReal(sum, { height: 1, width: m2 }, this.#floor, OVERLAP_FLOOR);
    const step = this.#numerator.probe;
    ew.divideBroadcast(sum, step, { count: sizes.probe, length: m2, c: this.#floor });
    ew.axpy(this.x.probe, this.x.probe, 1, step, 2 * sizes.probe);
    if (this.#support) {
      ew.mulBroadcast(this.#support, this.x.probe, { count: sizes.probe, length: m2 });
    }
  }

  /**
   * The probe step's numerator sum_j S_j^H conj(O_j) (psi_j - phi_j) (see {@link #divideProbe})
   * with the updated object, into {@link #numerator}'s probe, all-reduced: the residual is taken
   * on the object plane (the propagation is unitary), the stored waves brought back into a
   * scratch buffer beside the model's.
   */
  async #probeNumerator(): Promise<void> {
    const { problem, x } = this;
    const { multislice: ms, scan, work, gpu, reduced, modes, ew } = problem;
    const m2 = scan.frame ** 2;
    this.#scratch ??= gpu.buffer(8 * scan.maxBatch * modes * m2, "projection scratch");
    ms.clearProbeGradient();
    ms.setProbe(x.probe);
    for (const [i, batch] of scan.batches.entries()) {
      const frames = batch.count * modes;
      ms.forward(x.object, work, batch, true);
      problem.detector.adjoint(this.#exits[i], this.#scratch, frames);
      ew.axpy(work, this.#scratch, -1, work, 2 * frames * m2);
      ms.backward(x.object, work, batch, { object: null, probe: true });
    }
    ms.probeGradient(this.#numerator.probe);
    await reduced.sumProbes(this.#numerator.probe);
  }
}

/**
 * A centred disc holding `fraction` of the M x M frame's area (pi r^2 = fraction M^2), as
 * interleaved complex ones and zeros; the disc's centre is the probe's, pixel (M/2, M/2).
 */
export function probeSupport(m: number, fraction: number): Float32Array {
  if (!(fraction > 0)) throw new RangeError(`Expected a positive probe support, got ${fraction}`);
  const r2 = fraction * m * m / Math.PI;
  const out = new Float32Array(2 * m * m);
  for (let y = 0; y < m; y++) {
    for (let x = 0; x < m; x++) {
      if ((y - m / 2) ** 2 + (x - m / 2) ** 2 <= r2) out[2 * (y * m + x)] = 1;
    }
  }
  return out;
}
