/**
 * LSQ-ML's object direction and update restricted to one batch's windows
 * (`wgsl/lsqml_object.wgsl`), for a tile alone: the object-sized direction is formed, divided
 * and applied only in the 16 x 16 blocks the batch's windows reach, in two passes, instead of
 * the overlap-adds of its numerator and weight, their divide and the update over the whole
 * object. Its float64 reference is that arithmetic (`overlapProduct` and `overlapAdd` into
 * zeroed buffers, `divideBroadcast`, then `LsqmlStepSolve.apply`).
 *
 * @module
 */
import type { Gpu } from "../gpu/mod.ts";
import type { Batch, Scan } from "../operators/mod.ts";

/** What the kernels need of the scan (its window origins are rewritten in place on a move). */
type ScanShape = Pick<Scan, "objectShape" | "frame" | "origins">;
import code from "../../wgsl/lsqml_object.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/lsqml_object.wgsl", code };
/** Side of the blocks of a batch's `BlockLists` index: one workgroup each. */
const BLOCK = 16;

/** What a batch's object direction is formed from (see {@link LsqmlObjectUpdate.direction}). */
export interface DirectionInputs {
  /** The exit-wave gradient chi of the batch's positions (count x K x M x M). */
  chi: GPUBuffer;
  /** The batch's shifted probes as its forward pass stored them (count x K x M x M). */
  waves: GPUBuffer;
  /** Each window's weight (M x M complex, its real part used). */
  weight: GPUBuffer;
  /** floor[0].x: added to the summed weight. */
  floor: GPUBuffer;
}

/**
 * The block-restricted direction and update of an H x W object's LSQ-ML step. Both kernels
 * touch only the blocks of the batch's region that its windows reach, where {@link direction}
 * writes every pixel; elsewhere the direction keeps what it held.
 *
 * @example
 * ```ts
 * const update = await LsqmlObjectUpdate.create(gpu, scan, modes);
 * update.direction(batch, { chi, waves, weight, floor }, direction);
 * update.apply(batch, direction, object, solve.steps);
 * ```
 */
export class LsqmlObjectUpdate {
  private constructor(
    private readonly gpu: Gpu,
    private readonly scan: ScanShape,
    private readonly pipelines: Record<"direction" | "apply", GPUComputePipeline>,
  ) {}

  /** Compiles the kernels for a scan (its object's shape, frame and window origins). */
  static async create(
    gpu: Gpu,
    scan: ScanShape,
    modes: number,
  ): Promise<LsqmlObjectUpdate> {
    const [direction, apply] = await Promise.all([
      gpu.pipeline(SOURCE, "direction", { MODES: modes }),
      gpu.pipeline(SOURCE, "apply"),
    ]);
    return new LsqmlObjectUpdate(gpu, scan, { direction, apply });
  }

  /**
   * out <- N / (Re D + floor) in the batch's blocks, with N = sum over the batch's windows of
   * sum_k conj(waves) chi and D = sum of the windows' weight, at each pixel (see the kernel).
   */
  direction(batch: Batch, i: DirectionInputs, out: GPUBuffer): void {
    this.gpu.dispatch(
      this.pipelines.direction,
      [
        this.#params(batch),
        batch.blockStart,
        out,
        batch.blockWindows,
        i.floor,
        null,
        null,
        this.scan.origins,
        i.chi,
        i.waves,
        i.weight,
      ],
      this.#blocks(batch),
    );
  }

  /** object <- object - steps[0] direction (unless the step is 0) in the batch's blocks. */
  apply(batch: Batch, direction: GPUBuffer, object: GPUBuffer, steps: GPUBuffer): void {
    this.gpu.dispatch(
      this.pipelines.apply,
      [this.#params(batch), batch.blockStart, direction, null, null, steps, object],
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
    const width = this.scan.objectShape[1];
    return this.gpu.params(
      new Uint32Array([
        width,
        r.y0,
        r.x0,
        r.height,
        r.width,
        this.scan.frame,
        batch.first,
      ]),
    );
  }
}
