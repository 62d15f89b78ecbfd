/**
 * The `mpi` transport with several workers inside each rank: the {@link Collectives} of one Deno
 * worker of rank r's pool. Participants are all ranks' workers, worker w of rank r being
 * participant r x W + w; tiles go to participants in contiguous groups, hence to ranks too.
 *
 * - All-reduce: the rank's workers gather their tiles' contributions in shared memory (the
 *   workers transport's fabric); the rank's worker 0 exchanges the rank's with the other ranks
 *   (`MPI_Iallgatherv` by {@link MpiCollectives}) and combines every tile's in ascending tile
 *   order; the fabric then broadcasts the result to the rank's workers. The bits are those of
 *   every other transport: they depend on neither the rank nor the worker count.
 * - Strips: overlaps between tiles of one rank go through the fabric's mailboxes, the others as
 *   MPI messages sent and received by the workers holding the tiles (`MPI_THREAD_MULTIPLE`),
 *   tagged with the receiving worker so that each takes its own; both kinds are summed together
 *   in ascending tile order.
 * - Broadcast and barrier: through the all-reduce. Abort: `MPI_Abort`, which ends every rank.
 */
import { Fabric } from "../parallel/fabric.ts";
import { HaloExchange, orderedSums } from "../parallel/exchange.ts";
import type { Overlap, Tiling } from "../tiling/mod.ts";
import type { Collectives, ReduceOp, StripExchange, StripMode, StripStore } from "./collectives.ts";
import { MpiCollectives, type MpiStripExchange, STRIP_TAG } from "./mpi/collectives.ts";
import type { MpiWorld } from "./mpi/world.ts";

/** Where a worker sits in an MPI job with several workers per rank. */
export interface HybridPlace {
  /** This process's MPI, attached from the worker thread (`MpiWorld.attach`). */
  world: MpiWorld;
  fabric: Fabric;
  /** Tiles planned for `world.size` x `workersPerRank` participants (`tiling.workerOf`). */
  tiling: Tiling;
  workersPerRank: number;
}

export class HybridCollectives implements Collectives {
  readonly transport = "mpi";
  readonly rank: number;
  readonly size: number;
  readonly tiles: readonly number[];
  readonly #place: HybridPlace;
  readonly #mpi: MpiCollectives;
  readonly #rankOf: (tile: number) => number;

  constructor(place: HybridPlace) {
    this.#place = place;
    const { world, fabric, tiling, workersPerRank: w } = place;
    this.rank = world.rank * w + fabric.rank;
    this.size = world.size * w;
    this.tiles = tiling.regions.flatMap((_, t) => tiling.workerOf[t] === this.rank ? [t] : []);
    this.#rankOf = (t) => Math.floor(tiling.workerOf[t] / w);
    const owners = tiling.regions.map((_, t) => this.#rankOf(t));
    this.#mpi = new MpiCollectives(world, tiling, owners, {
      of: (to) => STRIP_TAG + 1 + (tiling.workerOf[to] % w),
      mine: STRIP_TAG + 1 + fabric.rank,
    });
  }

  async allReduce(parts: ReadonlyMap<number, Float64Array>, op: ReduceOp = "sum") {
    const { fabric } = this.#place;
    const length = parts.values().next().value?.length ?? 0;
    const at = fabric.gatherTiles(parts, length);
    let result: Float64Array = new Float64Array(length);
    if (fabric.rank === 0) {
      const rankParts = new Map(this.#mpi.tiles.map((t) => [t, at(t).slice()]));
      result = await this.#mpi.allReduce(rankParts, op);
    }
    return fabric.broadcast(result, 0);
  }

  strips(o: { stream: number; planes: number; mode: StripMode }): StripExchange {
    const { fabric, tiling } = this.#place;
    const local = (overlap: Overlap) => this.#rankOf(overlap.from) === this.#rankOf(overlap.to);
    const halo = new HaloExchange({
      fabric,
      tiling,
      planes: o.planes,
      mode: o.mode,
      mailboxBase: o.stream * tiling.overlaps.length,
      carries: local,
    });
    const remote = this.#mpi.stripsOf(o, (overlap) => !local(overlap));
    return new HybridStripExchange(halo, remote, o.planes);
  }

  async broadcast(values: Float64Array, root: number): Promise<Float64Array> {
    const parts = new Map(this.tiles.map((t, i) => {
      const mine = i === 0 && this.rank === root ? values : new Float64Array(values.length);
      return [t, mine];
    }));
    return await this.allReduce(parts);
  }

  async barrier(): Promise<void> {
    await this.allReduce(new Map(this.tiles.map((t) => [t, new Float64Array(1)])));
  }

  abort(reason: string): void {
    this.#mpi.abort(reason);
  }

  /**
   * Ends this worker's MPI traffic before the rank finalizes: learns from every participant how
   * many strip messages went to its tiles, receives them all (an async run's last round is never
   * collected) and waits for its own sends. Collective over all participants.
   */
  async finish(): Promise<void> {
    const sent = Float64Array.from(this.#mpi.sentFor);
    const parts = new Map(this.tiles.map((t, i) => {
      return [t, i === 0 ? sent : new Float64Array(sent.length)];
    }));
    const total = await this.allReduce(parts);
    await this.#mpi.drain(this.tiles.reduce((due, t) => due + total[t], 0));
    await this.barrier();
  }
}

/** Overlaps inside the rank through the fabric, the others through MPI, summed together. */
class HybridStripExchange implements StripExchange {
  constructor(
    readonly local: HaloExchange,
    readonly remote: MpiStripExchange,
    readonly planes: number,
  ) {}

  async post(tile: number, store: StripStore): Promise<void> {
    await this.local.post(tile, store);
    await this.remote.post(tile, store);
  }

  async collect(tile: number, store: StripStore): Promise<void> {
    const received = [...this.local.receive(tile), ...await this.remote.receive(tile)];
    if (received.length === 0) return;
    const own = (from: number) => (this.local.own(tile, from) ?? this.remote.own(tile, from))!;
    const sums = orderedSums({ tile, planes: this.planes, received, own });
    for (const { rect, strip } of sums) await store.write(tile, rect, strip);
  }
}
