import { deserialize, serialize } from "node:v8";
import {
  check,
  checkPmiSocket,
  MPI,
  type MpiSymbols,
  openMpiLibrary,
  statusIgnore,
} from "./library.ts";
import { pauses } from "./polling.ts";

/**
 * How long an aborting rank waits, in ms, before `MPI_Abort`, so that mpirun forwards what it
 * printed. Hydra's proxy reads a rank's stderr and its abort request from two descriptors and
 * tears the job down on the abort; without the pause it dropped the rank's last lines (its
 * message and MPICH's own "Abort(1)" line) in about 1 of 20 jobs on this machine.
 */
export const ABORT_OUTPUT_MS = 300;

/**
 * This process's place in an MPI job: initialises MPI once, with the MPICH-ABI library from
 * `TESSERA_MPI_LIB`. Every MPI call goes through one queue, in the order the program makes them
 * (MPI_THREAD_SERIALIZED semantics, asking the library for MPI_THREAD_MULTIPLE so that an abort
 * may come from any state); calls that block run on Deno's FFI threads (`nonblocking`), so the
 * event loop (timers, heartbeats, signals) keeps running meanwhile.
 *
 * @example
 * ```ts ignore
 * const world = MpiWorld.init();
 * // ... collectives over world ...
 * await world.finalize();
 * ```
 */
export class MpiWorld {
  readonly rank: number;
  readonly size: number;
  readonly #mpi: MpiSymbols;
  #queue: Promise<unknown> = Promise.resolve();
  #finalized = false;

  /** The thread level the library provides (`MPI_THREAD_MULTIPLE` lets workers call it too). */
  readonly threadLevel: number;

  private constructor(mpi: MpiSymbols, initialise: boolean) {
    this.#mpi = mpi;
    const provided = new Int32Array(1);
    if (initialise) {
      check("MPI_Init_thread", mpi.MPI_Init_thread(null, null, MPI.THREAD_MULTIPLE, provided));
    } else {
      check("MPI_Query_thread", mpi.MPI_Query_thread(provided));
    }
    this.threadLevel = provided[0];
    if (provided[0] < MPI.THREAD_SERIALIZED) {
      throw new Error(
        `The MPI library provides thread level ${provided[0]}: Tessera needs at least ` +
          `MPI_THREAD_SERIALIZED (${MPI.THREAD_SERIALIZED}), as its calls run on several threads`,
      );
    }
    const out = new Int32Array(1);
    check("MPI_Comm_rank", mpi.MPI_Comm_rank(MPI.COMM_WORLD, out));
    this.rank = out[0];
    check("MPI_Comm_size", mpi.MPI_Comm_size(MPI.COMM_WORLD, out));
    this.size = out[0];
  }

  /** Loads the library (see `openMpiLibrary`) and initialises MPI (see `checkPmiSocket`). */
  static init(path?: string): MpiWorld {
    const mpi = openMpiLibrary(path);
    checkPmiSocket();
    return new MpiWorld(mpi, true);
  }

  /**
   * This process's MPI, already initialised by its main thread, from a worker thread (which
   * needs `MPI_THREAD_MULTIPLE`). Only the main thread finalizes.
   */
  static attach(path?: string): MpiWorld {
    const world = new MpiWorld(openMpiLibrary(path), false);
    if (world.threadLevel < MPI.THREAD_MULTIPLE) {
      throw new Error(
        `The MPI library provides thread level ${world.threadLevel}: workers inside a rank need ` +
          `MPI_THREAD_MULTIPLE (${MPI.THREAD_MULTIPLE}); run one worker per rank`,
      );
    }
    return world;
  }

  /** Runs `call` once every MPI call queued before it has finished. */
  serial<T>(call: (mpi: MpiSymbols) => T | Promise<T>): Promise<T> {
    if (this.#finalized) return Promise.reject(new Error("MPI was already finalized"));
    const result = this.#queue.then(() => call(this.#mpi));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Every rank's `value` (structured-clonable: numbers, records, typed arrays), in rank order, on
   * rank `root`; null on the others. Collective: every rank calls it in the same sequence.
   */
  async gather<T>(value: T, root = 0): Promise<T[] | null> {
    const bytes = new Uint8Array(serialize(value));
    const lengths = await this.#allLengths(bytes.length);
    const offsets = new Int32Array(this.size);
    for (let r = 1; r < this.size; r++) offsets[r] = offsets[r - 1] + lengths[r - 1];
    const all = new Uint8Array(
      this.rank === root ? offsets[this.size - 1] + lengths[this.size - 1] : 1,
    );
    await this.serial(async (mpi) => {
      const code = await mpi.MPI_Gatherv(
        bytes,
        bytes.length,
        MPI.BYTE,
        all,
        lengths,
        offsets,
        MPI.BYTE,
        root,
        MPI.COMM_WORLD,
      );
      check("MPI_Gatherv", code);
    });
    if (this.rank !== root) return null;
    return Array.from(
      { length: this.size },
      (_, r) => deserialize(all.subarray(offsets[r], offsets[r] + lengths[r])) as T,
    );
  }

  /** Rank `root`'s `values` on every rank (same length everywhere). */
  async broadcast(values: Float64Array, root = 0): Promise<Float64Array> {
    const out = values.slice();
    await this.complete("MPI_Ibcast", (mpi, request) => {
      return mpi.MPI_Ibcast(out, out.length, MPI.DOUBLE, root, MPI.COMM_WORLD, request);
    });
    return out;
  }

  /** Returns once every rank has called it (`MPI_Ibarrier`). */
  barrier(): Promise<void> {
    return this.complete("MPI_Ibarrier", (mpi, request) => {
      return mpi.MPI_Ibarrier(MPI.COMM_WORLD, request);
    });
  }

  /**
   * Starts a nonblocking call (`start` gets the request to fill and returns its error code) and
   * waits for it: `MPI_Test` after every queued call, at the pauses of `pauses()` (every turn of
   * the event loop at first, then sleeps of up to `POLL_MS`), so that other MPI calls of the
   * process (strip messages) go on meanwhile and a long wait sleeps instead of spinning. The
   * caller keeps the call's buffers alive.
   */
  async complete(
    call: string,
    start: (mpi: MpiSymbols, request: Int32Array) => number,
  ): Promise<void> {
    const request = new Int32Array(1);
    const flag = new Int32Array(1);
    await this.serial((mpi) => check(call, start(mpi, request)));
    const pause = pauses();
    for (;;) {
      await this.serial((mpi) => check("MPI_Test", mpi.MPI_Test(request, flag, statusIgnore())));
      if (flag[0]) return;
      await pause();
    }
  }

  /** Each rank's `length`, in rank order, on every rank. */
  async #allLengths(length: number): Promise<Int32Array> {
    const { all } = await this.allGather(
      Float64Array.of(length),
      new Int32Array(this.size).fill(1),
    );
    return Int32Array.from(all);
  }

  /**
   * Every rank's `values` on every rank, in rank order (`MPI_Iallgatherv`, waited for as
   * {@link complete} does): rank r gives `counts[r]` values, found in `all` from `offsets[r]`.
   * Collective: every rank calls it in the same sequence, with the same `counts`.
   */
  async allGather(
    values: Float64Array,
    counts: Int32Array,
  ): Promise<{ all: Float64Array; offsets: Int32Array }> {
    if (counts.length !== this.size || values.length !== counts[this.rank]) {
      throw new RangeError(
        `Rank ${this.rank} of ${this.size} gives ${values.length} values: expected ` +
          `${counts[this.rank]} of counts [${counts}], one per rank`,
      );
    }
    const offsets = new Int32Array(this.size);
    for (let r = 1; r < this.size; r++) offsets[r] = offsets[r - 1] + counts[r - 1];
    const all = new Float64Array(offsets[this.size - 1] + counts[this.size - 1]);
    await this.complete("MPI_Iallgatherv", (mpi, request) => {
      return mpi.MPI_Iallgatherv(
        values,
        values.length,
        MPI.DOUBLE,
        all,
        counts,
        offsets,
        MPI.DOUBLE,
        MPI.COMM_WORLD,
        request,
      );
    });
    return { all, offsets };
  }

  /** Ends the job at once, every rank with status `code`, from whatever state. */
  abort(code: number): never {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ABORT_OUTPUT_MS);
    this.#mpi.MPI_Abort(MPI.COMM_WORLD, code);
    Deno.exit(code);
  }

  /** Finalizes MPI after the queued calls; call once on every rank, after a barrier. */
  async finalize(): Promise<void> {
    await this.serial(async (mpi) => check("MPI_Finalize", await mpi.MPI_Finalize()));
    this.#finalized = true;
  }
}
