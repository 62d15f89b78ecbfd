import type { Rect } from "../tiling/types.ts";
import type { TileResidual } from "./reduction.ts";

/** A vector of one tile's unknowns: object S x H x W and probe K x M x M, complex float32. */
export interface Variables<H> {
  object: H;
  probe: H;
}

/** The unknowns taking part: the object always, the probe once it is refined. */
export interface Parts {
  object: boolean;
  probe: boolean;
}

/** The preconditioner's terms of a tile: D_O (one H x W plane) and D_P (M x M), complex. */
export interface Weights<H> {
  object?: H;
  probe?: H;
}

/**
 * Where one tile's vectors live (`H`: device buffers, or host arrays streamed through a device
 * under a memory budget) and the local work on them: the vector arithmetic, and the tile's own
 * cost, gradient, R-factor partials and preconditioner terms, none of them summed over tiles.
 * The reduction layer (`ReducedProblem`) combines the tiles' results; a store never reduces.
 * Every method acts on the active `parts` only.
 */
export interface TileStore<H> {
  create(label: string): Variables<H>;
  destroy(v: Variables<H>): void;
  /** A vector holding the given object and probe (interleaved complex float32). */
  upload(object: Float32Array, probe: Float32Array, label?: string): Variables<H>;
  download(v: Variables<H>): Promise<{ object: Float32Array; probe: Float32Array }>;
  /** dst <- src. */
  copy(src: Variables<H>, dst: Variables<H>, parts: Parts): void;
  /** dst <- x + a y; dst may be x or y. */
  axpy(dst: Variables<H>, x: Variables<H>, a: number, y: Variables<H>, parts: Parts): void;
  /** dst <- a x. */
  scale(dst: Variables<H>, a: number, x: Variables<H>, parts: Parts): void;
  /**
   * This tile's share of Re <a, b> for each pair: the object over `object` (every slice; null
   * when the object is not counted) and, with `probe`, the whole probe.
   */
  localDots(
    pairs: [Variables<H>, Variables<H>][],
    count: { object: Rect[] | null; probe: boolean },
  ): Promise<number[]>;
  /**
   * The tile's cost and, into `g`, its own gradient (no neighbour's overlap, no other tile's
   * probe gradient). Resolves once `g` holds the gradient (queued, on a device); `share` reads
   * the tile's sums back when called (once, before the next evaluation), so that the caller
   * chooses when to wait for it: on a device, a read-back waits for all queued work (a large one
   * a poll interval more, see `Gpu.read`), and several read-backs issued together wait once.
   *
   * `exchange` (with `g`) adds the neighbours' overlaps into `g.object`: the store starts it once
   * `g` is complete over the pixels a neighbour shares (on a device with a halo split, while the
   * batches reaching no neighbour still run), and `exchanged` settles with it.
   */
  evaluate(
    x: Variables<H>,
    g: Variables<H> | null,
    parts: Parts,
    exchange?: () => Promise<void>,
  ): Promise<{ share: () => Promise<TileResidual>; exchanged: Promise<void> }>;
  /**
   * The tile's own D_O (object active: sum_k |P_k|^2 over its windows) and D_P (probe active:
   * sum_j prod_s |O_s[window j]|^2). With `reuse`, the caller will not sum them over tiles in
   * place, and the store may keep D_O from its last call while the probe is unchanged.
   */
  weights(x: Variables<H>, parts: Parts, reuse: boolean): Promise<Weights<H>>;
  /** Sets the floor of `part` to eps max Re D over `weight`, rounded to float32. */
  floor(part: keyof Parts, weight: H, eps: number): void;
  /** The floor of `part` (a read-back on the device). */
  readFloor(part: keyof Parts): Promise<number>;
  /** Replaces the floor of `part` (by one reduced over tiles). */
  writeFloor(part: keyof Parts, value: number): void;
  /** The first `count` float32 values of a small vector (a read-back on the device). */
  readValues(v: H, count: number): Promise<Float32Array>;
  /** Overwrites the start of a small vector with `values`. */
  writeValues(v: H, values: Float32Array): void;
  /** out <- g / (D + floor) for each active part (D broadcast over slices and modes). */
  divide(parts: Parts, weights: Weights<H>, g: Variables<H>, out: Variables<H>): Promise<void>;
  /** The positions moved: nothing kept from earlier calls of {@link weights} is used again. */
  invalidate(): void;
  /** Resolves once the work queued on the store's vectors has run. */
  finish(): Promise<void>;
  /** Frees what the store allocated (not the vectors it gave out). */
  dispose(): void;
}
