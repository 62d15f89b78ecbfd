import type { Rect } from "../tiling/types.ts";

/**
 * How a {@link GpuProblem} combines its results with other workers. The tiled engine implements
 * it over its exchange; {@link localReduction} is the identity for one device.
 */
export interface Reduction {
  /** Sum of a scalar over all workers, in a fixed order. */
  sum(value: number): Promise<number>;
  /** Adds the neighbours' overlap gradients into this worker's object gradient (S x H x W). */
  exchangeObject(gradient: GPUBuffer): Promise<void>;
  /** All-reduces the probe gradient (K x M x M). */
  sumProbe(gradient: GPUBuffer): Promise<void>;
  /** Object pixels this worker counts in dot products (every slice). */
  ownedRegion: Rect;
  /** Further pixels this worker counts, disjoint from `ownedRegion` (default none). */
  alsoOwned?: Rect[];
  /**
   * The largest of a scalar over all workers, in a fixed order (the preconditioner's peak).
   * Absent on one device, where the local value is the answer and no readback is needed.
   */
  max?(value: number): Promise<number>;
  /**
   * Adds the neighbours' overlaps of a one-plane H x W complex buffer into this worker's (the
   * preconditioner's illumination), always synchronously. Absent on one device.
   */
  sumOverlaps?(weight: GPUBuffer): Promise<void>;
  /**
   * True for the reduction of one device alone ({@link localReduction}): every sum is the local
   * value, so a solver may keep its sums on the device instead of reading them back to add.
   */
  local?: boolean;
}

/** The reduction of a problem that runs alone on one device: nothing to add, owns everything. */
export function localReduction(objectShape: [number, number]): Reduction {
  return {
    sum: (value) => Promise.resolve(value),
    exchangeObject: () => Promise.resolve(),
    sumProbe: () => Promise.resolve(),
    ownedRegion: { y0: 0, x0: 0, height: objectShape[0], width: objectShape[1] },
    local: true,
  };
}

/**
 * One worker's (one tile's) share of an evaluation before it is summed over workers: its cost,
 * and the numerator and denominator of the amplitude R-factor over its positions.
 */
export interface TileResidual {
  cost: number;
  numerator: number;
  denominator: number;
}
