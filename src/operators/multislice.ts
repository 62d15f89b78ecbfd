import type { Gpu } from "../gpu/mod.ts";
import type { Fft2 } from "../fft/mod.ts";
import type { Elementwise } from "../kernels/mod.ts";
import type { Propagation } from "../physics/fourier.ts";
import { ExitWave } from "./exit_wave.ts";
import { Fresnel } from "./fresnel.ts";
import { ObjectWindows, type WindowCall } from "./object_windows.ts";
import { PositionGradient } from "./position_gradient.ts";
import { ProbePlacement } from "./probe_placement.ts";
import type { Batch, Scan } from "./scan.ts";
import { BatchWorkspace } from "./workspace.ts";

/** Options of {@link Multislice.create}. */
export interface MultisliceOptions {
  gpu: Gpu;
  fft: Fft2;
  ew: Elementwise;
  scan: Scan;
  /** Object slices S (1 is 2D ptychography). */
  slices: number;
  /** Mutually incoherent probe modes K. */
  modes: number;
  /** Required when S > 1. */
  propagation?: Propagation;
  /**
   * Batch-sized buffers shared with other problems on the device (it must hold this scan's
   * batches); by default the model allocates its own.
   */
  workspace?: BatchWorkspace;
}

/** Where {@link Multislice.backward} writes gradients; null parts are skipped. */
export interface MultisliceGradients {
  /** Accumulates dF/dconj(O) of every slice (S x H x W); not cleared. */
  object: GPUBuffer | null;
  /** Accumulates the probe gradient in Fourier space; read out by {@link Multislice.probeGradient}. */
  probe: boolean;
  /**
   * Receives each position's shift gradient and curvature (see `PositionGradient`), four floats
   * per position of the scan; absent or null: not computed.
   */
  positions?: GPUBuffer | null;
}

/**
 * The exit waves of DESIGN section 1 for a batch of positions: psi_0 = P_k shifted,
 * psi_{s+1} = Prop_dz(O_s[window] psi_s), exit = O_{S-1}[window] psi_{S-1}, for K modes.
 * The forward pass stores every slice's input wave so that {@link backward} can apply the
 * adjoint chain: for a given probe it is the adjoint of the (per-slice linear) map from the
 * object, and for a given object the adjoint of the linear map from the probe.
 *
 * Buffers: object S x H x W, probe K x M x M, waves count x K x M x M (complex).
 */
export class Multislice {
  readonly windows: ObjectWindows;
  readonly placement: ProbePlacement;
  readonly shifts: PositionGradient;
  readonly fresnel: Fresnel | null;
  readonly exitWave: ExitWave;
  /** The batch buffers: the waves of a batch, the stored slice inputs, the object patches. */
  readonly workspace: BatchWorkspace;
  readonly #ownsWorkspace: boolean;
  /** Bound where the backward pass writes no patch: no batch-sized buffer for nothing. */
  readonly #noPatch: GPUBuffer;
  readonly spectrum: GPUBuffer;
  #probeAccumulator: GPUBuffer | null = null;
  #scratch: GPUBuffer | null = null;

  private constructor(
    private readonly o: MultisliceOptions,
    windows: ObjectWindows,
    placement: ProbePlacement,
    exitWave: ExitWave,
    shifts: PositionGradient,
  ) {
    const { gpu, fft, scan, slices, modes } = o;
    const m2 = fft.n * fft.n;
    this.windows = windows;
    this.placement = placement;
    this.shifts = shifts;
    this.exitWave = exitWave;
    this.fresnel = slices > 1 ? new Fresnel(gpu, fft, o.ew, o.propagation!) : null;
    const size = { frame: fft.n, maxBatch: scan.maxBatch, modes, slices };
    if (o.workspace && !o.workspace.holds(size)) {
      throw new RangeError(
        `Cannot share a workspace for ${JSON.stringify(o.workspace.size)} with a model of ` +
          JSON.stringify(size),
      );
    }
    this.#ownsWorkspace = !o.workspace;
    this.workspace = o.workspace ?? new BatchWorkspace(gpu, size);
    this.#noPatch = gpu.buffer(8, "multislice no patch");
    this.spectrum = gpu.buffer(8 * modes * m2, "probe spectrum");
  }

  /** The stored input wave of every slice (see {@link BatchWorkspace.waves}). */
  get waves(): GPUBuffer {
    return this.workspace.waves;
  }

  /**
   * Object patches of a batch, allocated when first needed: by the probe's preconditioner and
   * the PIE updates, never by the gradient solvers' object-only iterations.
   */
  get patch(): GPUBuffer {
    return this.workspace.patch;
  }

  /** The probe gradient's accumulator (K x M x M, Fourier space), allocated when first needed. */
  get probeAccumulator(): GPUBuffer {
    const { gpu, fft, modes } = this.o;
    return this.#probeAccumulator ??= gpu.buffer(8 * modes * fft.n ** 2, "probe gradient spectrum");
  }

  /** Compiles the kernels and allocates the stored waves for `scan.maxBatch` positions. */
  static async create(o: MultisliceOptions): Promise<Multislice> {
    if (o.slices > 1 && !o.propagation) {
      throw new TypeError(`Cannot build a multislice model of ${o.slices} slices: no propagation`);
    }
    const windows = await ObjectWindows.create(o.gpu, o.scan);
    const placement = await ProbePlacement.create(o.gpu, o.fft, o.scan, o.modes);
    const exitWave = await ExitWave.create({ gpu: o.gpu, fft: o.fft, placement, windows });
    const shifts = await PositionGradient.create(o.gpu, o.scan, o.modes);
    return new Multislice(o, windows, placement, exitWave, shifts);
  }

  /** Object slices S. */
  get slices(): number {
    return this.o.slices;
  }

  /** Probe modes K. */
  get modes(): number {
    return this.o.modes;
  }

  /** Takes the probe for the following forward passes (its spectrum, K FFTs). */
  setProbe(probe: GPUBuffer): void {
    this.placement.spectrum(probe, this.spectrum);
  }

  /** out <- exit waves of the batch (count x K x M x M); stores slice inputs when `store`. */
  forward(object: GPUBuffer, out: GPUBuffer, batch: Batch, store = true): void {
    const { slices, modes } = this.o;
    const frames = batch.count * modes;
    // When storing, the shifted probes go straight into the first slot of the stored waves.
    this.exitWave.forward({
      spectrum: this.spectrum,
      object,
      waves: this.waves,
      out,
      batch,
      store,
    });
    for (let s = 1; s < slices; s++) {
      this.fresnel!.forward(out, out, frames);
      const wave = store ? "store" : "input";
      this.windows.multiply(object, out, this.waves, this.#call(batch, s), wave);
    }
  }

  /**
   * Adjoint chain from chi = dF/dconj(exit waves) (overwritten) after a storing {@link forward}
   * of the same batch: adds the object gradient of every slice and, when asked, the probe
   * gradient (in Fourier space, into {@link probeAccumulator}) and the positions' shift
   * gradients (from the same transform of the first slice's chi).
   */
  backward(object: GPUBuffer, chi: GPUBuffer, batch: Batch, g: MultisliceGradients): void {
    const { slices, modes } = this.o;
    const frames = batch.count * modes;
    const first = g.probe || !!g.positions;
    for (let s = slices - 1; s >= 0; s--) {
      const call = this.#call(batch, s);
      // The object gradient straight from chi and the stored waves (no patch pass), before chi
      // moves on to the slice's input.
      if (g.object) this.windows.overlapProduct(chi, this.waves, g.object, call);
      if (s > 0) {
        const want = { patch: false, chi: true };
        this.windows.backward(object, chi, this.waves, this.#noPatch, call, want);
        this.fresnel!.adjoint(chi, chi, frames);
      }
    }
    if (first) {
      // conj(O_0) chi and its FFT, fused where the plan allows.
      this.exitWave.adjoint({ object, chi, waves: this.waves, out: chi, batch });
      if (g.probe) this.placement.gather(chi, this.probeAccumulator, batch);
      if (g.positions) this.shifts.record(chi, this.spectrum, batch, g.positions);
    }
  }

  /** Zeroes the probe gradient accumulator. */
  clearProbeGradient(): void {
    this.o.gpu.encoder.clearBuffer(this.probeAccumulator);
  }

  /** out <- the accumulated probe gradient (K x M x M), back in real space. */
  probeGradient(out: GPUBuffer): void {
    this.o.fft.inverse(this.probeAccumulator, out, this.o.modes);
  }

  /**
   * The adjoints of the linear maps object -> exit waves (given the probe set by
   * {@link setProbe}, per slice) and probe -> exit waves (given the object), applied to `y`
   * (kept): grads.object (S x H x W) and grads.probe (K x M x M) are overwritten when given.
   */
  adjoint(
    object: GPUBuffer,
    y: GPUBuffer,
    grads: { object?: GPUBuffer; probe?: GPUBuffer },
    batch: Batch,
  ): void {
    const { gpu, fft, scan, slices, modes } = this.o;
    const bytes = 8 * batch.count * modes * fft.n ** 2;
    if (!this.#scratch || this.#scratch.size < bytes) {
      gpu.release(this.#scratch);
      this.#scratch = gpu.buffer(bytes, "multislice adjoint scratch");
    }
    this.forward(object, this.#scratch, batch, true);
    gpu.copy(y, 0, this.#scratch, 0, bytes);
    if (grads.object) {
      gpu.encoder.clearBuffer(
        grads.object,
        0,
        8 * slices * scan.objectShape[0] * scan.objectShape[1],
      );
    }
    this.clearProbeGradient();
    this.backward(object, this.#scratch, batch, {
      object: grads.object ?? null,
      probe: grads.probe !== undefined,
    });
    if (grads.probe) this.probeGradient(grads.probe);
  }

  /** Frees the stored waves and work buffers. */
  destroy(): void {
    const { gpu } = this.o;
    gpu.release(this.#noPatch, this.spectrum, this.#probeAccumulator, this.#scratch);
    if (this.#ownsWorkspace) this.workspace.destroy();
    this.placement.destroy();
    this.exitWave.destroy();
    this.shifts.destroy();
    this.fresnel?.destroy();
  }

  #call(batch: Batch, slice: number): WindowCall {
    const { fft, scan, modes } = this.o;
    return { batch, slice, modes, waveOffset: slice * scan.maxBatch * modes * fft.n ** 2 };
  }
}
