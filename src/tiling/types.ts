/** A rectangle of object pixels: rows [y0, y0 + height), columns [x0, x0 + width). */
export interface Rect {
  y0: number;
  x0: number;
  height: number;
  width: number;
}

/** A scan over an object cut into R x C tiles. */
export interface ScanGrid {
  /** Object size [H, W] in pixels. */
  objectShape: [number, number];
  /** Frame size M; the window of a position is M x M. */
  frame: number;
  /** Scan positions in object pixels (the probe's centre pixel sits on them). */
  positionsY: Float64Array;
  positionsX: Float64Array;
  /** Tile grid [R, C]: R row bands, each cut into C tiles. */
  tiles: [number, number];
}

/**
 * Where the object is cut into tiles, balanced by position count: R row bands, each cut into C
 * columns of its own. Tile (r, c) (row-major index r * C + c) has the core rows
 * [rows[r], rows[r + 1]) x columns [cols[r * (C + 1) + c], cols[r * (C + 1) + c + 1]).
 */
export interface Cuts {
  /** R + 1 row boundaries, 0 = rows[0] <= rows[1] <= ... <= rows[R] = H. */
  rows: Int32Array;
  /** For each row band, C + 1 column boundaries from 0 to W (R x (C + 1), row-major). */
  cols: Int32Array;
}

/**
 * Pixels of tile `from`'s extended region that tile `to`'s extended region holds too, in object
 * coordinates. Every overlap appears once in each direction.
 */
export interface Overlap {
  from: number;
  to: number;
  rect: Rect;
}

/**
 * For each pixel of a region (row-major, height x width), the windows covering it: a CSR index
 * whose entries k in [rowStart[p], rowStart[p + 1]) name a window (`window[k]`, an index into
 * the list of positions the index was built for, ascending within a pixel) and the pixel's
 * offset inside that window (`offset[k]` = dy * M + dx). Summing per pixel in this order gives
 * an overlap-add whose result does not depend on scheduling.
 */
export interface GatherIndex {
  region: Rect;
  rowStart: Uint32Array;
  window: Uint32Array;
  offset: Uint32Array;
}

/** The tiling computations, implemented twice: in AssemblyScript and as a TypeScript reference. */
export interface TilingKernels {
  /**
   * The cuts balancing the tiles by position count. A position counts at its centre pixel
   * (floor(py), floor(px)) clamped into the object; positions sharing a centre row share a band.
   * Let v be the centre row of the position of rank floor(i N / R) (ascending, from 0). Row
   * boundary i (0 < i < R) leaves above it either the positions of rows up to v or those of
   * rows before v, whichever count is nearer i N / R (the larger on a tie). It sits on the
   * centre row of the first position below it (H if none), then moves up, never past the row
   * after the last position above it nor closer than one row to the next boundary: boundaries
   * increase strictly where rows free of positions allow, and bands left empty are thin. Each
   * band's columns are cut by the same rule over its own positions' centre columns. Without
   * positions, an axis is cut evenly by area.
   */
  cuts(scan: ScanGrid): Cuts;
  /** Owner tile (row-major) of each position: the tile whose core holds its centre pixel. */
  owners(scan: ScanGrid, cuts: Cuts): Int32Array;
  /** Extended region of each tile: bounding box of its core and its positions' windows. */
  regions(scan: ScanGrid, cores: Rect[], owner: Int32Array): Rect[];
  /** Overlaps between extended regions, ordered by `from`, then `to`. */
  overlaps(regions: Rect[]): Overlap[];
  /**
   * Contiguous, balanced assignment of tiles to workers: the worker of each tile, every worker
   * with at least one tile, the largest position count per worker as small as possible.
   */
  assign(counts: Int32Array, workers: number): Int32Array;
  /** The gather index of `region` over the windows of the given positions. */
  gather(options: GatherOptions): GatherIndex;
}

/** Input of {@link TilingKernels.gather}. */
export interface GatherOptions {
  positionsY: Float64Array;
  positionsX: Float64Array;
  frame: number;
  region: Rect;
}
