/**
 * What a run's watcher (the live view, on rank 0 alone) asks of the ranks of an MPI job, made
 * collective so that every rank takes the same steps: before an iteration, whether to stop and
 * whether a page is watching (then every rank's tile figures go to rank 0 after the step); after
 * it, whether rank 0 read the reconstruction back for pictures (then every rank takes part).
 * Without MPI these are plain local calls.
 */
import type { MpiWorld } from "../distributed/mpi/mod.ts";

/** What rank 0 decided before an iteration. */
export interface RankZeroAsks {
  stop: boolean;
  /** A page is watching: the tile figures of every rank are wanted on rank 0. */
  watching: boolean;
}

/**
 * Whether to stop before the next iteration (the signal) and whether a page watches (`watching`),
 * as rank 0 sees them under MPI (one broadcast, every rank calling), as this process sees them
 * otherwise.
 */
export async function rankZeroAsks(
  signal: AbortSignal | undefined,
  watching: (() => boolean) | undefined,
  mpi: MpiWorld | null,
): Promise<RankZeroAsks> {
  const here = { stop: signal?.aborted ?? false, watching: watching?.() ?? false };
  if (!mpi) return here;
  const flags = Float64Array.of(here.stop ? 1 : 0, here.watching ? 1 : 0);
  const [stop, watched] = await mpi.broadcast(flags, 0);
  return { stop: stop === 1, watching: watched === 1 };
}

/**
 * One iteration's snapshot (a readback of the reconstruction, collective under MPI). When
 * `announced`, rank 0's hook decides alone whether to take it: taking it first tells the other
 * ranks, and {@link settle}, called by every rank after the hook, tells them it was not taken or
 * has them take part. Otherwise every rank's hook takes it, or none does, as a plain call.
 */
export class SnapshotTurn<T> {
  #taken: Promise<T> | null = null;

  constructor(
    private readonly take: () => Promise<T>,
    private readonly mpi: MpiWorld | null,
    private readonly announced: boolean,
  ) {}

  /** The snapshot, taken once however often it is asked for. */
  readonly snapshot = (): Promise<T> => {
    if (!this.#announcing()) return this.#taken ??= this.take();
    if (this.mpi!.rank !== 0) {
      return Promise.reject(new Error("Under MPI only rank 0's hook takes snapshots"));
    }
    return this.#taken ??= this.mpi!.broadcast(Float64Array.of(1), 0).then(() => this.take());
  };

  /** After the hook, on every rank: the other ranks learn rank 0's choice and follow it. */
  async settle(): Promise<void> {
    if (!this.#announcing()) return;
    if (this.mpi!.rank === 0) {
      if (this.#taken) await this.#taken;
      else await this.mpi!.broadcast(Float64Array.of(0), 0);
      return;
    }
    const [taken] = await this.mpi!.broadcast(Float64Array.of(0), 0);
    if (taken === 1) await this.take();
  }

  #announcing(): boolean {
    return this.announced && this.mpi !== null;
  }
}
