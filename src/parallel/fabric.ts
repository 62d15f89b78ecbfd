/**
 * The shared memory workers talk through: SharedArrayBuffer words and mailboxes synchronised
 * with Atomics. The main thread creates it ({@link createFabric}) and never blocks on it; workers
 * wait on it with `Atomics.wait`, in short slices so that an abort or a dead peer never leaves
 * them hanging.
 */
import { profile } from "./profile.ts";

/** Word indices of the control array. */
const ABORT = 0;
const HEADER = 4;

/** How the fabric is laid out: what the main thread sends each worker. */
export interface FabricLayout {
  workers: number;
  /** Float64 values one all-reduce can carry (per worker, and per tile for tile reductions). */
  reduceCapacity: number;
  /** Float32 length of each mailbox (one per directed tile overlap), in overlap order. */
  mailboxes: number[];
  /** Progress words, one per tile: the last exchange a tile has posted. */
  tiles: number;
}

/** The SharedArrayBuffers of a fabric with its layout; structured-clonable to workers. */
export interface FabricBuffers {
  layout: FabricLayout;
  control: SharedArrayBuffer;
  reduce: SharedArrayBuffer;
  mail: SharedArrayBuffer;
}

/** Why a worker stopped waiting: the run was aborted (a peer failed, or the pool stopped). */
export class AbortedError extends Error {
  override name = "AbortedError";
}

/** Allocates the shared buffers of a fabric. */
export function createFabric(layout: FabricLayout): FabricBuffers {
  const words = HEADER + 2 * layout.workers + layout.tiles + 2 * layout.mailboxes.length;
  const floats = layout.mailboxes.reduce((a, b) => a + b, 0);
  return {
    layout,
    control: new SharedArrayBuffer(4 * words),
    reduce: new SharedArrayBuffer(8 * 2 * slotsOf(layout) * layout.reduceCapacity),
    mail: new SharedArrayBuffer(4 * Math.max(1, floats)),
  };
}

/** Contributions one reduction slot holds: one per worker, or one per tile. */
function slotsOf(layout: FabricLayout): number {
  return Math.max(layout.workers, layout.tiles);
}

/** Main-thread view: abort flag and heartbeats, never blocking. */
export class FabricMonitor {
  readonly #words: Int32Array;
  readonly #workers: number;

  constructor(buffers: FabricBuffers) {
    this.#words = new Int32Array(buffers.control);
    this.#workers = buffers.layout.workers;
  }

  /** Tells every worker to stop waiting and wakes those that sleep. */
  abort(): void {
    Atomics.store(this.#words, ABORT, 1);
    Atomics.notify(this.#words, ABORT);
    for (let i = HEADER; i < this.#words.length; i++) Atomics.notify(this.#words, i);
  }

  /** The heartbeat counter of each worker (it moves while the worker is alive). */
  heartbeats(): number[] {
    return Array.from({ length: this.#workers }, (_, w) => Atomics.load(this.#words, HEADER + w));
  }
}

/** A mailbox: one directed overlap's send buffer in shared memory, with its sequence words. */
export interface Mailbox {
  data: Float32Array;
  /** Word index of the last sequence number posted; the next word is the last consumed. */
  word: number;
}

/** Worker-side view of the fabric. */
export class Fabric {
  readonly rank: number;
  readonly layout: FabricLayout;
  readonly #words: Int32Array;
  readonly #reduce: Float64Array;
  readonly #mailboxes: Mailbox[];
  #reductions = 0;

  /** Longest single `Atomics.wait`, in ms: how often a waiting worker checks for an abort. */
  static readonly SLICE_MS = 50;

  constructor(buffers: FabricBuffers, rank: number) {
    this.rank = rank;
    this.layout = buffers.layout;
    this.#words = new Int32Array(buffers.control);
    this.#reduce = new Float64Array(buffers.reduce);
    const { workers, tiles, mailboxes } = buffers.layout;
    let offset = 0;
    this.#mailboxes = mailboxes.map((length, k) => {
      const data = new Float32Array(buffers.mail, 4 * offset, length);
      offset += length;
      return { data, word: HEADER + 2 * workers + tiles + 2 * k };
    });
  }

  /** Marks this worker alive; called by its timer and from every wait slice. */
  beat(): void {
    Atomics.add(this.#words, HEADER + this.rank, 1);
  }

  /** Throws {@link AbortedError} once the run has been aborted. */
  checkAbort(): void {
    if (Atomics.load(this.#words, ABORT) !== 0) {
      throw new AbortedError(`Worker ${this.rank} stopped: the run was aborted`);
    }
  }

  /** Blocks until `ready()` holds, sleeping on control word `word` in short slices. */
  waitFor(word: number, ready: () => boolean): void {
    for (;;) {
      if (ready()) return;
      this.checkAbort();
      this.beat();
      const seen = Atomics.load(this.#words, word);
      if (ready()) return;
      Atomics.wait(this.#words, word, seen, Fabric.SLICE_MS);
    }
  }

  /** Loads control word `word`. */
  load(word: number): number {
    return Atomics.load(this.#words, word);
  }

  /** Stores `value` in control word `word` and wakes its waiters. */
  store(word: number, value: number): void {
    Atomics.store(this.#words, word, value);
    Atomics.notify(this.#words, word);
  }

  /** Mailbox `k` (in the layout's overlap order). */
  mailbox(k: number): Mailbox {
    return this.#mailboxes[k];
  }

  /** Word index of tile `t`'s progress counter. */
  progressWord(t: number): number {
    return HEADER + 2 * this.layout.workers + t;
  }

  /** Ends the run from inside: every worker's next wait throws {@link AbortedError}. */
  abort(): void {
    this.store(ABORT, 1);
    for (let i = HEADER; i < this.#words.length; i++) Atomics.notify(this.#words, i);
  }

  /**
   * Sums (or takes the largest of) `values` over all workers, element by element, adding worker
   * 0's, then 1's, ...: every worker gets bitwise the same result whatever the timing. Every
   * worker must call it the same number of times with the same length.
   */
  allReduce(values: Float64Array, op: "sum" | "max" = "sum"): Float64Array {
    const at = this.#gather(new Map([[this.rank, values]]), values.length);
    return combine(at, this.layout.workers, values.length, op);
  }

  /**
   * Combines every tile's contribution in ascending tile order: `parts` holds this worker's
   * tiles' (each tile is held by one worker). The bits do not depend on which worker holds
   * which tile. Every worker must call it the same number of times with the same length.
   */
  allReduceTiles(
    parts: ReadonlyMap<number, Float64Array>,
    op: "sum" | "max" = "sum",
  ): Float64Array {
    const length = parts.values().next().value?.length ?? 0;
    return combine(this.#gather(parts, length), this.layout.tiles, length, op);
  }

  /**
   * Every worker's tiles' contributions (`parts`, as for {@link allReduceTiles}), each tile's
   * readable through the returned view until the next reduction but one.
   */
  gatherTiles(
    parts: ReadonlyMap<number, Float64Array>,
    length: number,
  ): (tile: number) => Float64Array {
    return this.#gather(parts, length);
  }

  /** Worker `root`'s `values` on every worker (same length everywhere). */
  broadcast(values: Float64Array, root: number): Float64Array {
    return this.#gather(new Map([[this.rank, values]]), values.length)(root).slice();
  }

  /**
   * Writes `parts` (keyed by slot: a worker or a tile) into this reduction's slots, waits until
   * every worker has arrived, and returns the view of each slot. Two generations of slots
   * alternate: a worker can be at most one reduction ahead of the slowest (it waits for
   * everyone's arrival), so it never overwrites a slot someone still reads.
   */
  #gather(
    parts: ReadonlyMap<number, Float64Array>,
    length: number,
  ): (slot: number) => Float64Array {
    const { workers, reduceCapacity } = this.layout;
    if (length > reduceCapacity) {
      throw new RangeError(
        `Cannot all-reduce ${length} values: the pool was made for ${reduceCapacity}`,
      );
    }
    const generation = ++this.#reductions;
    const base = (generation % 2) * slotsOf(this.layout);
    for (const [slot, values] of parts) {
      if (values.length !== length) throw new RangeError("Cannot all-reduce unequal lengths");
      this.#reduce.set(values, (base + slot) * reduceCapacity);
    }
    const arrival = (w: number) => HEADER + workers + w;
    this.store(arrival(this.rank), generation);
    for (let w = 0; w < workers; w++) {
      const arrived = () => Atomics.load(this.#words, arrival(w)) >= generation;
      profile.timeSync("all-reduce wait", () => this.waitFor(arrival(w), arrived));
    }
    return (slot) => {
      const start = (base + slot) * reduceCapacity;
      return this.#reduce.subarray(start, start + length);
    };
  }
}

/** Slots 0 .. count - 1 combined element by element, in slot order. */
export function combine(
  at: (slot: number) => Float64Array,
  count: number,
  length: number,
  op: "sum" | "max",
): Float64Array {
  const out = new Float64Array(length).fill(op === "sum" ? 0 : -Infinity);
  for (let slot = 0; slot < count; slot++) {
    const v = at(slot);
    for (let i = 0; i < length; i++) out[i] = op === "sum" ? out[i] + v[i] : Math.max(out[i], v[i]);
  }
  return out;
}
