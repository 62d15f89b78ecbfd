import type { Gpu } from "../gpu/mod.ts";
import type { FrameSource } from "../data/mod.ts";
import { Fft2 } from "../fft/mod.ts";
import { Elementwise, Reductions, sumPairs } from "../kernels/mod.ts";
import {
  type BatchWorkspace,
  FarField,
  type GatherBuilder,
  Multislice,
  NearField,
  Scan,
} from "../operators/mod.ts";
import { FarFieldCost } from "../cost/mod.ts";
import type { NearFieldPropagation } from "../physics/fourier.ts";
import { type NoiseModel, PRECONDITIONER_FLOOR } from "../physics/model.ts";
import type { Problem } from "../solvers/types.ts";
import { localReduction, type Reduction, type TileResidual } from "./reduction.ts";
import { ReducedProblem } from "./reduced_problem.ts";
import { DeviceStore } from "./device_store.ts";
import type { Parts } from "./tile_store.ts";
import { defaultBatchSize, loadFrames, type ProblemParts } from "./_setup.ts";

/** The unknowns on the device: object S x H x W and probe K x M x M, interleaved complex64. */
export interface GpuVariables {
  object: GPUBuffer;
  probe: GPUBuffer;
}

/** Each position's shift gradient and curvature (see {@link GpuProblem.positionGradient}). */
export interface ShiftGradient {
  gradientX: Float64Array;
  gradientY: Float64Array;
  curvatureX: Float64Array;
  curvatureY: Float64Array;
}

/** Variables of {@link GpuProblem.create}: the probe buffer is allocated when first read. */
class LazyProbeVariables implements GpuVariables {
  #probe: GPUBuffer | null = null;
  constructor(readonly object: GPUBuffer, private readonly allocate: () => GPUBuffer) {}

  get probe(): GPUBuffer {
    return this.#probe ??= this.allocate();
  }

  /** The probe buffer if it was ever used, else null (nothing to free). */
  get allocatedProbe(): GPUBuffer | null {
    return this.#probe;
  }
}

/** Options of {@link GpuProblem.create}. */
export interface GpuProblemOptions {
  gpu: Gpu;
  /** Measured intensities N x M x M float32 (stored layout), on the device or read from a source. */
  frames: GPUBuffer | FrameSource;
  /** Scan positions in object pixels (probe centre (M/2, M/2) on (y, x)). */
  positionsY: Float64Array;
  positionsX: Float64Array;
  /** Frame size M (a power of two, 16 or more). */
  frame: number;
  /** Object slice size [H, W]. */
  objectShape: [number, number];
  /** Object slices S (default 1). */
  slices?: number;
  /** Slice distance dz, wavelength and object pixel size, metres (needed when S > 1). */
  sliceDistance?: number;
  wavelength?: number;
  pixelSize?: number;
  /** Probe modes K (default 1). */
  modes?: number;
  /** Noise model of the cost (default poisson). */
  noise?: NoiseModel;
  /**
   * A near-field detector reached through the angular spectrum over this distance (frames not
   * shifted); absent or null: far field (DESIGN section 7).
   */
  nearField?: NearFieldPropagation | null;
  /** Bad detector pixels (nonzero = bad), M x M stored layout. */
  mask?: Uint8Array | null;
  /** Positions processed together; bounds the work buffers (default {@link defaultBatchSize}). */
  batchSize?: number;
  /** Combination with other workers (default {@link localReduction}). */
  reduction?: Reduction;
  /**
   * On a tile: the leading positions whose windows may reach a pixel a neighbour shares (the
   * others reach none). Batches then break after them, and {@link GpuProblem.evaluateTile}
   * starts the overlap exchange there, while the device computes the rest (default: after all).
   */
  haloPositions?: number;
  /**
   * Whether this worker counts the probe in {@link GpuProblem.dot} (default true). Every worker
   * holds the same all-reduced probe, so a tiled engine sets it on exactly one worker.
   */
  countProbe?: boolean;
  /** Builder of the overlap-add index (default: the TypeScript one). */
  gather?: GatherBuilder;
  /**
   * An FFT plan of size `frame` to share between problems on one device (its scratch buffer is
   * sized by the largest batch); the caller destroys it. By default the problem plans its own.
   */
  fft?: Fft2;
  /**
   * Batch buffers to share between problems on one device (see `BatchWorkspace`), sized for the
   * largest of their batches; the caller destroys it. By default the problem allocates its own.
   */
  workspace?: BatchWorkspace;
  /** Relative floor of the preconditioner: 1 / (D + eps max D) (default PRECONDITIONER_FLOOR of the reference problem, 1e-2). */
  preconditionerEpsilon?: number;
}

/**
 * The reconstruction problem of DESIGN section 1 for one tile on one WebGPU device. Its local
 * evaluator ({@link evaluateTile}, and the preconditioner's terms through {@link store}) computes
 * the cost, the Wirtinger gradients with respect to conj(O) (all slices) and conj(P) (all modes)
 * and the R-factor's partial sums of this problem's positions alone, and sums nothing across
 * tiles; its {@link store} keeps the vectors on the device. As a `Problem` it is that store
 * behind the reduction layer (`ReducedProblem`) with its `reduction` (by default the identity
 * of one device alone). Positions run in batches of `batchSize`, so the work buffers stay
 * bounded whatever the number of positions. An evaluation reads back one small buffer of
 * partial sums; dot products one each. Results are bitwise reproducible.
 *
 * @example
 * ```ts
 * const problem = await GpuProblem.create({ gpu, frames, positionsY, positionsX, frame: 64,
 *   objectShape: [256, 256] });
 * const x = problem.upload(object, probe);
 * const g = problem.create("gradient");
 * const cost = await problem.gradient(x, g);
 * ```
 */
export class GpuProblem implements Problem<GpuVariables> {
  readonly scan: Scan;
  readonly multislice: Multislice;
  readonly slices: number;
  readonly modes: number;
  /** Work buffer for the waves of one batch, maxBatch x K x M x M complex (the workspace's). */
  readonly work: GPUBuffer;
  /** This tile's vectors on the device and its local work on them. */
  readonly store: DeviceStore;
  #partials: GPUBuffer;
  readonly #reduced: ReducedProblem<GPUBuffer>;
  /** Set by {@link capturePositionGradient}: the next gradient evaluation records shifts' too. */
  #capture = false;
  #shifts: GPUBuffer | null = null;
  #shiftsRead: Promise<Float32Array> | null = null;

  readonly gpu: Gpu;
  readonly fft: Fft2;
  readonly ew: Elementwise;
  readonly reductions: Reductions;
  readonly costTerm: FarFieldCost;
  /** The near-field propagator to the detector, or null in far field. */
  readonly nearField: NearField | null;
  #setup: ProblemParts;

  private constructor(parts: ProblemParts) {
    this.#setup = parts;
    ({
      gpu: this.gpu,
      fft: this.fft,
      ew: this.ew,
      reductions: this.reductions,
      cost: this.costTerm,
      multislice: this.multislice,
      nearField: this.nearField,
    } = parts);
    this.scan = parts.multislice.windows.scan;
    this.slices = parts.multislice.slices;
    this.modes = parts.multislice.modes;
    this.work = this.multislice.workspace.work;
    const partials = this.scan.batches.reduce((n, b) => n + this.costTerm.partialsFor(b.count), 0);
    this.#partials = this.gpu.buffer(8 * partials, "cost partials");
    this.store = new DeviceStore(this);
    this.#reduced = new ReducedProblem({
      store: this.store,
      reduction: parts.reduction,
      countProbe: parts.countProbe,
      eps: parts.eps,
    });
  }

  /** Uploads (or reads) the frames, builds the scan, operators and kernels. */
  static async create(o: GpuProblemOptions): Promise<GpuProblem> {
    const { gpu, frame } = o;
    const slices = o.slices ?? 1;
    const modes = o.modes ?? 1;
    const { frames, hostFrames, ownsFrames } = await loadFrames(o);
    if (o.fft && o.fft.n !== frame) {
      throw new RangeError(`Cannot use an FFT of ${o.fft.n} for frames of ${frame}`);
    }
    const fft = o.fft ?? await Fft2.create(gpu, frame);
    const ew = await Elementwise.create(gpu);
    const scan = Scan.create(gpu, {
      positionsY: o.positionsY,
      positionsX: o.positionsX,
      frame,
      objectShape: o.objectShape,
      batchSize: o.batchSize ?? defaultBatchSize(frame, modes),
      gather: o.gather,
      breakAt: o.haloPositions,
    });
    const propagation = slices > 1
      ? { wavelength: o.wavelength!, sliceThickness: o.sliceDistance!, pixelSize: o.pixelSize! }
      : undefined;
    if (propagation && !(propagation.wavelength > 0 && propagation.pixelSize > 0)) {
      throw new RangeError("Cannot model several slices without wavelength and pixel size");
    }
    const multislice = await Multislice.create({
      gpu,
      fft,
      ew,
      scan,
      slices,
      modes,
      propagation,
      workspace: o.workspace,
    });
    const reductions = await Reductions.create(gpu);
    const nearField = o.nearField ? await NearField.create(gpu, fft, o.nearField) : null;
    const cost = await FarFieldCost.create(gpu, {
      fft,
      frames,
      frame,
      modes,
      maxBatch: scan.maxBatch,
      reductions,
      noise: o.noise ?? "poisson",
      mask: o.mask,
      hostFrames,
    });
    return new GpuProblem({
      gpu,
      fft,
      ownsFft: o.fft === undefined,
      ew,
      reductions,
      cost,
      frames,
      ownsFrames,
      reduction: o.reduction ?? localReduction(o.objectShape),
      countProbe: o.countProbe ?? true,
      multislice,
      nearField,
      eps: o.preconditionerEpsilon ?? PRECONDITIONER_FLOOR,
      halo: o.haloPositions ?? null,
    });
  }

  /** Complex elements of the object (S x H x W) and of the probe (K x M x M). */
  get sizes(): { object: number; probe: number } {
    const [h, w] = this.scan.objectShape;
    return { object: this.slices * h * w, probe: this.modes * this.fft.n ** 2 };
  }

  /**
   * The reduction layer over this tile's store: the one place where the algorithms that run
   * their own passes over the batches (lsqml, dm, raar, position correction) sum over tiles.
   */
  get reduced(): ReducedProblem<GPUBuffer> {
    return this.#reduced;
  }

  /** The parts switched on by {@link setActive}. */
  get active(): Parts {
    return this.#reduced.active;
  }

  /**
   * New variables. Their probe part is allocated at its first use: a gradient, direction or trial
   * point needs one only once the probe is refined (or copied), and until then the object's
   * vectors hold the device alone.
   */
  create(label: string): GpuVariables {
    const { object, probe } = this.sizes;
    return new LazyProbeVariables(
      this.gpu.buffer(8 * object, `${label} object`),
      () => this.gpu.buffer(8 * probe, `${label} probe`),
    );
  }

  /** Variables holding the given object and probe (interleaved complex float32). */
  upload(object: Float32Array, probe: Float32Array, label = "x"): GpuVariables {
    const { object: no, probe: np } = this.sizes;
    if (object.length !== 2 * no || probe.length !== 2 * np) {
      throw new RangeError(
        `Cannot upload an object of ${object.length / 2} and a probe of ${probe.length / 2} ` +
          `elements: expected ${no} and ${np}`,
      );
    }
    return {
      object: this.gpu.upload(object, `${label} object`),
      probe: this.gpu.upload(probe, `${label} probe`),
    };
  }

  /** Reads variables back to the host. */
  async download(v: GpuVariables): Promise<{ object: Float32Array; probe: Float32Array }> {
    return { object: await this.gpu.readF32(v.object), probe: await this.gpu.readF32(v.probe) };
  }

  destroy(v: GpuVariables): void {
    this.gpu.release(v.object, v instanceof LazyProbeVariables ? v.allocatedProbe : v.probe);
  }

  copy(src: GpuVariables, dst: GpuVariables): void {
    this.#reduced.copy(src, dst);
  }

  axpy(dst: GpuVariables, x: GpuVariables, a: number, y: GpuVariables): void {
    this.#reduced.axpy(dst, x, a, y);
  }

  scale(dst: GpuVariables, a: number, x: GpuVariables): void {
    this.#reduced.scale(dst, a, x);
  }

  /** Re <a, b> over the owned object region (all slices) and, when counted, the probe. */
  dot(a: GpuVariables, b: GpuVariables): Promise<number> {
    return this.#reduced.dot(a, b);
  }

  /** {@link dot} of every pair, from one readback; each result has the bits of its `dot`. */
  dots(pairs: [GpuVariables, GpuVariables][]): Promise<number[]> {
    return this.#reduced.dots(pairs);
  }

  cost(x: GpuVariables): Promise<number> {
    return this.#reduced.cost(x);
  }

  /**
   * The amplitude R-factor sum | |Psi| - sqrt(d) | / sum sqrt(d) over unmasked pixels (|Psi| from
   * the intensity summed over modes) of the latest cost or gradient evaluation, over every
   * worker's positions (DESIGN section 7); NaN before the first.
   */
  get rFactor(): number {
    return this.#reduced.rFactor;
  }

  /**
   * This worker's share of the latest evaluation, before the sum over workers: its cost and the
   * numerator and denominator of {@link rFactor} (the live view's per-tile residual).
   */
  get residual(): TileResidual {
    return this.#reduced.residual;
  }

  gradient(x: GpuVariables, g: GpuVariables): Promise<number> {
    return this.#reduced.gradient(x, g);
  }

  /** gradient, precondition and dots with one read-back (see `ReducedProblem.gradientThenDots`). */
  gradientThenDots(
    x: GpuVariables,
    g: GpuVariables,
    out: GpuVariables,
    pairs: [GpuVariables, GpuVariables][],
  ): Promise<{ cost: number; dots: number[] }> {
    return this.#reduced.gradientThenDots(x, g, out, pairs);
  }

  /** out <- M g, the diagonal preconditioner of `gd` (see `ReducedProblem.precondition`). */
  precondition(x: GpuVariables, g: GpuVariables, out: GpuVariables): Promise<void> {
    return this.#reduced.precondition(x, g, out);
  }

  setActive(parts: Parts): void {
    this.#reduced.setActive(parts);
  }

  /**
   * Makes the next {@link gradient} evaluation also compute the cost's gradient with respect to
   * each position's shift (in the same pass, from the first slice's chi), read by
   * {@link positionGradient}.
   */
  capturePositionGradient(): void {
    this.#capture = true;
  }

  /**
   * For a caller that runs its own passes over the batches (lsqml's sweep): takes a pending
   * {@link capturePositionGradient} and gives the buffer its passes record the shifts' gradients
   * and curvatures into (see `PositionGradient`), or null when none is pending. Hand it to
   * {@link endPositionCapture} once every batch is recorded.
   */
  takePositionCapture(): GPUBuffer | null {
    if (!this.#capture) return null;
    this.#capture = false;
    return this.#shifts ??= this.gpu.buffer(16 * this.scan.count, "position gradients");
  }

  /** Reads back a capture taken by {@link takePositionCapture}, for {@link positionGradient}. */
  endPositionCapture(buffer: GPUBuffer): void {
    this.#shiftsRead = this.gpu.readF32(buffer);
    this.#shiftsRead.catch(() => {});
  }

  /**
   * dF/dx_j, dF/dy_j of this problem's positions (object pixels) at the point of the captured
   * evaluation, with the Gauss-Newton curvatures sum |psi_0|^2 |dO/dx|^2 over each window (see
   * `PositionGradient`).
   *
   * @throws {Error} when no evaluation was captured since the last call.
   */
  async positionGradient(): Promise<ShiftGradient> {
    const read = this.#shiftsRead;
    if (!read) throw new Error("No position gradient was captured: call capturePositionGradient()");
    this.#shiftsRead = null;
    const v = await read;
    const n = this.scan.count;
    const part = (i: number) => Float64Array.from({ length: n }, (_, j) => v[4 * j + i]);
    return { gradientX: part(0), gradientY: part(1), curvatureX: part(2), curvatureY: part(3) };
  }

  /**
   * Moves the positions (position correction, object pixels of this problem): the windows, their
   * sub-pixel ramps and the preconditioner's illumination follow.
   *
   * @throws {RangeError} when a window would leave the object.
   */
  movePositions(positionsY: Float64Array, positionsX: Float64Array): void {
    this.scan.move(positionsY, positionsX);
    this.#reduced.invalidate();
  }

  /** Resolves once the work queued on the device has run. */
  finish(): Promise<void> {
    return this.gpu.finish();
  }

  /** Frees everything the problem allocated (not the caller's frame buffer or variables). */
  dispose(): void {
    this.store.dispose();
    this.multislice.destroy();
    this.nearField?.destroy();
    this.scan.destroy();
    this.costTerm.destroy();
    this.reductions.destroy();
    if (this.#setup.ownsFft) this.fft.destroy();
    if (this.#setup.ownsFrames) this.gpu.release(this.#setup.frames);
    this.gpu.release(this.#partials, this.#shifts);
  }

  /**
   * This tile's own evaluation (no sum over tiles): the cost of its positions and, into `g`
   * (the active parts), its gradient, all queued on the device at once. The function returned
   * reads the tile's sums back (call it before the next evaluation, which reuses their buffer).
   *
   * `exchange` is called once the batches of the first `haloPositions` positions are recorded
   * (after all of them by default), before the rest: it starts the overlap exchange, whose
   * read-back of the strips then waits for those batches alone, and the rest (submitted at once
   * after it) runs while the strips travel. No later batch writes a pixel a neighbour shares.
   */
  evaluateTile(
    x: GpuVariables,
    g: GpuVariables | null,
    parts: Parts,
    exchange?: () => void,
  ): () => Promise<TileResidual> {
    const ms = this.multislice;
    const objectGradient = g && parts.object ? g.object : null;
    const probeGradient = g !== null && parts.probe;
    const positions = g !== null && this.#capture
      ? this.#shifts ??= this.gpu.buffer(16 * this.scan.count, "position gradients")
      : null;
    this.#capture = false;
    if (objectGradient) this.gpu.encoder.clearBuffer(objectGradient);
    if (probeGradient) ms.clearProbeGradient();
    ms.setProbe(x.probe);
    const detector = this.detector;
    let partial = 0;
    let started = false;
    const start = () => {
      if (!started) exchange?.();
      started = true;
    };
    const halo = this.#setup.halo;
    if (halo === 0) start();
    for (const batch of this.scan.batches) {
      const frames = batch.count * this.modes;
      ms.forward(x.object, this.work, batch, g !== null);
      // The stored first-slice waves are the shifted probes until the backward pass.
      if (positions) ms.shifts.recordCurvature(ms.waves, x.object, batch, positions);
      const call = {
        first: batch.first,
        count: batch.count,
        partials: this.#partials,
        partial,
        gradient: g !== null,
      };
      if (this.nearField) {
        this.nearField.forward(this.work, this.work, frames);
        partial += this.costTerm.evaluate(this.work, call);
      } else {
        // The far field's FFT fuses the cost into its stores.
        partial += this.costTerm.farFieldAndCost(this.work, call);
      }
      if (g) {
        detector.adjoint(this.work, this.work, frames);
        const want = { object: objectGradient, probe: probeGradient, positions };
        ms.backward(x.object, this.work, batch, want);
      }
      if (batch.first + batch.count === halo) start();
    }
    if (probeGradient) ms.probeGradient(g!.probe);
    start();
    // The device starts on the rest while the caller waits for the strips.
    this.gpu.flush();
    if (positions) {
      this.#shiftsRead = this.gpu.readF32(positions);
      this.#shiftsRead.catch(() => {});
    }
    // The R-factor rides on the cost's pass: its numerator is the partials' second component.
    return async () => {
      const sums = sumPairs(await this.gpu.readF32(this.#partials, 0, 8 * partial));
      const cost = this.costTerm.constant + sums.re;
      return { cost, numerator: sums.im, denominator: this.costTerm.amplitudeSum };
    };
  }

  /** The propagation from exit waves to the detector: near field, or far field (unitary FFT). */
  get detector(): FarField | NearField {
    return this.nearField ?? new FarField(this.fft);
  }
}
