import { check, MPI, type MpiSymbols, openMpiLibrary } from "./library.ts";

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

  private constructor(mpi: MpiSymbols) {
    this.#mpi = mpi;
    const provided = new Int32Array(1);
    check("MPI_Init_thread", mpi.MPI_Init_thread(null, null, MPI.THREAD_MULTIPLE, provided));
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

  /** Loads the library (see `openMpiLibrary`) and initialises MPI. */
  static init(path?: string): MpiWorld {
    return new MpiWorld(openMpiLibrary(path));
  }

  /** Runs `call` once every MPI call queued before it has finished. */
  serial<T>(call: (mpi: MpiSymbols) => T | Promise<T>): Promise<T> {
    if (this.#finalized) return Promise.reject(new Error("MPI was already finalized"));
    const result = this.#queue.then(() => call(this.#mpi));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Ends the job at once, every rank with status `code`, from whatever state. */
  abort(code: number): never {
    this.#mpi.MPI_Abort(MPI.COMM_WORLD, code);
    Deno.exit(code);
  }

  /** Finalizes MPI after the queued calls; call once on every rank, after a barrier. */
  async finalize(): Promise<void> {
    await this.serial(async (mpi) => check("MPI_Finalize", await mpi.MPI_Finalize()));
    this.#finalized = true;
  }
}
