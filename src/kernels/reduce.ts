import type { Gpu } from "../gpu/mod.ts";
import code from "../../wgsl/reduce.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/reduce.wgsl", code };
/** Elements summed by one workgroup of `wgsl/reduce.wgsl` (its `CHUNK`). */
export const REDUCE_CHUNK = 2048;

/**
 * A strided region of a buffer, in elements: `slices` x `height` x `width`, element (s, y, x) at
 * `base + s sliceStride + y rowStride + x`. A whole buffer of n elements is `{ height: 1, width: n }`.
 */
export interface Region {
  base?: number;
  slices?: number;
  height: number;
  width: number;
  rowStride?: number;
  sliceStride?: number;
}

/** One term of {@link Reductions.dot}: sum conj(a) b over `region` of both buffers. */
export interface DotTerm {
  a: GPUBuffer;
  b: GPUBuffer;
  region: Region;
}

/** A complex number as two float64 values. */
export interface Complex {
  re: number;
  im: number;
}

/** Options of {@link Reductions.sumBatches}. */
export interface SumBatchesOptions {
  /** Complex elements of one array. */
  length: number;
  /** Number of arrays B stored one after another in `src`. */
  batch: number;
  /** Add to `dst` instead of overwriting it. */
  accumulate?: boolean;
}

/**
 * Deterministic reductions over complex and real device buffers (`wgsl/reduce.wgsl`): fixed
 * per-workgroup partials, summed on the host in float64 in index order. The same inputs give
 * the same bits on every run and every device that rounds float32 the same way.
 *
 * @example
 * ```ts
 * const red = await Reductions.create(gpu);
 * const { re } = await red.dot([{ a: x, b: y, region: { height: 1, width: n } }]);
 * ```
 */
export class Reductions {
  #partials: GPUBuffer | null = null;

  private constructor(
    private readonly gpu: Gpu,
    private readonly pipelines: Record<
      "dot" | "sum" | "max" | "maxFinish" | "runs" | "batches",
      GPUComputePipeline
    >,
  ) {}

  /** Compiles (or takes from the device's cache) the reduction pipelines. */
  static async create(gpu: Gpu): Promise<Reductions> {
    const [dot, sum, max, maxFinish, runs, batches] = await Promise.all([
      gpu.pipeline(SOURCE, "dot_partials"),
      gpu.pipeline(SOURCE, "sum_partials"),
      gpu.pipeline(SOURCE, "max_partials"),
      gpu.pipeline(SOURCE, "max_finish"),
      gpu.pipeline(SOURCE, "sum_runs"),
      gpu.pipeline(SOURCE, "sum_batches"),
    ]);
    return new Reductions(gpu, { dot, sum, max, maxFinish, runs, batches });
  }

  /** sum conj(a) b over every term, one readback for all of them. */
  async dot(terms: DotTerm[]): Promise<Complex> {
    return (await this.dots([terms]))[0];
  }

  /**
   * One {@link dot} per group, all from one readback (each readback waits for the queue): the
   * same partials, summed in the same order, so each result has the bits of its own `dot`.
   */
  async dots(groups: DotTerm[][]): Promise<Complex[]> {
    const all = groups.flat();
    const partials = this.#buffer(all.reduce((n, t) => n + chunks(t.region), 0));
    let first = 0;
    const ends: number[] = [];
    for (const terms of groups) {
      for (const t of terms) {
        const params = this.gpu.params(regionParams(t.region, first));
        this.gpu.dispatch(this.pipelines.dot, [params, t.a, t.b, partials], chunks(t.region));
        first += chunks(t.region);
      }
      ends.push(first);
    }
    const values = await this.gpu.readF32(partials, 0, first * 8);
    return ends.map((end, i) => sumPairs(values.subarray(2 * (ends[i - 1] ?? 0), 2 * end)));
  }

  /** sum |a|^2 over `region`. */
  async norm2(a: GPUBuffer, region: Region): Promise<number> {
    return (await this.dot([{ a, b: a, region }])).re;
  }

  /** Sum of the float32 values of `x` in `region`. */
  async sum(x: GPUBuffer, region: Region): Promise<number> {
    const n = chunks(region);
    const partials = this.#buffer(n);
    this.gpu.dispatch(
      this.pipelines.sum,
      [this.gpu.params(regionParams(region, 0)), x, partials],
      n,
    );
    return sumPairs(await this.gpu.readF32(partials, 0, n * 8)).re;
  }

  /** Largest real part of the complex elements of `a` in `region`. */
  async maxReal(a: GPUBuffer, region: Region): Promise<number> {
    const n = chunks(region);
    const partials = this.#buffer(n);
    const params = this.gpu.params(regionParams(region, 0));
    this.gpu.dispatch(this.pipelines.max, [params, a, partials], n);
    const values = await this.gpu.readF32(partials, 0, n * 8);
    let peak = -Infinity;
    for (let i = 0; i < values.length; i += 2) peak = Math.max(peak, values[i]);
    return peak;
  }

  /**
   * out[0] <- (scale max Re a over `region`, 0), all on the device: no readback, for kernels
   * that read the value from `out` (the preconditioner's floor).
   */
  scaledMaxReal(a: GPUBuffer, region: Region, out: GPUBuffer, scale: number): void {
    const n = chunks(region);
    const partials = this.#buffer(n);
    const params = this.gpu.params(regionParams(region, 0));
    this.gpu.dispatch(this.pipelines.max, [params, a, partials], n);
    const words = new Uint32Array([n, 0, 0, 0]);
    new Float32Array(words.buffer, 12, 1)[0] = scale;
    this.gpu.dispatch(this.pipelines.maxFinish, [this.gpu.params(words), partials, out], 1);
  }

  /**
   * partials[first + u] <- sum of the (a, b) pairs x[u run .. (u + 1) run), in order, for the
   * first `count` pairs of x (two float32 each: the cost kernels' term and R-factor numerator),
   * on the device and without workgroup barriers: ceil(count / run) partials. For the host to
   * finish with {@link sumPairs}.
   */
  sumRuns(x: GPUBuffer, partials: GPUBuffer, o: { count: number; run: number; first: number }) {
    const params = this.gpu.params(new Uint32Array([o.count, o.run, o.first, 0]));
    const n = Math.ceil(o.count / o.run);
    this.gpu.dispatch(this.pipelines.runs, [params, x, partials], Math.ceil(n / 256));
  }

  /** dst[i] <- (dst[i] +) sum over b of src[b length + i], b in increasing order, on the device. */
  sumBatches(src: GPUBuffer, dst: GPUBuffer, o: SumBatchesOptions): void {
    const params = this.gpu.params(new Uint32Array([o.length, o.batch, o.accumulate ? 1 : 0]));
    this.gpu.dispatch(this.pipelines.batches, [params, src, dst], Math.ceil(o.length / 256));
  }

  /** Frees the partials buffer. */
  destroy(): void {
    this.gpu.release(this.#partials);
    this.#partials = null;
  }

  #buffer(pairs: number): GPUBuffer {
    const bytes = Math.max(8, pairs * 8);
    if (!this.#partials || this.#partials.size < bytes) {
      this.gpu.release(this.#partials);
      this.#partials = this.gpu.buffer(bytes, "reduction partials");
    }
    return this.#partials;
  }
}

/** Number of partials (workgroups) a region needs. */
export function chunks(region: Region): number {
  return Math.ceil(((region.slices ?? 1) * region.height * region.width) / REDUCE_CHUNK);
}

/** Sum of interleaved (re, im) float32 partials in index order, in float64. */
export function sumPairs(partials: Float32Array): Complex {
  let re = 0;
  let im = 0;
  for (let i = 0; i < partials.length; i += 2) {
    re += partials[i];
    im += partials[i + 1];
  }
  return { re, im };
}

function regionParams(r: Region, first: number): Uint32Array {
  const base = r.base ?? 0;
  return new Uint32Array([
    (r.slices ?? 1) * r.height * r.width,
    base,
    base,
    r.height * r.width,
    r.width,
    r.rowStride ?? r.width,
    r.sliceStride ?? r.height * (r.rowStride ?? r.width),
    first,
  ]);
}
