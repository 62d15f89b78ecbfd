/**
 * The collectives the distributed engine's reductions go through, and nothing else: a transport
 * implements {@link Collectives} and the engine runs on it unchanged. Transports (DESIGN
 * section 7): `local` (one tile, in process, {@link LocalCollectives}), `workers` (Deno workers
 * over SharedArrayBuffer and Atomics) and `mpi` (ranks over an MPICH-ABI `libmpi`).
 *
 * Participants are the engine's workers, across every rank, numbered 0 .. size - 1; each holds
 * some tiles. Contributions are per tile and every combination adds them in ascending tile
 * order, so the bits of a result never depend on how tiles are spread over ranks and workers
 * (a transport gathers the tiles' contributions, then combines them; `MPI_Allreduce`'s order is
 * implementation-defined and is not used for sums). Every participant calls the collectives in
 * the same sequence, with the same lengths.
 */
import type { Rect } from "../tiling/types.ts";

/** How an all-reduce combines the tiles' contributions, element by element. */
export type ReduceOp = "sum" | "max";

/** When overlap strips travel: before each update (`sync`) or in the background (`async`). */
export type StripMode = "sync" | "async";

/**
 * Where the arrays of a participant's tiles live (device buffers or host arrays). Each tile's
 * array covers its extended region as `planes` x height x width complex values (interleaved
 * float32 pairs, row-major); a strip is a rectangle of it in object coordinates, packed the same
 * way.
 */
export interface StripStore {
  /** The array of `tile` over `rect`. */
  read(tile: number, rect: Rect): Promise<Float32Array>;
  /** The array of `tile` over each of `rects` (one round trip where the store can). */
  readMany(tile: number, rects: Rect[]): Promise<Float32Array[]>;
  /** Overwrites the array of `tile` over `rect` with `strip`. */
  write(tile: number, rect: Rect, strip: Float32Array): Promise<void>;
}

/**
 * A neighbour strip exchange over the tiling's overlaps. One round for a tile is {@link post}
 * then {@link collect}; after it every copy of an overlap pixel holds bitwise the same value, the
 * sum of the overlapping tiles' values in ascending tile order (`sync`), or with neighbours'
 * contributions arriving at most one round late, each exactly once (`async`).
 */
export interface StripExchange {
  /** Sends `tile`'s strips over its outgoing overlaps (this round). */
  post(tile: number, store: StripStore): Promise<void>;
  /** Adds the neighbours' strips into `tile`'s array. Call after {@link post} of the round. */
  collect(tile: number, store: StripStore): Promise<void>;
}

/** The collectives of one participant. */
export interface Collectives {
  /** The transport's name, for reports and errors: `local`, `workers` or `mpi`. */
  readonly transport: string;
  /** This participant's index among all, 0 .. size - 1. */
  readonly rank: number;
  readonly size: number;
  /** The tiles this participant holds, ascending. */
  readonly tiles: readonly number[];
  /**
   * Combines every tile's contribution element by element in ascending tile order (`sum`) or by
   * the largest (`max`), and gives every participant the same bits. `parts` holds a contribution
   * (all of one length: a scalar or a probe-sized vector) for each of this participant's tiles.
   */
  allReduce(parts: ReadonlyMap<number, Float64Array>, op?: ReduceOp): Promise<Float64Array>;
  /**
   * A strip exchange of its own, with `planes` complex planes per pixel: several exchanges (the
   * gradient's, the preconditioner's illumination) run side by side, told apart by `stream`
   * (0, 1, ...). The same call on every participant returns matching exchanges.
   */
  strips(o: { stream: number; planes: number; mode: StripMode }): StripExchange;
  /** Participant `root`'s `values` (same length everywhere), on every participant. */
  broadcast(values: Float64Array, root: number): Promise<Float64Array>;
  /** Returns once every participant has called it. */
  barrier(): Promise<void>;
  /**
   * Ends the run on every participant: their pending and later collectives throw. `reason`
   * names the participant and tile that failed.
   */
  abort(reason: string): void;
}

/** Thrown by a collective once the run has been aborted (by any participant). */
export class CollectiveAbort extends Error {
  override name = "CollectiveAbort";
}

/**
 * The `local` transport: one participant holding one tile, in process. Every collective is the
 * identity and no strip travels (a single tile has no overlaps).
 */
export class LocalCollectives implements Collectives {
  readonly transport = "local";
  readonly rank = 0;
  readonly size = 1;
  readonly tiles: readonly number[] = [0];
  #aborted: string | null = null;

  allReduce(parts: ReadonlyMap<number, Float64Array>): Promise<Float64Array> {
    this.#check();
    const part = parts.get(0);
    if (!part || parts.size !== 1) {
      throw new RangeError(
        `The local transport holds tile 0 alone, got tiles ${[...parts.keys()]}`,
      );
    }
    return Promise.resolve(part.slice());
  }

  strips(): StripExchange {
    const check = () => {
      this.#check();
      return Promise.resolve();
    };
    return { post: check, collect: check };
  }

  broadcast(values: Float64Array): Promise<Float64Array> {
    this.#check();
    return Promise.resolve(values.slice());
  }

  barrier(): Promise<void> {
    this.#check();
    return Promise.resolve();
  }

  abort(reason: string): void {
    this.#aborted ??= reason;
  }

  #check(): void {
    if (this.#aborted !== null) throw new CollectiveAbort(this.#aborted);
  }
}
