import type { Gpu } from "../gpu/mod.ts";
import { Reductions } from "../kernels/mod.ts";
import code from "../../wgsl/position_gradient.wgsl" with { type: "text" };
import curvatureCode from "../../wgsl/shift_curvature.wgsl" with { type: "text" };
import type { Batch, Scan } from "./scan.ts";

const SOURCE = { file: "wgsl/position_gradient.wgsl", code };
const CURVATURE = { file: "wgsl/shift_curvature.wgsl", code: curvatureCode };
/** Lanes (invocations) per position of both kernels, each summing every 256th pixel. */
const LANES = 256;

/**
 * The cost's gradient with respect to each position's shift, from the first slice's chi in
 * Fourier space (chi^ = F dF/dconj(psi_0), which the probe gradient computes anyway) and the
 * probe spectrum: psi_0 = F^-1 [ramp_j P^] is the probe shifted by the position's sub-pixel part,
 * so its derivative in the shift is F^-1 [-2 pi i u ramp_j P^], exact for the model the engine
 * evaluates and with no FFT of its own (see `wgsl/position_gradient.wgsl`); and the curvature
 * the update divides it by, from the object's derivative under the shifted probe
 * (`wgsl/shift_curvature.wgsl`). Not a linear map of the unknowns, hence no adjoint: reductions
 * over each position's frames, each lane's share summed by the kernel and the 256 lanes added in
 * order by `Reductions.sumRuns` (the one barrier-free fold of every reduction).
 *
 * @example
 * ```ts
 * const shifts = await PositionGradient.create(gpu, scan, modes);
 * shifts.recordCurvature(waves, object, batch, out); // out[first + b].zw = (cx, cy)
 * shifts.record(chiHat, spectrum, batch, out); // out[first + b].xy = (dF/dx, dF/dy)
 * ```
 */
export class PositionGradient {
  #lanes: GPUBuffer | null = null;

  private constructor(
    private readonly gpu: Gpu,
    private readonly scan: Scan,
    private readonly modes: number,
    private readonly pipeline: GPUComputePipeline,
    private readonly curvature: GPUComputePipeline,
    private readonly reductions: Reductions,
  ) {}

  /** Compiles the kernels for a scan and K probe modes. */
  static async create(gpu: Gpu, scan: Scan, modes: number): Promise<PositionGradient> {
    const [pipeline, curvature, reductions] = await Promise.all([
      gpu.pipeline(SOURCE, "position_gradient"),
      gpu.pipeline(CURVATURE, "shift_curvature"),
      Reductions.create(gpu),
    ]);
    return new PositionGradient(gpu, scan, modes, pipeline, curvature, reductions);
  }

  /**
   * out[first + b].xy <- (dF/dx, dF/dy) of the batch's positions (object pixels), in float32
   * quadruples whose .zw this leaves; `chiHat` count x K x M x M, `spectrum` K x M x M, both kept.
   */
  record(chiHat: GPUBuffer, spectrum: GPUBuffer, batch: Batch, out: GPUBuffer): void {
    const m = this.scan.frame;
    const params = this.gpu.params(
      new Uint32Array([m, this.modes, batch.count, batch.first, Math.log2(m)]),
    );
    const lanes = this.#lanesFor();
    this.gpu.dispatch(
      this.pipeline,
      [params, this.scan.ramps, spectrum, chiHat, lanes],
      batch.count,
    );
    this.#fold(lanes, batch, out, 0);
  }

  /**
   * out[first + b].zw <- the curvatures sum_k sum_r |psi_0|^2 |dO/dx|^2 and with d/dy over each
   * window (slice 0 of `object`, S x H x W; `waves` the batch's shifted probes, count x K x M x M).
   */
  recordCurvature(waves: GPUBuffer, object: GPUBuffer, batch: Batch, out: GPUBuffer): void {
    const m = this.scan.frame;
    const [h, w] = this.scan.objectShape;
    const params = this.gpu.params(
      new Uint32Array([m, this.modes, batch.count, batch.first, Math.log2(m), h, w]),
    );
    const lanes = this.#lanesFor();
    this.gpu.dispatch(
      this.curvature,
      [params, this.scan.origins, waves, object, lanes],
      batch.count,
    );
    this.#fold(lanes, batch, out, 1);
  }

  /** Frees the lanes' buffer. */
  destroy(): void {
    this.gpu.release(this.#lanes);
    this.#lanes = null;
    this.reductions.destroy();
  }

  /** out[first + b] component pair `half` (0: .xy, 1: .zw) <- the sum of position b's lanes. */
  #fold(lanes: GPUBuffer, batch: Batch, out: GPUBuffer, half: 0 | 1): void {
    this.reductions.sumRuns(lanes, out, {
      count: batch.count * LANES,
      run: LANES,
      first: 2 * batch.first + half,
      stride: 2,
    });
  }

  /** The lanes of the largest batch (recorded kernels and their folds run in queue order). */
  #lanesFor(): GPUBuffer {
    return this.#lanes ??= this.gpu.buffer(8 * LANES * this.scan.maxBatch, "position lanes");
  }
}
