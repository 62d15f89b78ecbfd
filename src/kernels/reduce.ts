import type { Gpu } from "../gpu/mod.ts";
import code from "../../wgsl/reduce.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/reduce.wgsl", code };
/** Elements summed into one partial by `wgsl/reduce.wgsl` (its `CHUNK`). */
export const REDUCE_CHUNK = 2048;
/** Lanes of one chunk, each summing 8 of its elements into a slot (`LANES` of the WGSL). */
const LANES = 256;

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

/** Options of {@link Reductions.sumRuns}. */
export interface SumRunsOptions {
  /** Pairs to add. */
  count: number;
  /** Pairs per sum. */
  run: number;
  /** Pair index of the first sum in the destination. */
  first: number;
  /** Pairs between consecutive sums in the destination (default 1). */
  stride?: number;
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
 * Deterministic reductions over complex and real device buffers (`wgsl/reduce.wgsl`): per chunk
 * of 2048 elements, 256 lane sums (slots) added in order into one partial on the device, without
 * workgroup barriers; the partials summed on the host in float64 in index order. The same inputs
 * give the same bits on every run and every device that rounds float32 the same way.
 *
 * @example
 * ```ts
 * const red = await Reductions.create(gpu);
 * const { re } = await red.dot([{ a: x, b: y, region: { height: 1, width: n } }]);
 * ```
 */
export class Reductions {
  #partials: GPUBuffer | null = null;
  #slots: GPUBuffer | null = null;

  private constructor(
    private readonly gpu: Gpu,
    private readonly pipelines: Record<
      "dot" | "sum" | "max" | "maxRuns" | "maxFinish" | "runs" | "batches",
      GPUComputePipeline
    >,
  ) {}

  /** Compiles (or takes from the device's cache) the reduction pipelines. */
  static async create(gpu: Gpu): Promise<Reductions> {
    const [dot, sum, max, maxRuns, maxFinish, runs, batches] = await Promise.all([
      gpu.pipeline(SOURCE, "dot_slots"),
      gpu.pipeline(SOURCE, "sum_slots"),
      gpu.pipeline(SOURCE, "max_slots"),
      gpu.pipeline(SOURCE, "max_runs"),
      gpu.pipeline(SOURCE, "max_finish"),
      gpu.pipeline(SOURCE, "sum_runs"),
      gpu.pipeline(SOURCE, "sum_batches"),
    ]);
    return new Reductions(gpu, { dot, sum, max, maxRuns, maxFinish, runs, batches });
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
    const slots = this.#slotBuffer(all.reduce((n, t) => n + chunks(t.region), 0));
    let first = 0;
    const ends: number[] = [];
    for (const terms of groups) {
      for (const t of terms) {
        const params = this.gpu.params(regionParams(t.region, first));
        this.gpu.dispatch(this.pipelines.dot, [params, t.a, t.b, slots], chunks(t.region));
        first += chunks(t.region);
      }
      ends.push(first);
    }
    const partials = this.#fold(slots, first, "runs");
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
    const slots = this.#slotBuffer(n);
    this.gpu.dispatch(this.pipelines.sum, [this.gpu.params(regionParams(region, 0)), x, slots], n);
    const partials = this.#fold(slots, n, "runs");
    return sumPairs(await this.gpu.readF32(partials, 0, n * 8)).re;
  }

  /** Largest real part of the complex elements of `a` in `region`. */
  async maxReal(a: GPUBuffer, region: Region): Promise<number> {
    const n = chunks(region);
    const partials = this.#maxima(a, region);
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
    const partials = this.#maxima(a, region);
    const words = new Uint32Array([n, 0, 0, 0, 0]);
    new Float32Array(words.buffer, 12, 1)[0] = scale;
    this.gpu.dispatch(this.pipelines.maxFinish, [this.gpu.params(words), partials, out], 1);
  }

  /**
   * partials[first + u stride] <- sum of the (a, b) pairs x[u run .. (u + 1) run), in order, for
   * the first `count` pairs of x (two float32 each: the cost kernels' term and R-factor numerator,
   * or the position kernels' lane sums), on the device and without workgroup barriers:
   * ceil(count / run) sums, pairs `stride` apart in `partials` (default 1). For the host to
   * finish with {@link sumPairs}, or read as they are.
   */
  sumRuns(x: GPUBuffer, partials: GPUBuffer, o: SumRunsOptions) {
    const words = [o.count, o.run, o.first, 0, o.stride ?? 1];
    const params = this.gpu.params(new Uint32Array(words));
    const n = Math.ceil(o.count / o.run);
    this.gpu.dispatch(this.pipelines.runs, [params, x, partials], Math.ceil(n / 256));
  }

  /** dst[i] <- (dst[i] +) sum over b of src[b length + i], b in increasing order, on the device. */
  sumBatches(src: GPUBuffer, dst: GPUBuffer, o: SumBatchesOptions): void {
    const params = this.gpu.params(new Uint32Array([o.length, o.batch, o.accumulate ? 1 : 0]));
    this.gpu.dispatch(this.pipelines.batches, [params, src, dst], Math.ceil(o.length / 256));
  }

  /** Frees the partials and slots buffers. */
  destroy(): void {
    this.gpu.release(this.#partials, this.#slots);
    this.#partials = null;
    this.#slots = null;
  }

  /** The chunk maxima of Re a over `region`: slots, then each chunk's 256 folded. */
  #maxima(a: GPUBuffer, region: Region): GPUBuffer {
    const n = chunks(region);
    const slots = this.#slotBuffer(n);
    this.gpu.dispatch(this.pipelines.max, [this.gpu.params(regionParams(region, 0)), a, slots], n);
    return this.#fold(slots, n, "maxRuns");
  }

  /** The partials buffer <- each of `n` chunks' 256 slots added (or maxed) in order. */
  #fold(slots: GPUBuffer, n: number, pipeline: "runs" | "maxRuns"): GPUBuffer {
    const partials = this.#buffer(n);
    const params = this.gpu.params(new Uint32Array([n * LANES, LANES, 0, 0, 1]));
    this.gpu.dispatch(this.pipelines[pipeline], [params, slots, partials], Math.ceil(n / 256));
    return partials;
  }

  #slotBuffer(chunks: number): GPUBuffer {
    const bytes = Math.max(8, chunks * LANES * 8);
    if (!this.#slots || this.#slots.size < bytes) {
      this.gpu.release(this.#slots);
      this.#slots = this.gpu.buffer(bytes, "reduction slots");
    }
    return this.#slots;
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
