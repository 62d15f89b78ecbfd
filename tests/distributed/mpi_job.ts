/**
 * One rank of the MPI transport tests, started by `mpirun` (see `mpi_test.ts`): runs the
 * {@link MpiScenario} given as JSON in its argument on the Fermat-spiral tiling of the tiling
 * tests and prints one JSON line, its {@link MpiOutcome}. Like the CLI, it reports a library
 * that cannot be loaded in one paragraph, with exit status 2.
 */
import { InputError } from "../../src/data/errors.ts";
import { MpiCollectives, MpiWorld } from "../../src/distributed/mpi/mod.ts";
import { HostGradients } from "../../src/parallel/mod.ts";
import { planTiling } from "../../src/tiling/mod.ts";
import { Random } from "../../src/simulate/random.ts";
import { cases } from "../tiling/scans.ts";
import { overlapAdd } from "../parallel/synthetic_job.ts";

export interface MpiScenario {
  /** Length of each tile's vector in the all-reduces. */
  length: number;
  seed: number;
  /** Exchange rounds per mode. */
  rounds: number;
  /** The rank that aborts after the first barrier, if any. */
  abortRank?: number;
  /** The rank that kills itself (SIGKILL) after the first barrier, if any. */
  killRank?: number;
}

export interface MpiOutcome {
  rank: number;
  tiles: number[];
  /** The all-reduced sum and max of every tile's vector, as hex of their float64 bytes. */
  sum: string;
  max: string;
  broadcast: number[];
  /** Per round, the floats of this rank's tiles that differ from the untiled overlap-add. */
  syncMismatches: number[];
  /**
   * Floats where the async exchange of all-ones strips did not deliver every neighbour's
   * contribution exactly once over the rounds.
   */
  asyncMismatches: number;
}

/**
 * The Fermat-spiral scan of the tiling tests (12 tiles of uneven position counts), its tiles
 * shared among `ranks` in contiguous groups balanced by position count.
 */
export function spiral(ranks = 1) {
  const scan = { ...cases(12).find((c) => c.name === "Fermat spiral")!, workers: ranks };
  return { scan, tiling: planTiling(scan) };
}

/** Tile `tile`'s vector: uniform values times powers of ten from 1e-6 to 1e6, so order shows. */
export function tileVector(seed: number, tile: number, length: number): Float64Array {
  const rng = new Random(seed * 1000 + tile);
  return Float64Array.from(
    { length },
    () => (rng.uniform() - 0.5) * 10 ** Math.floor(13 * rng.uniform() - 6),
  );
}

/** Hex of a float64 array's bytes: equal strings mean equal bits. */
export function hex(values: Float64Array): string {
  return Array.from(new Uint8Array(values.buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(s: MpiScenario): Promise<void> {
  let world: MpiWorld;
  try {
    world = MpiWorld.init();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    console.error(`error: ${error.message}`);
    Deno.exit(2);
  }
  const { scan, tiling } = spiral(world.size);
  const collectives = new MpiCollectives(world, tiling, Array.from(tiling.workerOf));
  const tiles = collectives.tiles;
  const parts = new Map(tiles.map((t) => [t, tileVector(s.seed, t, s.length)]));
  const sum = await collectives.allReduce(parts);
  const max = await collectives.allReduce(parts, "max");
  const root = world.size - 1;
  const broadcast = await collectives.broadcast(Float64Array.of(7, world.rank, 9), root);
  await collectives.barrier();
  if (s.abortRank === world.rank) {
    collectives.abort(`Rank ${world.rank} (worker 0, tile ${tiles[0]}) threw: a planned failure`);
  }
  if (s.killRank === world.rank) Deno.kill(Deno.pid, "SIGKILL");
  const whole = { y0: 0, x0: 0, height: scan.objectShape[0], width: scan.objectShape[1] };
  const all = Array.from({ length: scan.positionsY.length }, (_, j) => j);
  const syncMismatches: number[] = [];
  const sync = collectives.strips({ stream: 0, planes: 1, mode: "sync" });
  for (let round = 0; round < s.rounds; round++) {
    const arrays = new Map(tiles.map((t) => {
      return [t, overlapAdd(scan, tiling.positionsOf[t], tiling.regions[t], 1, round)];
    }));
    const store = new HostGradients(tiling.regions, 1, arrays);
    for (const t of tiles) await sync.post(t, store);
    for (const t of tiles) await sync.collect(t, store);
    const untiled = overlapAdd(scan, all, whole, 1, round);
    let wrong = 0;
    for (const t of tiles) {
      const region = tiling.regions[t];
      const got = arrays.get(t)!;
      for (let y = 0; y < region.height; y++) {
        for (let i = 0; i < 2 * region.width; i++) {
          const want = untiled[2 * ((region.y0 + y) * whole.width + region.x0) + i];
          if (got[2 * y * region.width + i] !== want) wrong++;
        }
      }
    }
    syncMismatches.push(wrong);
    await collectives.allReduce(parts);
  }
  // Async with all-ones strips, then a last round of zeros: over all rounds each neighbour's
  // ones arrive exactly once, so the received totals are `rounds` x (tiles covering - 1).
  const ones = (t: number) =>
    new Float32Array(2 * tiling.regions[t].height * tiling.regions[t].width).fill(1);
  const covering = new Map(tiles.map((t) => [t, ones(t)]));
  const once = collectives.strips({ stream: 1, planes: 1, mode: "sync" });
  const coverStore = new HostGradients(tiling.regions, 1, covering);
  for (const t of tiles) await once.post(t, coverStore);
  for (const t of tiles) await once.collect(t, coverStore);
  const asyncExchange = collectives.strips({ stream: 2, planes: 1, mode: "async" });
  const received = new Map(tiles.map((t) => [t, new Float32Array(ones(t).length)]));
  for (let round = 1; round <= s.rounds + 1; round++) {
    const arrays = new Map(tiles.map((t) => {
      const a = ones(t);
      return [t, round > s.rounds ? a.fill(0) : a];
    }));
    const own = new Map([...arrays].map(([t, a]) => [t, a.slice()]));
    const store = new HostGradients(tiling.regions, 1, arrays);
    for (const t of tiles) await asyncExchange.post(t, store);
    for (const t of tiles) await asyncExchange.collect(t, store);
    for (const t of tiles) {
      const into = received.get(t)!;
      const a = arrays.get(t)!;
      const o = own.get(t)!;
      for (let i = 0; i < into.length; i++) into[i] += a[i] - o[i];
    }
    await collectives.allReduce(parts);
  }
  let asyncMismatches = 0;
  for (const t of tiles) {
    const got = received.get(t)!;
    const cover = covering.get(t)!;
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== s.rounds * (cover[i] - 1)) asyncMismatches++;
    }
  }
  await collectives.finish();
  const outcome: MpiOutcome = {
    rank: world.rank,
    tiles: [...tiles],
    sum: hex(sum),
    max: hex(max),
    broadcast: [...broadcast],
    syncMismatches,
    asyncMismatches,
  };
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(outcome) + "\n"));
  await world.finalize();
}

if (import.meta.main) await main(JSON.parse(Deno.args[0]));
