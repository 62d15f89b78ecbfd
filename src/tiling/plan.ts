import { tileCores, windowStart } from "./reference.ts";
import type { Overlap, Rect, ScanGrid, TilingKernels } from "./types.ts";
import { wasmKernels } from "./wasm.ts";

/** Input of {@link planTiling}. */
export interface TilingOptions extends ScanGrid {
  /** Number of workers the tiles are shared among (at most R x C). */
  workers: number;
  /** Which implementation computes the plan; the WebAssembly one unless a test says otherwise. */
  kernels?: TilingKernels;
}

/** Everything the tiled engine needs to know about how an object is cut into tiles. */
export interface Tiling {
  objectShape: [number, number];
  frame: number;
  tiles: [number, number];
  workers: number;
  /**
   * Core of each tile (row-major): the cores partition the object into R row bands, each cut
   * into C columns of its own, balanced by position count.
   */
  cores: Rect[];
  /** Extended region of each tile: core plus the halo its positions' windows need. */
  regions: Rect[];
  /** Owner tile of each position. */
  owner: Int32Array;
  /** Positions of each tile, ascending. */
  positionsOf: Int32Array[];
  /** Overlaps between extended regions, ordered by `from`, then `to`. */
  overlaps: Overlap[];
  /** Worker of each tile; each worker holds a contiguous run of tiles. */
  workerOf: Int32Array;
}

/**
 * Cuts the object into R row bands and each band into C tiles, the cuts balancing the tiles by
 * position count (see {@link TilingKernels.cuts}), gives each position to the tile holding its
 * centre, extends each tile to hold its positions' windows, finds the overlaps between extended
 * regions and shares the tiles among workers, balanced by position count.
 *
 * @throws {RangeError} for a grid finer than the object, a worker count outside [1, R x C], or a
 * probe window reaching outside the object.
 *
 * @example
 * ```ts
 * const plan = planTiling({
 *   objectShape: [256, 256], frame: 64, tiles: [2, 2], workers: 4,
 *   positionsY: new Float64Array([64, 64, 190]), positionsX: new Float64Array([64, 190, 64]),
 * });
 * plan.owner; // Int32Array [0, 1, 2]
 * ```
 */
export function planTiling(options: TilingOptions): Tiling {
  const { objectShape, frame, tiles, workers, positionsY, positionsX } = options;
  const kernels = options.kernels ?? wasmKernels;
  validate(options);
  const scan: ScanGrid = { objectShape, frame, tiles, positionsY, positionsX };
  const count = tiles[0] * tiles[1];
  const cuts = kernels.cuts(scan);
  const cores = tileCores(cuts, tiles);
  const owner = kernels.owners(scan, cuts);
  const members: number[][] = Array.from({ length: count }, () => []);
  owner.forEach((t, j) => members[t].push(j));
  const positionsOf = members.map((m) => Int32Array.from(m));
  const regions = kernels.regions(scan, cores, owner);
  return {
    objectShape: [...objectShape],
    frame,
    tiles: [...tiles],
    workers,
    cores,
    regions,
    owner,
    positionsOf,
    overlaps: kernels.overlaps(regions),
    workerOf: kernels.assign(Int32Array.from(positionsOf, (p) => p.length), workers),
  };
}

/** Tiles of `worker` in a plan, ascending. */
export function tilesOf(tiling: Tiling, worker: number): number[] {
  const out: number[] = [];
  tiling.workerOf.forEach((w, t) => w === worker && out.push(t));
  return out;
}

function validate(options: TilingOptions): void {
  const { objectShape: [height, width], frame, tiles: [rows, cols], workers } = options;
  const whole = (v: number) => Number.isInteger(v) && v >= 1;
  if (!whole(rows) || !whole(cols) || rows > height || cols > width) {
    throw new RangeError(
      `Cannot tile a ${height} x ${width} object into ${rows} x ${cols} tiles: ` +
        "expected whole numbers of rows and columns no larger than the object",
    );
  }
  if (!whole(workers) || workers > rows * cols) {
    throw new RangeError(
      `Cannot share ${rows} x ${cols} tiles among ${workers} workers: ` +
        `expected 1 to ${rows * cols} workers`,
    );
  }
  if (options.positionsX.length !== options.positionsY.length) {
    throw new RangeError(
      `Cannot tile a scan with ${options.positionsY.length} y and ` +
        `${options.positionsX.length} x coordinates`,
    );
  }
  for (let j = 0; j < options.positionsY.length; j++) {
    const y = windowStart(options.positionsY[j], frame);
    const x = windowStart(options.positionsX[j], frame);
    if (!(y >= 0 && x >= 0 && y + frame <= height && x + frame <= width)) {
      throw new RangeError(
        `Cannot tile position ${j} at (${options.positionsY[j]}, ${options.positionsX[j]}): ` +
          `its ${frame} x ${frame} window leaves the ${height} x ${width} object`,
      );
    }
  }
}
