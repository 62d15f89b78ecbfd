/**
 * The device side of LSQ-ML (`lsqml`, Odstrčil, Menzel and Guizar-Sicairos, Opt. Express 26,
 * 3108, 2018): one sweep over a problem's mini-batches, each updating the object and the probe
 * from its own exit-wave residuals with step lengths from a small least-squares solve.
 *
 * @module
 */
import { PoissonExitStep } from "../cost/mod.ts";
import type { FusionCall } from "../fft/mod.ts";
import { FarField } from "../operators/mod.ts";
import { sumPairs } from "../kernels/mod.ts";
import { PRECONDITIONER_FLOOR } from "../physics/model.ts";
import type { GpuProblem, GpuVariables } from "./gpu_problem.ts";
import { LsqmlObjectUpdate } from "./lsqml_object.ts";
import { LsqmlStepSolve, type StepRule } from "./lsqml_steps.ts";
import { LsqmlStepTerms } from "./lsqml_terms.ts";
import { LsqmlFloors } from "./lsqml_floor.ts";

/**
 * The normal equations of one batch's step lengths (Odstrčil et al. eq. 23), summed over the
 * batch's positions on every tile: with chi the exit-wave residual (minus dF/dconj(psi)) and
 * A = P dO, B = dP O the exit-wave changes along the object and probe directions,
 * minimising || chi + aO A + aP B ||^2 over the step lengths aO and aP (the directions being
 * gradients, steps of -aO dO and -aP dP) gives
 * [AA AB; AB BB] [aO; aP] = [-Re<A, chi>; -Re<B, chi>] = [AG; BG] with G = -chi. In AB and BB,
 * B is O_j dP on each window, without the probe's sub-pixel shift (`LsqmlStepTerms`: no
 * transform per position); BG is the exact Re<dP, N>, N the probe direction's numerator.
 */
export interface StepSums {
  /** sum |A|^2 */
  aa: number;
  /** sum Re<A, B> (0 when the probe is not refined) */
  ab: number;
  /** sum |B|^2 (0 when the probe is not refined) */
  bb: number;
  /** sum Re<A, G>, G = dF/dconj(psi) */
  ag: number;
  /** sum Re<B, G> (0 when the probe is not refined) */
  bg: number;
}

/** The step lengths of one batch's object and probe updates. */
export interface Steps {
  object: number;
  probe: number;
}

/** Options of {@link LsqmlSweep.sweep}. */
export interface SweepOptions {
  /** Whether the probe is refined in this sweep. */
  probe: boolean;
  /** The rule that takes a batch's all-reduced sums to its steps (the solver's), on the device. */
  rule: StepRule;
}

/**
 * What a sweep measured: the amplitude cost sum (sqrt(I + eps) - sqrt(d))^2 (whatever the
 * problem's noise model) and the R-factor, summed batch by batch at the unknowns each saw.
 */
export interface SweepResult {
  cost: number;
  rFactor: number;
}

/**
 * LSQ-ML's batch updates on a {@link GpuProblem} whose scan batches are the mini-batches (sparse
 * sets of positions, see `sparseBatchOrder`). For each batch in turn:
 * - exit waves psi = P O_j, their amplitude cost, and G = Psi - Psi' on the far fields, minus
 *   the exit-wave update chi toward the data the noise model gives (`noise` of the problem):
 *   - Poisson (the default): Psi' = Psi (1 - alpha (1 - d / J)), one step alpha per frame
 *     minimising the frame's Poisson likelihood along it (`PoissonExitStep`, Odstrčil et al.
 *     eq. 16-17). The unrelaxed step, alpha = 1, aims at intensities d^2 / J, far beyond d where
 *     the model is dark: with it the near-field preset (frame 32, 40 positions, probe known)
 *     diverged (phase PSNR -4.0 dB against 33.7 dB with the modulus projection);
 *   - Gaussian: the modulus projection Psi' = Psi sqrt(d / J), the gradient of the amplitude
 *     cost;
 * - object direction dO = sum_j conj(P) G_j / (sum_j (|P|^2 + ridge) + delta) over the batch's
 *   windows ({@link LSQML_WINDOW_RIDGE}), probe direction
 *   dP = sum_j conj(O_j) G_j / (sum_j |O_j|^2 + delta) (eq. 17-18), delta the preconditioner's
 *   floor times the denominator's peak;
 * - the step sums of {@link StepSums} from per-pixel terms ({@link LsqmlStepTerms}) and, from the
 *   solver's rule, O -= aO dO, P -= aP dP, all on the device ({@link LsqmlStepSolve}): on one
 *   device a sweep reads back only its cost.
 *
 * On tiles the batches run in lock step (batch b of every tile at once; a tile with fewer
 * batches takes part with empty ones): the object direction's numerator and denominator are
 * summed over the halos like the gradients, the probe's and the step sums are all-reduced in
 * tile order (each tile's five float32 sums read back, added in float64 in tile order by every
 * transport alike and written back), so every tile applies the same steps and the same probe.
 * One slice only.
 */
export class LsqmlSweep {
  readonly #numerator: GPUBuffer;
  readonly #weight: GPUBuffer;
  readonly #chi: GPUBuffer;
  /** A tile's copy of the batch's shifted probes (null alone: they are read where they are). */
  #probes: GPUBuffer | null = null;
  readonly #probeNumerator: GPUBuffer;
  /** The tile's own probe numerator and windows' power, kept for the step sums. */
  readonly #localNumerator: GPUBuffer;
  readonly #localWeight: GPUBuffer;
  readonly #probeWeight: GPUBuffer;
  readonly #intensity: GPUBuffer;
  readonly #floor: GPUBuffer;
  readonly #partials: GPUBuffer;
  #solve: LsqmlStepSolve | null = null;
  #terms: LsqmlStepTerms | null = null;
  #floors: LsqmlFloors | null = null;
  /** The object's divide and update in the batch's blocks (null on tiles, see `#batch`). */
  #object: LsqmlObjectUpdate | null = null;
  /** The Poisson model's exit-wave step (null for the Gaussian model's modulus projection). */
  #poisson: PoissonExitStep | null = null;

  /**
   * @param batches batches per sweep on every tile (at least the problem's own; the rest empty).
   * @throws {RangeError} for several slices or fewer batches than the problem's.
   */
  constructor(readonly problem: GpuProblem, readonly batches: number) {
    const { gpu, scan, slices, modes, fft, costTerm } = problem;
    if (slices !== 1) throw new RangeError(`Cannot run lsqml on ${slices} slices: one only`);
    if (batches < scan.batches.length) {
      throw new RangeError(`Cannot sweep ${scan.batches.length} batches in ${batches}`);
    }
    const [h, w] = scan.objectShape;
    const m2 = fft.n * fft.n;
    const waves = 8 * scan.maxBatch * modes * m2;
    this.#numerator = gpu.buffer(8 * h * w, "lsqml object direction");
    this.#weight = gpu.buffer(8 * h * w, "lsqml object weight");
    this.#chi = gpu.buffer(waves, "lsqml exit-wave gradient");
    this.#probeNumerator = gpu.buffer(8 * modes * m2, "lsqml probe direction");
    this.#localNumerator = gpu.buffer(8 * modes * m2, "lsqml tile's probe numerator");
    this.#localWeight = gpu.buffer(8 * m2, "lsqml tile's probe weight");
    this.#probeWeight = gpu.buffer(8 * m2, "lsqml probe weight");
    this.#intensity = gpu.buffer(8 * m2, "lsqml probe intensity");
    this.#floor = gpu.buffer(8, "lsqml floor");
    const partials = scan.batches.reduce((n, b) => n + costTerm.partialsFor(b.count), 0);
    this.#partials = gpu.buffer(8 * Math.max(1, partials), "lsqml cost partials");
  }

  /** One pass over every batch, updating `x` in place. */
  async sweep(x: GpuVariables, o: SweepOptions): Promise<SweepResult> {
    const p = this.problem;
    this.#solve ??= await LsqmlStepSolve.create(p.gpu, p.modes * p.fft.n ** 2);
    this.#terms ??= await LsqmlStepTerms.create(p.gpu, p.scan, p.modes);
    const floors = { m2: p.fft.n ** 2, modes: p.modes, scale: PRECONDITIONER_FLOOR };
    this.#floors ??= await LsqmlFloors.create(p.gpu, floors);
    if (p.reduced.alone) {
      this.#object ??= await LsqmlObjectUpdate.create(p.gpu, p.scan, p.modes);
    } else {
      const waves = 8 * p.scan.maxBatch * p.modes * p.fft.n ** 2;
      this.#probes ??= p.gpu.buffer(waves, "lsqml tile's shifted probes");
    }
    if (p.costTerm.noise === "poisson") {
      // In far field the update rides on the detector adjoint's loads (PoissonExitStep.fused).
      const fusion = p.nearField ? undefined : { fft: p.fft, modes: p.modes };
      this.#poisson ??= await PoissonExitStep.create(p.gpu, p.scan.maxBatch, fusion);
    }
    let partial = 0;
    // Position correction: each batch records its positions' shift gradients of the amplitude
    // cost at the unknowns it sees (LSQ-ML's position update from the exit-wave residual).
    const shifts = p.takePositionCapture();
    for (let b = 0; b < this.batches; b++) {
      partial += await this.#batch(x, b, o, partial, shifts);
    }
    if (shifts) p.endPositionCapture(shifts);
    const sums = sumPairs(await p.gpu.readF32(this.#partials, 0, 8 * partial));
    // The Gaussian calls' partials are the whole amplitude cost (no constant: that is Poisson's).
    return await p.reduced.sumShare({
      cost: sums.re,
      numerator: sums.im,
      denominator: p.costTerm.amplitudeSum,
    });
  }

  /** Batch `b`'s update (an empty one past the problem's batches); returns partials written. */
  async #batch(
    x: GpuVariables,
    b: number,
    o: SweepOptions,
    partial: number,
    shifts: GPUBuffer | null,
  ): Promise<number> {
    const p = this.problem;
    const { gpu, multislice: ms, scan, modes, work, ew, reduced } = p;
    const floors = this.#floors!;
    const batch = scan.batches[b];
    const [h, w] = scan.objectShape;
    const m2 = p.fft.n ** 2;
    // A tile alone forms, divides and applies the object direction only in the blocks the
    // batch's windows reach, in one pass from chi (LsqmlObjectUpdate): on tiles the halo sums
    // also write where the tile's own windows do not reach, so the numerator and weight are
    // overlap-added over the whole object, exchanged, and divided there.
    const blocks = this.#object !== null && batch ? this.#object : null;
    if (!blocks) {
      gpu.encoder.clearBuffer(this.#numerator);
      gpu.encoder.clearBuffer(this.#weight);
    }
    if (o.probe) {
      gpu.encoder.clearBuffer(this.#probeWeight);
      ms.clearProbeGradient();
    }
    // The object's floor from sum_k |P_k|^2 (the same probe on every tile), and each window's
    // weight with the ridge (see LSQML_WINDOW_RIDGE) added after the floor is taken; each divide
    // reads the floor recorded before it, so one buffer serves the object's and the probe's.
    floors.object(x.probe, this.#intensity, this.#floor, LSQML_WINDOW_RIDGE);
    let written = 0;
    const waves = batch ? 8 * batch.count * modes * m2 : 0;
    if (batch) {
      const frames = batch.count * modes;
      // The Poisson update when the detector adjoint's loads make it (then never stored).
      let update: FusionCall | null = null;
      ms.setProbe(x.probe);
      ms.forward(x.object, work, batch, true);
      // The batch's shifted probes (the stored slice input), kept for the object direction's
      // exit-wave change: on tiles the stored waves may be another tile's by then; a tile
      // alone reads them where they are (nothing overwrites them before the step terms).
      if (this.#probes) gpu.copy(ms.waves, 0, this.#probes, 0, waves);
      // The stored first-slice waves are the shifted probes until the backward pass.
      if (shifts) ms.shifts.recordCurvature(ms.waves, x.object, batch, shifts);
      // The amplitude cost is reported whatever the noise model (see the class comment).
      const call = {
        first: batch.first,
        count: batch.count,
        partials: this.#partials,
        partial,
        noise: "gaussian" as const,
      };
      if (this.#poisson) {
        // The Poisson model's relaxed step needs the far fields themselves: in far field the
        // FFT's stores keep them, sum the cost and, where fused, the step's first Newton terms.
        const storeLanes = p.nearField ? null : p.costTerm.storeLanes;
        if (p.nearField) {
          p.nearField.forward(work, work, frames);
          written = p.costTerm.evaluate(work, { ...call, gradient: false });
        } else {
          written = p.costTerm.farFieldAndCost(work, {
            ...call,
            gradient: false,
            keepFarFields: true,
            newton: storeLanes ? this.#poisson.storeTerms(batch.count, storeLanes) : undefined,
          });
        }
        const step = {
          frames: p.costTerm.framesOf(batch.first, batch.count),
          weights: p.costTerm.weights,
          far: work,
          count: batch.count,
          modes,
          m2,
          storeLanes: storeLanes ?? undefined,
        };
        update = p.nearField ? null : this.#poisson.fused(step);
        if (!update) this.#poisson.apply(step);
      } else if (p.nearField) {
        p.nearField.forward(work, work, frames);
        written = p.costTerm.evaluate(work, { ...call, gradient: true });
      } else {
        // The far field's FFT fuses the cost (and G) into its stores.
        written = p.costTerm.farFieldAndCost(work, { ...call, gradient: true });
      }
      if (update) new FarField(p.fft).adjoint(work, work, frames, update);
      else p.detector.adjoint(work, work, frames);
      gpu.copy(work, 0, this.#chi, 0, waves);
      if (blocks) {
        const inputs = { chi: this.#chi, waves: ms.waves, weight: this.#intensity };
        blocks.direction(batch, { ...inputs, floor: this.#floor }, this.#numerator);
      }
      ms.backward(x.object, work, batch, {
        object: blocks ? null : this.#numerator,
        probe: o.probe,
        positions: shifts,
      });
      if (!blocks) {
        const window = { batch, slice: 0, modes: 1, waveOffset: 0 };
        ms.windows.overlapAdd(this.#intensity, this.#weight, window, true);
      }
    }
    if (!blocks) {
      await reduced.sumQuotient(this.#numerator, this.#weight);
      ew.divideBroadcast(this.#weight, this.#numerator, {
        count: h * w,
        length: h * w,
        c: this.#floor,
      });
    }
    // The step sums' terms, and the probe weight from the windows they read (dO is final here).
    if (batch) {
      this.#terms!.record(batch, {
        object: x.object,
        direction: this.#numerator,
        waves: this.#probes ?? ms.waves,
        chi: this.#chi,
        weight: o.probe ? this.#probeWeight : null,
      });
    }
    if (o.probe) {
      if (batch) ms.probeGradient(this.#probeNumerator);
      else gpu.encoder.clearBuffer(this.#probeNumerator);
      gpu.copy(this.#probeNumerator, 0, this.#localNumerator, 0, 8 * modes * m2);
      gpu.copy(this.#probeWeight, 0, this.#localWeight, 0, 8 * m2);
      await reduced.sumProbes(this.#probeNumerator, this.#probeWeight);
      floors.probe(this.#probeWeight, this.#floor);
      ew.divideBroadcast(this.#probeWeight, this.#probeNumerator, {
        count: modes * m2,
        length: m2,
        c: this.#floor,
      });
    }
    const solve = this.#solve!;
    if (batch) {
      const probe = o.probe
        ? {
          direction: this.#probeNumerator,
          numerator: this.#localNumerator,
          weight: this.#localWeight,
        }
        : null;
      solve.sumTerms({ terms: this.#terms!.terms, count: modes * m2, m2, probe });
    } else gpu.encoder.clearBuffer(solve.sums);
    // Tiles: the five local sums read back, all-reduced in tile order, the totals written back.
    await reduced.sumValues(solve.sums, 5);
    solve.solve(o.probe, o.rule);
    // A zero step leaves x as it is: on a batch empty on every tile, its directions are 0 / 0.
    if (blocks) blocks.apply(batch!, this.#numerator, x.object, solve.steps);
    else solve.apply(x.object, this.#numerator, h * w, "object");
    if (o.probe) solve.apply(x.probe, this.#probeNumerator, modes * m2, "probe");
    // Submitted batch by batch, so the device computes one while the next is recorded.
    gpu.flush();
    return written;
  }

  destroy(): void {
    this.#solve?.destroy();
    this.#terms?.destroy();
    this.#poisson?.destroy();
    this.problem.gpu.release(
      this.#numerator,
      this.#weight,
      this.#chi,
      this.#probes,
      this.#probeNumerator,
      this.#localNumerator,
      this.#localWeight,
      this.#probeWeight,
      this.#intensity,
      this.#floor,
      this.#partials,
    );
  }
}

/**
 * Positions per LSQ-ML batch at most; a batch also never exceeds the device's batch size
 * (`defaultBatchSize`). Fewer positions make more updates per sweep, at more overhead per
 * batch. On `bench quality`'s frame-128 set (400 positions, 1e8 photons, probe estimated and
 * refined from iteration 2, with the device's step solve and `LSQML_MOMENTUM`): with 16, 33.0 dB
 * after 16 iterations and 35.7 dB after 30 at 2.6 CPU-seconds per iteration; with 8, 33.2 dB
 * after 12 and 36.0 dB after 22 at 3.1 (about 37 against 41 CPU-seconds to 33 dB). 8 stays out
 * for now: on 2 x 2 tiles (tests/engine/tiles/lsqml_test.ts, frame 32, 200 positions, two positions per
 * tile and batch) its border band's error, 0.0106 rad, exceeded the rest's, 0.0104. Earlier, with
 * the Poisson residual as the target and steps up to 2, 8 diverged after 10 iterations at frame
 * 64, and 32 and 64 reached 1.4 and 2.5 dB less than 16 after 20 iterations. A larger floor (0.1
 * instead of 1e-2) gave 27.0 dB after 50 iterations against 32.3 dB. Session 8 (one Newton
 * iteration in the Poisson step), frame 128 at 1e8 photons, 13 iterations each, CPU-seconds per
 * iteration of the whole process in two rounds (load 17 to 25): 16 took 2.51 and 2.52 and
 * reached 33 dB after 15 iterations, 8 took 2.76 and 2.57 and reached it after 12 (about 15 %
 * less CPU time), 4 took 4.04 and reached it after 10; on 2 x 2 tiles 8 then passed the border
 * test. But 8 ended lower: 32.1, 35.5 and 35.3 dB after 10, 20 and 50 iterations (16: 36.6 after
 * 50), and at frame 64 with 1e4 photons 22.9, 23.6 and 23.8 dB against 16's 23.3, 23.9 and 24.1.
 * So 16 stays.
 */
export const LSQML_BATCH = 16;

/**
 * A ridge on each window's weight, in counts per pixel: the object direction is
 * sum_j conj(P_j) G_j / (sum_j (|P_j|^2 + LSQML_WINDOW_RIDGE) + delta), the least-squares fit of
 * the batch's exit-wave changes with a Tikhonov weight of this many counts on each window's
 * change. Without it the batch's fit replaces the object under every window wherever the probe
 * is above the floor, and at low dose that is one frame's noise: on `bench quality`'s frame-64
 * set at 1e4 photons (probe estimated), lsqml fell from 18.1 dB after one iteration to 12.8 dB
 * after 10 (the Gaussian model: 12.7 dB after 20); with 100, 22.0 and 22.4 dB (10 gave 21.1 dB
 * after 10, then fell). The probe there peaks near 100 counts per pixel; at 1e8 photons it peaks
 * near 1e6, where the ridge is below the floor's 1e-2 of the peak.
 */
export const LSQML_WINDOW_RIDGE = 100;

/** Batches per sweep for `count` positions: every tile runs this many, in lock step. */
export function lsqmlBatchCount(count: number, batchSize: number): number {
  return Math.max(1, Math.ceil(count / Math.min(LSQML_BATCH, batchSize)));
}

/**
 * An order of positions whose consecutive chunks of ceil(n / batches) positions (the scan's
 * batches) are sparse: taken in Z (Morton) order of their coordinates, each position joins the
 * batch with room whose nearest member is farthest from it (an empty batch first), so that
 * neighbours in space land in different batches.
 */
export function sparseBatchOrder(
  positionsY: ArrayLike<number>,
  positionsX: ArrayLike<number>,
  batches: number,
): Int32Array {
  const n = positionsY.length;
  if (n === 0) return new Int32Array(0);
  const size = Math.ceil(n / Math.min(batches, n));
  const chunks = Math.ceil(n / size);
  const minY = Math.min(...Array.from(positionsY));
  const minX = Math.min(...Array.from(positionsX));
  const codes = Array.from({ length: n }, (_, j) => ({
    j,
    code: morton(Math.floor(positionsY[j] - minY), Math.floor(positionsX[j] - minX)),
  }));
  codes.sort((a, b) => a.code - b.code || a.j - b.j);
  const dealt: number[][] = Array.from({ length: chunks }, () => []);
  const capacity = (c: number) => Math.min(size, n - c * size);
  for (const { j } of codes) {
    let best = -1;
    let farthest = -1;
    for (let c = 0; c < chunks; c++) {
      if (dealt[c].length === capacity(c)) continue;
      let nearest = Infinity;
      for (const i of dealt[c]) {
        nearest = Math.min(
          nearest,
          Math.hypot(positionsY[i] - positionsY[j], positionsX[i] - positionsX[j]),
        );
      }
      if (nearest > farthest) [best, farthest] = [c, nearest];
    }
    dealt[best].push(j);
  }
  return Int32Array.from(dealt.flat());
}
/** The Z-order code of two 16-bit coordinates (higher bits ignored). */
function morton(y: number, x: number): number {
  let code = 0;
  for (let bit = 15; bit >= 0; bit--) code = code * 4 + ((y >> bit) & 1) * 2 + ((x >> bit) & 1);
  return code;
}
