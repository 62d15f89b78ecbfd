/**
 * LSQ-ML's per-batch floors (`wgsl/lsqml_floor.wgsl`), each one invocation over the probe's
 * frame: the windows' weight sum_k |P_k|^2 + ridge with the object direction's floor, and the
 * probe direction's floor. Their float64 references are in `tests/problem/lsqml_floor_test.ts`.
 *
 * @module
 */
import type { Gpu } from "../gpu/mod.ts";
import code from "../../wgsl/lsqml_floor.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/lsqml_floor.wgsl", code };

/**
 * The floors of one LSQ-ML sweep for K probe modes of `m2` pixels, `scale` times the peak
 * (`PRECONDITIONER_FLOOR`).
 *
 * @example
 * ```ts
 * const floors = await LsqmlFloors.create(gpu, { m2: 64 * 64, modes: 1, scale: 1e-2 });
 * floors.object(probe, intensity, floor, 100);
 * floors.probe(weight, floor);
 * ```
 */
export class LsqmlFloors {
  private constructor(
    private readonly gpu: Gpu,
    private readonly o: { m2: number; modes: number; scale: number },
    private readonly pipelines: Record<"object" | "probe", GPUComputePipeline>,
  ) {}

  /** Compiles the kernels. */
  static async create(
    gpu: Gpu,
    o: { m2: number; modes: number; scale: number },
  ): Promise<LsqmlFloors> {
    const [object, probe] = await Promise.all(
      ["object_floor", "probe_floor"].map((e) => gpu.pipeline(SOURCE, e)),
    );
    return new LsqmlFloors(gpu, o, { object, probe });
  }

  /**
   * intensity <- sum_k |P_k|^2 + ridge (M x M complex, imaginary part 0) and floor[0] <-
   * (scale max sum_k |P_k|^2, 0).
   */
  object(probe: GPUBuffer, intensity: GPUBuffer, floor: GPUBuffer, ridge: number): void {
    this.gpu.dispatch(
      this.pipelines.object,
      [this.#params(ridge), probe, intensity, null, floor],
      1,
    );
  }

  /** floor[0] <- (scale max Re weight, 0) over the M x M weight. */
  probe(weight: GPUBuffer, floor: GPUBuffer): void {
    this.gpu.dispatch(this.pipelines.probe, [this.#params(0), null, null, weight, floor], 1);
  }

  #params(ridge: number): GPUBuffer {
    const words = new Uint32Array([this.o.m2, this.o.modes, 0, 0]);
    new Float32Array(words.buffer, 8, 2).set([this.o.scale, ridge]);
    return this.gpu.params(words);
  }
}
