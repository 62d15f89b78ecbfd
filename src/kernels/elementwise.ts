import type { Gpu } from "../gpu/mod.ts";
import code from "../../wgsl/elementwise.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/elementwise.wgsl", code };
const GROUP = 256;

/** Options of {@link Elementwise.mul}. */
export interface MulOptions {
  /** Number of complex elements. */
  count: number;
  /** Multiply by conj(a) instead of a. */
  conjA?: boolean;
}

/** Options of {@link Elementwise.mulBroadcast}. */
export interface BroadcastOptions {
  /** Number of complex elements of `y` (a whole batch of frames). */
  count: number;
  /** Complex elements of one frame, the length of the kernel `k`. */
  length: number;
  /** Multiply by conj(k) instead of k (the adjoint of the multiplication). */
  conj?: boolean;
}

/**
 * Elementwise arithmetic on float32 buffers and interleaved complex buffers (`wgsl/elementwise.wgsl`).
 * Every call records one dispatch into the device's encoder; nothing is read back.
 *
 * @example
 * ```ts
 * const ew = await Elementwise.create(gpu);
 * ew.axpy(dst, x, 0.5, y, 2 * complexCount); // dst <- x + 0.5 y
 * ```
 */
export class Elementwise {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipelines: Record<
      "axpby" | "scale" | "mul" | "abs2" | "mul_broadcast" | "divide_broadcast",
      GPUComputePipeline
    >,
  ) {}

  /** Compiles (or takes from the device's cache) the elementwise pipelines. */
  static async create(gpu: Gpu): Promise<Elementwise> {
    const names = [
      "axpby",
      "scale",
      "mul",
      "abs2",
      "mul_broadcast",
      "divide_broadcast",
    ] as const;
    const compiled = await Promise.all(names.map((n) => gpu.pipeline(SOURCE, n)));
    const pipelines = Object.fromEntries(names.map((n, i) => [n, compiled[i]]));
    return new Elementwise(gpu, pipelines as Elementwise["pipelines"]);
  }

  /** y <- a x + b y over `floats` float32 values; `x` and `y` must be different buffers. */
  axpby(x: GPUBuffer, y: GPUBuffer, a: number, b: number, floats: number): void {
    const params = this.#scalars(floats, a, b);
    this.gpu.dispatch(this.pipelines.axpby, [params, x, y], Math.ceil(floats / GROUP));
  }

  /** y <- a y over `floats` float32 values. */
  scaleInPlace(y: GPUBuffer, a: number, floats: number): void {
    const params = this.#scalars(floats, a, 0);
    this.gpu.dispatch(this.pipelines.scale, [params, y], Math.ceil(floats / GROUP));
  }

  /** dst <- x + a y over `floats` values; any of the three buffers may coincide. */
  axpy(dst: GPUBuffer, x: GPUBuffer, a: number, y: GPUBuffer, floats: number): void {
    if (x === y) return this.scale(dst, 1 + a, x, floats);
    if (dst === x) return this.axpby(y, dst, a, 1, floats);
    if (dst === y) return this.axpby(x, dst, 1, a, floats);
    this.gpu.copy(x, 0, dst, 0, floats * 4);
    this.axpby(y, dst, a, 1, floats);
  }

  /** dst <- a x over `floats` values; `dst` may be `x`. */
  scale(dst: GPUBuffer, a: number, x: GPUBuffer, floats: number): void {
    if (dst !== x) this.gpu.copy(x, 0, dst, 0, floats * 4);
    this.scaleInPlace(dst, a, floats);
  }

  /** out <- a b (or conj(a) b) elementwise over complex buffers; `out` differs from a and b. */
  mul(a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, o: MulOptions): void {
    const params = this.gpu.params(new Uint32Array([o.count, 0, o.conjA ? 1 : 0]));
    this.gpu.dispatch(this.pipelines.mul, [params, a, b, out], Math.ceil(o.count / GROUP));
  }

  /** out <- |a|^2 (float32) for `count` complex elements of `a`. */
  abs2(a: GPUBuffer, out: GPUBuffer, count: number): void {
    const params = this.gpu.params(new Uint32Array([count, 0, 0]));
    this.gpu.dispatch(this.pipelines.abs2, [params, a, out], Math.ceil(count / GROUP));
  }

  /** y <- k y frame by frame: the same `length`-element kernel `k` multiplies every frame of y. */
  mulBroadcast(k: GPUBuffer, y: GPUBuffer, o: BroadcastOptions): void {
    const params = this.gpu.params(new Uint32Array([o.count, o.length, o.conj ? 1 : 0]));
    this.gpu.dispatch(this.pipelines.mul_broadcast, [params, k, y], Math.ceil(o.count / GROUP));
  }

  /**
   * y <- y / (Re d + Re c[0]) frame by frame: `d` has `length` elements, y has `count`; the
   * floor is read from the device buffer `c` (see `Reductions.scaledMaxReal`).
   */
  divideBroadcast(
    d: GPUBuffer,
    y: GPUBuffer,
    o: { count: number; length: number; c: GPUBuffer },
  ): void {
    const params = this.gpu.params(new Uint32Array([o.count, o.length, 0]));
    this.gpu.dispatch(
      this.pipelines.divide_broadcast,
      [params, d, y, o.c],
      Math.ceil(o.count / GROUP),
    );
  }

  #scalars(n: number, a: number, b: number): GPUBuffer {
    const words = new Uint32Array(3);
    words[0] = n;
    new Float32Array(words.buffer, 4, 2).set([a, b]);
    return this.gpu.params(words);
  }
}
