import type { Gpu } from "../gpu/mod.ts";
import code from "../../wgsl/position_gradient.wgsl" with { type: "text" };
import type { Batch, Scan } from "./scan.ts";

const SOURCE = { file: "wgsl/position_gradient.wgsl", code };

/**
 * The cost's gradient with respect to each position's shift, from the first slice's chi in
 * Fourier space (chi^ = F dF/dconj(psi_0), which the probe gradient computes anyway) and the
 * probe spectrum: psi_0 = F^-1 [ramp_j P^] is the probe shifted by the position's sub-pixel part,
 * so its derivative in the shift is F^-1 [-2 pi i u ramp_j P^], exact for the model the engine
 * evaluates and with no FFT of its own (see `wgsl/position_gradient.wgsl`). Not a linear map of
 * the unknowns, hence no adjoint: a reduction over each position's frames.
 *
 * @example
 * ```ts
 * const shifts = await PositionGradient.create(gpu, scan, modes);
 * shifts.record(chiHat, spectrum, batch, out); // out[first + b] = (dF/dx, dF/dy, cx, cy)
 * ```
 */
export class PositionGradient {
  private constructor(
    private readonly gpu: Gpu,
    private readonly scan: Scan,
    private readonly modes: number,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  /** Compiles the kernel for a scan and K probe modes. */
  static async create(gpu: Gpu, scan: Scan, modes: number): Promise<PositionGradient> {
    const pipeline = await gpu.pipeline(SOURCE, "position_gradient");
    return new PositionGradient(gpu, scan, modes, pipeline);
  }

  /**
   * out[first + b] <- (dF/dx, dF/dy, curvature x, curvature y) of the batch's positions (object
   * pixels; the curvature ||d psi_0 / dx||^2 for a unit object), float32 quadruples;
   * `chiHat` count x K x M x M, `spectrum` K x M x M, both kept.
   */
  record(chiHat: GPUBuffer, spectrum: GPUBuffer, batch: Batch, out: GPUBuffer): void {
    const m = this.scan.frame;
    const params = this.gpu.params(
      new Uint32Array([m, this.modes, batch.count, batch.first, Math.log2(m)]),
    );
    this.gpu.dispatch(this.pipeline, [params, this.scan.ramps, spectrum, chiHat, out], batch.count);
  }
}
