import type { Rect } from "../tiling/types.ts";

/**
 * How one tile's problem combines its results with the other tiles' (`H`: where its vectors
 * live, device buffers or host arrays). The engine implements it over its transport's
 * collectives (`TileReductions`); {@link localReduction} is the identity of one tile alone.
 * Every tile calls it in the same sequence; the order is the reduction layer's
 * (`ReducedProblem`).
 */
export interface Reduction<H = GPUBuffer> {
  /** Sum of a scalar over all tiles, in a fixed order. */
  sum(value: number): Promise<number>;
  /**
   * Sums of several scalars over all tiles in one fixed-order all-reduce: each element has the
   * bits {@link sum} gives it alone, for one synchronisation instead of one per scalar.
   */
  sums(values: number[]): Promise<number[]>;
  /** Adds the neighbours' overlap gradients into this tile's object gradient (S x H x W). */
  exchangeObject(gradient: H): Promise<void>;
  /** All-reduces the probe gradient (K x M x M). */
  sumProbe(gradient: H): Promise<void>;
  /** Object pixels this tile counts in dot products (every slice). */
  ownedRegion: Rect;
  /** Further pixels this tile counts, disjoint from `ownedRegion` (default none). */
  alsoOwned?: Rect[];
  /**
   * The largest of a scalar over all tiles, in a fixed order (the preconditioner's peak).
   * Absent for one tile alone, where the local value is the answer and no readback is needed.
   */
  max?(value: number): Promise<number>;
  /**
   * Adds the neighbours' overlaps of a one-plane H x W complex array into this tile's (the
   * preconditioner's illumination), always synchronously. Absent for one tile alone.
   */
  sumOverlaps?(weight: H): Promise<void>;
  /**
   * True for the reduction of one tile alone ({@link localReduction}): every sum is the local
   * value, so a solver may keep its sums on the device instead of reading them back to add.
   */
  local?: boolean;
}

/** The reduction of a problem that runs alone on one device: nothing to add, owns everything. */
export function localReduction(objectShape: [number, number]): Reduction {
  return {
    sum: (value) => Promise.resolve(value),
    sums: (values) => Promise.resolve([...values]),
    exchangeObject: () => Promise.resolve(),
    sumProbe: () => Promise.resolve(),
    ownedRegion: { y0: 0, x0: 0, height: objectShape[0], width: objectShape[1] },
    local: true,
  };
}

/**
 * One tile's share of an evaluation before it is summed over tiles: its cost, and the
 * numerator and denominator of the amplitude R-factor over its positions.
 */
export interface TileResidual {
  cost: number;
  numerator: number;
  denominator: number;
}
