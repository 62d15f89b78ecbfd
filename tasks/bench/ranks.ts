/**
 * The benches' MPI jobs: `mpirun -n R` ranks of this file, each opening the tiled session over
 * the `mpi` transport on the bench problem (`_tiled_common.ts`, simulated identically on every
 * rank), one worker per rank, every rank at `LP_NUM_THREADS=1` (one core's worth of device per
 * rank). Rank 0 prints one JSON line per timed iteration, `{ "seconds", "cores" }` (`cores`:
 * every rank's CPU time over the iteration's wall time, summed: the cores the job kept busy;
 * `ranks`: each rank's {@link RankIteration}), then `{ "device_bytes_peak_per_rank": [...] }`.
 */
import { MpiWorld } from "../../src/distributed/mpi/mod.ts";
import {
  type Phase,
  profile,
  profileReadbacks,
  type ProfileSnapshot,
  startProfile,
} from "../../src/parallel/mod.ts";
import { openEngineSession } from "../../src/engine/mod.ts";
import { benchProblem, processCpuMs } from "./_tiled_common.ts";
import { threadInterval, threadTimes } from "./_threads.ts";

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
  /** Time each rank's readbacks and waits on its peers (the `Phase`s of `profile.ts`). */
  profile?: boolean;
}

/** One rank's timed iteration. */
export interface RankIteration {
  /** Cores its threads kept busy, and the cores they waited for in the run queue. */
  cores: number;
  queuedCores: number;
  /** Time its device thread (the busiest) had nothing to do, in ms (see `_threads.ts`). */
  deviceIdleMs: number;
  /** With `profile`: ms in each phase (readback, all-reduce wait, mailbox wait: strips). */
  phases?: Record<Phase, number>;
}

/** What rank 0 reported. */
export interface RankJobResult {
  seconds: number[];
  cores: number[];
  /** Per timed iteration, each rank's figures in rank order. */
  ranks: RankIteration[][];
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
  const result: RankJobResult = {
    seconds: [],
    cores: [],
    ranks: [],
    device_bytes_peak_per_rank: [],
  };
  for (const line of new TextDecoder().decode(output.stdout).trim().split("\n")) {
    const r = JSON.parse(line);
    if ("seconds" in r) {
      result.seconds.push(r.seconds);
      result.cores.push(r.cores);
      result.ranks.push(r.ranks);
    } else result.device_bytes_peak_per_rank = r.device_bytes_peak_per_rank;
  }
  return result;
}

async function rank(job: RankJob): Promise<void> {
  if (job.profile) {
    startProfile();
    profileReadbacks();
  }
  const world = MpiWorld.init();
  const base = await benchProblem(job.frame, job.positions);
  const session = await openEngineSession({
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
      const threads0 = threadTimes();
      const phases0 = profile.snapshot().phases;
      const t0 = performance.now();
      await session.step();
      const wall = performance.now() - t0;
      const threads = threadInterval(threads0, threadTimes(), wall);
      const mine: RankIteration & { cpu: number } = {
        cpu: (processCpuMs() - cpu0) / wall,
        cores: threads.cores,
        queuedCores: threads.queuedCores,
        deviceIdleMs: threads.busiestIdleMs,
        ...(job.profile ? { phases: since(phases0, profile.snapshot()) } : {}),
      };
      const all = await world.gather(mine);
      if (all) {
        const cores = all.reduce((sum, r) => sum + r.cpu, 0);
        print({ seconds: wall / 1000, cores, ranks: all.map(({ cpu: _, ...r }) => r) });
      }
    }
    const peaks = await world.gather(Math.max(...session.deviceBytesPeak()));
    print({ device_bytes_peak_per_rank: peaks });
  } finally {
    await session.destroy();
  }
  await world.finalize();
}

/** The phase times accumulated since `before`. */
function since(before: Record<Phase, number>, now: ProfileSnapshot): Record<Phase, number> {
  const out = { ...now.phases };
  for (const k of Object.keys(out) as Phase[]) out[k] -= before[k];
  return out;
}

if (import.meta.main) await rank(JSON.parse(Deno.args[0]));
