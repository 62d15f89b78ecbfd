/**
 * The benches' MPI jobs: `mpirun -n R` ranks of this file, each opening the tiled session over
 * the `mpi` transport on the bench problem (`_tiled_common.ts`, simulated identically on every
 * rank), one worker per rank, every rank at `LP_NUM_THREADS=1` (one core's worth of device per
 * rank). Rank 0 prints one JSON line per timed iteration, `{ "seconds", "cores" }` (`cores`:
 * every rank's CPU time over the iteration's wall time, summed: the cores the job kept busy),
 * then `{ "device_bytes_peak_per_rank": [...] }`.
 */
import { MpiWorld } from "../../src/distributed/mpi/mod.ts";
import { openTiledSession } from "../../src/tiled/mod.ts";
import { benchProblem, processCpuMs } from "./_tiled_common.ts";

/** What one job computes. */
export interface RankJob {
  frame: number;
  positions: number;
  tiles: [number, number];
  /** Positions per batch (default: the engine's rule). */
  batch?: number;
  /** Untimed iterations first (pipeline compilation), then timed ones. */
  warmup: number;
  reps: number;
}

/** What rank 0 reported. */
export interface RankJobResult {
  seconds: number[];
  cores: number[];
  device_bytes_peak_per_rank: number[];
}

/** Runs `job` on `ranks` MPI ranks (loopback `mpirun`) and returns rank 0's figures. */
export async function runRanks(ranks: number, job: RankJob): Promise<RankJobResult> {
  const output = await new Deno.Command("mpirun", {
    args: [
      "-n",
      String(ranks),
      Deno.execPath(),
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      JSON.stringify(job),
    ],
    env: { LP_NUM_THREADS: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`mpirun -n ${ranks} of the bench failed (${output.code})`);
  const result: RankJobResult = { seconds: [], cores: [], device_bytes_peak_per_rank: [] };
  for (const line of new TextDecoder().decode(output.stdout).trim().split("\n")) {
    const r = JSON.parse(line);
    if ("seconds" in r) {
      result.seconds.push(r.seconds);
      result.cores.push(r.cores);
    } else result.device_bytes_peak_per_rank = r.device_bytes_peak_per_rank;
  }
  return result;
}

async function rank(job: RankJob): Promise<void> {
  const world = MpiWorld.init();
  const base = await benchProblem(job.frame, job.positions);
  const session = await openTiledSession({
    ...base,
    tiles: job.tiles,
    workers: 1,
    batchSize: job.batch,
    mpi: world,
  });
  const print = (value: unknown) => {
    if (world.rank === 0) console.log(JSON.stringify(value));
  };
  try {
    for (let i = 0; i < job.warmup; i++) await session.step();
    for (let i = 0; i < job.reps; i++) {
      await world.barrier();
      const cpu0 = processCpuMs();
      const t0 = performance.now();
      await session.step();
      const wall = performance.now() - t0;
      const cores = await world.gather((processCpuMs() - cpu0) / wall);
      print({ seconds: wall / 1000, cores: cores?.reduce((a, b) => a + b, 0) });
    }
    const peaks = await world.gather(Math.max(...session.deviceBytesPeak()));
    print({ device_bytes_peak_per_rank: peaks });
  } finally {
    await session.destroy();
  }
  await world.finalize();
}

if (import.meta.main) await rank(JSON.parse(Deno.args[0]));
