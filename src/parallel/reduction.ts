import type { Gpu } from "../gpu/mod.ts";
import type { Rect, Tiling } from "../tiling/mod.ts";
import type { Collectives, StripExchange, StripMode } from "../distributed/collectives.ts";
import { GpuGradients } from "./gpu_strips.ts";
import type { GradientStore } from "./strips.ts";

/**
 * What one tile's problem uses to sum across tiles and workers (the `Reduction` a `GpuProblem`
 * is built with, `H` = `GPUBuffer`). Every tile calls the same methods in the same sequence:
 * the solver code is the same everywhere and branches only on reduced values.
 */
export interface TileReduction<H> {
  /** A scalar summed over all tiles in a fixed order (tiles of a worker, then workers). */
  sum(value: number): Promise<number>;
  /** Several scalars summed over all tiles in one all-reduce, each with the bits of its `sum`. */
  sums(values: number[]): Promise<number[]>;
  /** Adds the neighbours' overlap gradients into this tile's extended-region gradient. */
  exchangeObject(gradient: H): Promise<void>;
  /** Replaces this tile's probe gradient by the sum over all tiles, in a fixed order. */
  sumProbe(gradient: H): Promise<void>;
  /** The core pixels this tile counts in dot products, in its extended region's coordinates. */
  ownedRegion: Rect;
  /** The largest of a scalar over all tiles (for example a preconditioner's peak). */
  max(value: number): Promise<number>;
  /**
   * Sums a one-plane region-sized buffer (for example the preconditioner's illumination) over
   * overlapping tiles, always synchronously, through mailboxes of its own.
   */
  sumOverlaps(weight: H): Promise<void>;
}

/** How reductions reach a tile's gradients: device buffers, or host arrays in tests. */
export interface ReductionBackend<H> {
  /** The object gradient of `tile`, held in `gradient`, as a strip store. */
  objectStore(tile: number, gradient: H): GradientStore;
  readProbe(gradient: H): Promise<Float32Array>;
  writeProbe(gradient: H, values: Float32Array): Promise<void>;
}

/** Options of {@link TileReductions}. */
export interface TileReductionsOptions<H> {
  /** The transport; its `tiles` are this worker's. */
  collectives: Collectives;
  tiling: Tiling;
  /** Complex planes of the object gradient (slices), and how its overlaps travel. */
  planes: number;
  mode: StripMode;
  backend: ReductionBackend<H>;
}

/**
 * The reductions of one worker's tiles: the one place that decides the order of the engine's
 * reductions. The tiles' solvers run concurrently (interleaved at their awaits) in the worker;
 * each reduction waits until every tile of the worker has reached it, then goes through the
 * transport's collectives once for the worker, which combine all tiles in ascending tile order.
 */
export class TileReductions<H> {
  readonly #o: TileReductionsOptions<H>;
  readonly #meetings = new Map<string, Meeting>();
  readonly #exchange: StripExchange;
  /** A synchronous one-plane exchange with its own mailboxes, for {@link TileReduction.sumOverlaps}. */
  readonly #weights: StripExchange;

  constructor(options: TileReductionsOptions<H>) {
    this.#o = options;
    const { collectives, planes, mode } = options;
    this.#exchange = collectives.strips({ stream: 0, planes, mode });
    this.#weights = collectives.strips({ stream: 1, planes: 1, mode: "sync" });
  }

  /** The reduction tile `tile` (one of this worker's) uses. */
  forTile(tile: number): TileReduction<H> {
    const { tiling, backend, collectives } = this.#o;
    if (!collectives.tiles.includes(tile)) {
      throw new RangeError(`Worker ${collectives.rank} holds no tile ${tile}`);
    }
    const exchange = this.#exchange;
    const weights = this.#weights;
    const core = tiling.cores[tile];
    const region = tiling.regions[tile];
    return {
      ownedRegion: {
        y0: core.y0 - region.y0,
        x0: core.x0 - region.x0,
        height: core.height,
        width: core.width,
      },
      sum: async (value) => (await this.#meet("sum", tile, Float64Array.of(value)))[0],
      sums: async (values) => [...await this.#meet("sums", tile, Float64Array.from(values))],
      max: async (value) => (await this.#meet("max", tile, Float64Array.of(value), "max"))[0],
      exchangeObject: (gradient) =>
        this.#overlaps(exchange, tile, backend.objectStore(tile, gradient)),
      sumOverlaps: (weight) => this.#overlaps(weights, tile, backend.objectStore(tile, weight)),
      sumProbe: async (gradient) => {
        const mine = await backend.readProbe(gradient);
        const all = await this.#meet("probe", tile, Float64Array.from(mine));
        await backend.writeProbe(gradient, Float32Array.from(all));
      },
    };
  }

  async #overlaps(exchange: StripExchange, tile: number, store: GradientStore): Promise<void> {
    await exchange.post(tile, store);
    // Every local tile must have posted before any collects: a neighbour may be local.
    await this.#meet("posted", tile, new Float64Array(0));
    await exchange.collect(tile, store);
  }

  /**
   * Waits for every local tile's contribution to meeting `kind`, then all-reduces all tiles'
   * (sum or max, in tile order) and gives every local tile the result.
   */
  #meet(
    kind: string,
    tile: number,
    values: Float64Array,
    op: "sum" | "max" = "sum",
  ): Promise<Float64Array> {
    let meeting = this.#meetings.get(kind);
    if (!meeting) {
      meeting = { parts: new Map(), waiters: [] };
      this.#meetings.set(kind, meeting);
    }
    if (meeting.parts.has(tile)) {
      throw new Error(`Tile ${tile} reached "${kind}" twice before its worker's other tiles`);
    }
    meeting.parts.set(tile, values);
    const result = new Promise<Float64Array>((resolve, reject) =>
      meeting.waiters.push({ resolve, reject })
    );
    if (meeting.parts.size === this.#o.collectives.tiles.length) {
      this.#meetings.delete(kind);
      const total = values.length > 0
        ? this.#o.collectives.allReduce(meeting.parts, op)
        : Promise.resolve(values);
      total.then(
        (v) => meeting.waiters.forEach((w) => w.resolve(v)),
        (error) => meeting.waiters.forEach((w) => w.reject(error)),
      );
    }
    return result;
  }
}

interface Meeting {
  parts: Map<number, Float64Array>;
  waiters: Array<{ resolve: (v: Float64Array) => void; reject: (e: unknown) => void }>;
}

/**
 * The device backend: gradients are GPU buffers laid out as the tile's extended region, with as
 * many complex planes as their size holds.
 */
export function gpuBackend(gpu: Gpu, tiling: Tiling): ReductionBackend<GPUBuffer> {
  return {
    objectStore: (tile, gradient) => {
      const { height, width } = tiling.regions[tile];
      const planes = Math.floor(gradient.size / (8 * height * width));
      return new GpuGradients(gpu, tiling.regions, planes, new Map([[tile, { buffer: gradient }]]));
    },
    readProbe: (gradient) => gpu.readF32(gradient),
    writeProbe: (gradient, values) => {
      gpu.write(gradient, values);
      return Promise.resolve();
    },
  };
}
