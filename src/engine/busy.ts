/**
 * A worker's busy fraction for the live view: the share of an iteration's wall time it spends
 * outside the transport's collectives (all-reduces, broadcasts, barriers, and collecting its
 * neighbours' strips), where it waits for its peers. {@link TimedCollectives} wraps a transport
 * and only measures: every call goes through unchanged, so no result changes by a bit.
 */
import type {
  Collectives,
  ReduceOp,
  StripExchange,
  StripMode,
  StripStore,
} from "../distributed/collectives.ts";

/** Wall time inside any of several possibly overlapping intervals (tiles interleave). */
export class UnionTimer {
  #open = 0;
  #since = 0;
  #total = 0;

  constructor(readonly now: () => number = () => performance.now()) {}

  /** Times `work` until it settles. */
  async time<T>(work: () => Promise<T>): Promise<T> {
    if (this.#open++ === 0) this.#since = this.now();
    try {
      return await work();
    } finally {
      if (--this.#open === 0) this.#total += this.now() - this.#since;
    }
  }

  /** The time so far, including a still-open interval, in the clock's unit. */
  total(): number {
    return this.#total + (this.#open > 0 ? this.now() - this.#since : 0);
  }
}

/** `transport` with the time spent in its collectives counted by `timer`. */
export class TimedCollectives implements Collectives {
  constructor(readonly inner: Collectives, readonly timer: UnionTimer) {}

  get transport(): string {
    return this.inner.transport;
  }

  get rank(): number {
    return this.inner.rank;
  }

  get size(): number {
    return this.inner.size;
  }

  get tiles(): readonly number[] {
    return this.inner.tiles;
  }

  allReduce(parts: ReadonlyMap<number, Float64Array>, op?: ReduceOp): Promise<Float64Array> {
    return this.timer.time(() => this.inner.allReduce(parts, op));
  }

  strips(o: { stream: number; planes: number; mode: StripMode }): StripExchange {
    const exchange = this.inner.strips(o);
    return {
      post: (tile: number, store: StripStore) => exchange.post(tile, store),
      collect: (tile: number, store: StripStore) =>
        this.timer.time(() => exchange.collect(tile, store)),
    };
  }

  broadcast(values: Float64Array, root: number): Promise<Float64Array> {
    return this.timer.time(() => this.inner.broadcast(values, root));
  }

  barrier(): Promise<void> {
    return this.timer.time(() => this.inner.barrier());
  }

  abort(reason: string): void {
    this.inner.abort(reason);
  }
}

/** The busy fraction of an interval of `wall` with `waiting` of it in collectives, in [0, 1]. */
export function busyFraction(wall: number, waiting: number): number {
  if (!(wall > 0)) return 1;
  return Math.min(1, Math.max(0, 1 - waiting / wall));
}
