/**
 * The `mpi` transport: the {@link Collectives} of one rank of an MPI job, one participant per
 * rank, each holding a contiguous group of tiles.
 */
import { orderedSums, type Received as ReceivedStrips } from "../../parallel/exchange.ts";
import { combine } from "../../parallel/fabric.ts";
import { profile } from "../../parallel/profile.ts";
import type { Overlap, Tiling } from "../../tiling/mod.ts";
import type {
  Collectives,
  ReduceOp,
  StripExchange,
  StripMode,
  StripStore,
} from "../collectives.ts";
import { check, MPI, type MpiSymbols, statusIgnore } from "./library.ts";
import { pauses, POLL_MS, STRIP_SPIN_MS } from "./polling.ts";
import type { MpiWorld } from "./world.ts";

/** Tag of strip messages (collectives never match point-to-point messages). */
export const STRIP_TAG = 17;
/** Int32 words before a strip's floats: stream, from, to, round, length. */
const HEADER_WORDS = 5;

interface Received {
  round: number;
  data: Float32Array;
}

/** How strip messages are tagged, when several threads of a rank receive their own. */
export interface StripTags {
  /** The tag of messages for tile `to` (default {@link STRIP_TAG}). */
  of(to: number): number;
  /** The tag this instance receives. */
  mine: number;
}

/**
 * Fixed-order all-reduce by `MPI_Iallgatherv` of every tile's contribution, then the workers
 * transport's combination in tile order on every rank (`MPI_Allreduce` is not used: its order is
 * the library's choice); strips by `MPI_Isend` and polled `MPI_Iprobe` + `MPI_Recv`, so that
 * a rank waiting for a neighbour still serves its own sends; broadcast and barrier by
 * `MPI_Ibcast` and `MPI_Ibarrier` (all polled: see `MpiWorld.complete`); abort by `MPI_Abort`,
 * which ends every rank with status 1.
 */
export class MpiCollectives implements Collectives {
  readonly transport = "mpi";
  readonly rank: number;
  readonly size: number;
  readonly tiles: readonly number[];
  readonly #world: MpiWorld;
  readonly #tiling: Tiling;
  readonly #owners: readonly number[];
  readonly #tilesOf: number[][];
  readonly #sends: Array<{ request: Int32Array; buffer: Uint8Array }> = [];
  /** Strips received and not yet taken, by `stream,from,to`. */
  readonly #inbox = new Map<string, Received[]>();
  /** The latest round received on each link, taken or not. */
  readonly #latest = new Map<string, number>();
  /** Strip messages sent to each rank, and received from each. */
  readonly #sent: Int32Array;
  readonly #got: Int32Array;
  readonly #tags: StripTags;
  /** Strip messages sent for each tile (by destination tile). */
  readonly sentFor: Int32Array;

  /**
   * `owners[t]`: the rank holding tile t of `tiling` (its `workerOf` when planned for as many
   * workers as ranks: contiguous groups balanced by position count); every rank holds a tile.
   */
  constructor(
    world: MpiWorld,
    tiling: Tiling,
    owners: readonly number[],
    tags: StripTags = { of: () => STRIP_TAG, mine: STRIP_TAG },
  ) {
    this.#tags = tags;
    this.sentFor = new Int32Array(tiling.regions.length);
    this.#world = world;
    this.#tiling = tiling;
    this.rank = world.rank;
    this.size = world.size;
    if (owners.length !== tiling.regions.length) {
      throw new RangeError(`Expected an owner for each of ${tiling.regions.length} tiles`);
    }
    this.#owners = [...owners];
    this.#tilesOf = Array.from(
      { length: this.size },
      (_, r) => owners.flatMap((o, t) => o === r ? [t] : []),
    );
    const empty = this.#tilesOf.findIndex((tiles) => tiles.length === 0);
    if (empty >= 0) {
      throw new RangeError(`Rank ${empty} holds no tile: every rank must hold at least one`);
    }
    this.tiles = this.#tilesOf[this.rank];
    this.#sent = new Int32Array(this.size);
    this.#got = new Int32Array(this.size);
  }

  allReduce(parts: ReadonlyMap<number, Float64Array>, op: ReduceOp = "sum"): Promise<Float64Array> {
    if (parts.size !== this.tiles.length || this.tiles.some((t) => !parts.has(t))) {
      throw new RangeError(
        `Rank ${this.rank} holds tiles ${this.tiles}, got contributions for ${[...parts.keys()]}`,
      );
    }
    const length = parts.get(this.tiles[0])!.length;
    const mine = new Float64Array(this.tiles.length * length);
    this.tiles.forEach((t, i) => mine.set(parts.get(t)!, i * length));
    const counts = Int32Array.from(this.#tilesOf, (tiles) => tiles.length * length);
    const gathered = async () => {
      const { all, offsets } = await this.#world.allGather(mine, counts);
      const at = new Array<number>(this.#owners.length);
      this.#tilesOf.forEach((tiles, r) => tiles.forEach((t, i) => at[t] = offsets[r] + i * length));
      return combine((t) => all.subarray(at[t], at[t] + length), at.length, length, op);
    };
    return profile.time("all-reduce wait", gathered);
  }

  strips(o: { stream: number; planes: number; mode: StripMode }): StripExchange {
    return new MpiStripExchange(this, this.#tiling, o.stream, o.planes, o.mode);
  }

  /** A strip exchange of the overlaps `carries` selects only (see {@link MpiStripExchange}). */
  stripsOf(
    o: { stream: number; planes: number; mode: StripMode },
    carries: (overlap: Overlap) => boolean,
  ): MpiStripExchange {
    return new MpiStripExchange(this, this.#tiling, o.stream, o.planes, o.mode, carries);
  }

  broadcast(values: Float64Array, root: number): Promise<Float64Array> {
    return this.#world.broadcast(values, root);
  }

  async barrier(): Promise<void> {
    while (await this.#world.serial((mpi) => this.#reap(mpi)) > 0) {
      await this.#world.serial((mpi) => this.#drain(mpi));
      await pause(POLL_MS);
    }
    await this.#world.barrier();
  }

  /** Prints `reason` (the one message naming rank, worker and tile) and ends every rank. */
  abort(reason: string): void {
    console.error(`error: ${reason}`);
    this.#world.abort(1);
  }

  /** Sends a strip to the rank holding tile `to`; never waits for it to be received. */
  send(stream: number, from: number, to: number, round: number, data: Float32Array) {
    const buffer = new Uint8Array(4 * (HEADER_WORDS + data.length));
    new Int32Array(buffer.buffer, 0, HEADER_WORDS).set([stream, from, to, round, data.length]);
    new Float32Array(buffer.buffer, 4 * HEADER_WORDS).set(data);
    return this.#world.serial((mpi) => {
      this.#reap(mpi);
      const request = new Int32Array(1);
      const dest = this.#owners[to];
      const code = mpi.MPI_Isend(
        buffer,
        buffer.length,
        MPI.BYTE,
        dest,
        this.#tags.of(to),
        MPI.COMM_WORLD,
        request,
      );
      check("MPI_Isend", code);
      this.#sends.push({ request, buffer });
      this.#sent[dest]++;
      this.sentFor[to]++;
    });
  }

  /**
   * Ends this rank's use of the transport, on every rank before `MpiWorld.finalize`: receives
   * the strips still on their way (an async exchange's last round, which no collect takes), so
   * that no message is left unmatched, and waits for its own sends to complete.
   */
  async finish(): Promise<void> {
    const { all } = await this.#world.allGather(
      Float64Array.from(this.#sent),
      new Int32Array(this.size).fill(this.size),
    );
    const due = (r: number) => all[r * this.size + this.rank];
    const pending = () => this.#got.some((got, r) => got < due(r));
    while (pending() || await this.#world.serial((mpi) => this.#reap(mpi)) > 0) {
      if (!await this.#world.serial((mpi) => this.#drain(mpi))) await pause(POLL_MS);
    }
    await this.barrier();
  }

  /**
   * Ends this instance's traffic when others on its rank receive too (several workers per rank):
   * receives until `due` strip messages (those sent for this instance's tiles, counted by the
   * caller from every sender's {@link sentFor}) have arrived, and waits for its own sends.
   */
  async drain(due: number): Promise<void> {
    const got = () => this.#got.reduce((a, b) => a + b, 0);
    while (got() < due || await this.#world.serial((mpi) => this.#reap(mpi)) > 0) {
      if (!await this.#world.serial((mpi) => this.#drain(mpi))) await pause(POLL_MS);
    }
  }

  /**
   * The strips of link `from` -> `to` on `stream` of rounds up to `upTo` not taken yet, oldest
   * first, once every round up to `until` has arrived (now or at an earlier call).
   */
  async receive(
    o: { stream: number; from: number; to: number; until: number; upTo: number },
  ): Promise<Received[]> {
    const key = `${o.stream},${o.from},${o.to}`;
    await profile.time("mailbox wait", async () => {
      let pause = pauses(STRIP_SPIN_MS);
      for (;;) {
        const got = await this.#world.serial((mpi) => this.#drain(mpi));
        if ((this.#latest.get(key) ?? 0) >= o.until) break;
        // A message for another link: the one awaited may follow at once.
        if (got) pause = pauses(STRIP_SPIN_MS);
        await pause();
      }
    });
    const all = (this.#inbox.get(key) ?? []).sort((a, b) => a.round - b.round);
    this.#inbox.set(key, all.filter((s) => s.round > o.upTo));
    return all.filter((s) => s.round <= o.upTo);
  }

  /** Forgets the sends that completed; returns how many are still in flight. */
  #reap(mpi: MpiSymbols): number {
    const flag = new Int32Array(1);
    for (let i = this.#sends.length - 1; i >= 0; i--) {
      check("MPI_Test", mpi.MPI_Test(this.#sends[i].request, flag, statusIgnore()));
      if (flag[0]) this.#sends.splice(i, 1);
    }
    return this.#sends.length;
  }

  /** Receives every strip that has arrived into the inbox; returns whether there was one. */
  async #drain(mpi: MpiSymbols): Promise<boolean> {
    const flag = new Int32Array(1);
    const status = new Int32Array(MPI.STATUS_BYTES / 4);
    const count = new Int32Array(1);
    let any = false;
    for (;;) {
      const tag = this.#tags.mine;
      check("MPI_Iprobe", mpi.MPI_Iprobe(MPI.ANY_SOURCE, tag, MPI.COMM_WORLD, flag, status));
      if (!flag[0]) return any;
      any = true;
      check("MPI_Get_count", mpi.MPI_Get_count(status, MPI.BYTE, count));
      const buffer = new Uint8Array(count[0]);
      const source = status[MPI.STATUS_SOURCE];
      this.#got[source]++;
      const code = await mpi.MPI_Recv(
        buffer,
        buffer.length,
        MPI.BYTE,
        source,
        tag,
        MPI.COMM_WORLD,
        statusIgnore(),
      );
      check("MPI_Recv", code);
      const [stream, from, to, round, length] = new Int32Array(buffer.buffer, 0, HEADER_WORDS);
      const key = `${stream},${from},${to}`;
      const data = new Float32Array(buffer.buffer, 4 * HEADER_WORDS, length);
      this.#inbox.set(key, [...(this.#inbox.get(key) ?? []), { round, data }]);
      this.#latest.set(key, Math.max(round, this.#latest.get(key) ?? 0));
    }
  }
}

/**
 * The halo exchange of one stream over MPI messages, with the workers transport's semantics:
 * `sync` collects exactly this round's strips; `async` takes whatever has arrived up to this
 * round and waits only for the rounds before, so each contribution is applied exactly once, at
 * most one round late, never early. Sums run in ascending tile order, as on workers. `carries`
 * selects the overlaps it exchanges (default all).
 */
export class MpiStripExchange implements StripExchange {
  readonly #rounds = new Map<number, number>();
  readonly #own = new Map<number, Map<number, Float32Array>>();
  readonly #overlaps: Overlap[];

  constructor(
    readonly collectives: MpiCollectives,
    readonly tiling: Tiling,
    readonly stream: number,
    readonly planes: number,
    readonly mode: StripMode,
    carries: (overlap: Overlap) => boolean = () => true,
  ) {
    this.#overlaps = tiling.overlaps.filter(carries);
  }

  async post(tile: number, store: StripStore): Promise<void> {
    const round = (this.#rounds.get(tile) ?? 0) + 1;
    this.#rounds.set(tile, round);
    const links = this.#overlaps.filter((o) => o.from === tile);
    const strips = await store.readMany(tile, links.map((l) => l.rect));
    const own = new Map<number, Float32Array>();
    for (const [i, link] of links.entries()) {
      own.set(link.to, strips[i]);
      await this.collectives.send(this.stream, tile, link.to, round, strips[i]);
    }
    this.#own.set(tile, own);
  }

  async collect(tile: number, store: StripStore): Promise<void> {
    const received = await this.receive(tile);
    if (received.length === 0) return;
    const own = this.#own.get(tile)!;
    const sums = orderedSums({ tile, planes: this.planes, received, own: (f) => own.get(f)! });
    for (const { rect, strip } of sums) await store.write(tile, rect, strip);
  }

  /** `tile`'s own values over the overlap it shares with `from`, as posted this round. */
  own(tile: number, from: number): Float32Array | undefined {
    return this.#own.get(tile)?.get(from);
  }

  /** The strips due to `tile` this round, without adding them (see {@link collect}). */
  async receive(tile: number): Promise<ReceivedStrips> {
    const round = this.#rounds.get(tile) ?? 0;
    if (!this.#own.has(tile)) throw new Error(`Cannot collect tile ${tile} before posting it`);
    const until = this.mode === "sync" ? round : round - 1;
    const received: ReceivedStrips = [];
    for (const link of this.#overlaps.filter((o) => o.to === tile)) {
      const got = await this.collectives.receive({
        stream: this.stream,
        from: link.from,
        to: tile,
        until,
        upTo: round,
      });
      let strip: Float32Array | null = null;
      for (const { data } of got) {
        if (!strip) strip = data.slice();
        else for (let i = 0; i < strip.length; i++) strip[i] += data[i];
      }
      received.push({ from: link.from, rect: link.rect, strip });
    }
    return received;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
