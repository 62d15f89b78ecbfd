/**
 * LSQ-ML's object direction and update restricted to one batch's windows
 * (`wgsl/lsqml_object.wgsl`), for a tile alone: the object-sized numerator and weight of the
 * direction are cleared, divided and applied only in the 16 x 16 blocks the batch's windows
 * reach, instead of four whole-object passes per batch. Its float64 reference is the
 * whole-object arithmetic (`divideBroadcast`, then `LsqmlStepSolve.apply`, then clearing).
 *
 * @module
 */
import type { Gpu } from "../gpu/mod.ts";
import type { Batch } from "../operators/mod.ts";
import code from "../../wgsl/lsqml_object.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/lsqml_object.wgsl", code };
/** Side of the blocks of a batch's `BlockLists` index: one workgroup each. */
const BLOCK = 16;

/** The object-sized buffers of a batch's object direction. */
export interface ObjectDirection {
  /** The numerator N (H x W complex), then the direction dO = N / (Re D + floor). */
  numerator: GPUBuffer;
  /** The weight D (H x W complex, its real part used). */
  weight: GPUBuffer;
}

/**
 * The block-restricted divide and update of an H x W object's LSQ-ML direction. Both kernels
 * touch only the blocks of the batch's region that its windows reach; the caller keeps the
 * numerator and the weight zero elsewhere ({@link apply} zeroes them where it worked).
 *
 * @example
 * ```ts
 * const update = await LsqmlObjectUpdate.create(gpu, width);
 * update.divide(batch, { numerator, weight }, floor);
 * update.apply(batch, { numerator, weight }, object, solve.steps);
 * ```
 */
export class LsqmlObjectUpdate {
  private constructor(
    private readonly gpu: Gpu,
    private readonly width: number,
    private readonly pipelines: Record<"divide" | "apply", GPUComputePipeline>,
  ) {}

  /** Compiles the kernels for an object `width` pixels wide. */
  static async create(gpu: Gpu, width: number): Promise<LsqmlObjectUpdate> {
    const [divide, apply] = await Promise.all(
      (["divide", "apply"] as const).map((e) => gpu.pipeline(SOURCE, e)),
    );
    return new LsqmlObjectUpdate(gpu, width, { divide, apply });
  }

  /** numerator <- numerator / (Re weight + floor[0].x) in the batch's blocks. */
  divide(batch: Batch, d: ObjectDirection, floor: GPUBuffer): void {
    this.gpu.dispatch(
      this.pipelines.divide,
      [this.#params(batch), batch.blockStart, d.numerator, d.weight, floor],
      this.#blocks(batch),
    );
  }

  /**
   * object <- object - steps[0] numerator (unless the step is 0), then numerator <- 0 and
   * weight <- 0, in the batch's blocks.
   */
  apply(batch: Batch, d: ObjectDirection, object: GPUBuffer, steps: GPUBuffer): void {
    this.gpu.dispatch(
      this.pipelines.apply,
      [this.#params(batch), batch.blockStart, d.numerator, d.weight, null, steps, object],
      this.#blocks(batch),
    );
  }

  /** The kernels' grid: the region's blocks, columns by rows. */
  #blocks(batch: Batch): [number, number] {
    const { height, width } = batch.region;
    return [Math.ceil(width / BLOCK), Math.ceil(height / BLOCK)];
  }

  #params(batch: Batch): GPUBuffer {
    const r = batch.region;
    return this.gpu.params(new Uint32Array([this.width, r.y0, r.x0, r.height, r.width]));
  }
}
