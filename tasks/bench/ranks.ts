/**
 * The benches' MPI jobs: `mpirun -n R` ranks of this file, each opening the tiled session over
 * the `mpi` transport on the bench problem (`_tiled_common.ts`, simulated identically on every
 * rank), one worker per rank, every rank at `LP_NUM_THREADS=1` (one core's worth of device per
 * rank).
 *
 * A started job ({@link startRanks}) runs its untimed iterations, then one timed iteration per
 * {@link RankJobHandle.step}: each rank reads `step` (or `end`) from a named pipe of its own, so
 * that a job waiting for its next command takes no CPU time at all (a rank polling MPI would),
 * and jobs of several rank counts can take turns on the machine iteration by iteration. Rank 0
 * prints JSON lines: `"ready"`, then one per timed iteration, `{ "seconds", "cores", "ranks" }`
 * (`cores`: every rank's CPU time over the iteration's wall time, summed: the cores the job kept
 * busy; `ranks`: each rank's {@link RankIteration}), and at the end
 * `{ "device_bytes_peak_per_rank": [...] }`.
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
import { benchProblem, lines, processCpuMs } from "./_tiled_common.ts";
import { threadInterval, threadTimes } from "./_threads.ts";

/** What one job computes. */
export interface RankJob {
  frame: number;
  positions: number;
  tiles: [number, number];
  /** Positions per batch (default: the engine's rule). */
  batch?: number;
  /** Untimed iterations first (pipeline compilation), then timed ones on command. */
  warmup: number;
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
  /** Time its device thread waited for a core, in ms. */
  deviceQueuedMs: number;
  /** CPU ms of all its threads, of its device thread and of its JavaScript thread. */
  cpuMs: number;
  deviceCpuMs: number;
  jsCpuMs: number;
  /** With `profile`: ms in each phase (readback, all-reduce wait, mailbox wait: strips). */
  phases?: Record<Phase, number>;
  /** With `profile`: CPU ms per thread name (the device thread as `device`). */
  threads?: Record<string, number>;
}

/** One timed iteration of a job, as rank 0 reports it. */
export interface JobIteration {
  seconds: number;
  cores: number;
  /** Each rank's figures, in rank order. */
  ranks: RankIteration[];
}

/** A started job: one timed iteration per {@link step}, then {@link end}. */
export interface RankJobHandle {
  readonly ranks: number;
  step(): Promise<JobIteration>;
  /** Ends the job; resolves to each rank's peak device bytes. */
  end(): Promise<number[]>;
  /** Ends the job at once (after a failure). */
  kill(): Promise<void>;
}

/**
 * Starts `job` on `ranks` MPI ranks (loopback `mpirun`) and resolves once every rank has run its
 * untimed iterations. The caller must {@link RankJobHandle.end} it.
 */
export async function startRanks(ranks: number, job: RankJob): Promise<RankJobHandle> {
  const dir = await Deno.makeTempDir({ prefix: "tessera-ranks-" });
  const pipes = Array.from({ length: ranks }, (_, r) => `${dir}/rank-${r}`);
  const made = await new Deno.Command("mkfifo", { args: pipes }).output();
  if (!made.success) throw new Error(`mkfifo failed: ${new TextDecoder().decode(made.stderr)}`);
  const process = new Deno.Command("mpirun", {
    args: [
      "-n",
      String(ranks),
      Deno.execPath(),
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      JSON.stringify({ ...job, commands: `${dir}/rank-` }),
    ],
    env: { LP_NUM_THREADS: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const failed = process.status.then(({ code }) => {
    throw new Error(`mpirun -n ${ranks} of the bench ended (status ${code})`);
  });
  failed.catch(() => {});
  const replies = lines(process.stdout);
  const next = async () => {
    const { value, done } = await Promise.race([replies.next(), failed]);
    if (done) await failed;
    return value as string;
  };
  const cleanUp = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  let writers: Deno.FsFile[] = [];
  const kill = async () => {
    writers.forEach((w) => w.close());
    writers = [];
    try {
      process.kill();
    } catch {
      // It has ended already.
    }
    await process.status;
    await cleanUp();
  };
  try {
    // Opening a pipe's writing end waits for its reader: the rank opens it before anything else.
    writers = await Promise.race([
      Promise.all(pipes.map((p) => Deno.open(p, { write: true }))),
      failed,
    ]);
    const ready = await next();
    if (ready !== JSON.stringify("ready")) {
      throw new Error(`mpirun -n ${ranks} of the bench said ${ready}`);
    }
  } catch (error) {
    await kill();
    throw error;
  }
  const tell = async (command: string) => {
    const bytes = new TextEncoder().encode(command + "\n");
    for (const w of writers) await w.write(bytes);
  };
  return {
    ranks,
    async step() {
      await tell("step");
      return JSON.parse(await next());
    },
    async end() {
      try {
        await tell("end");
        const last = JSON.parse(await next());
        const { success, code } = await process.status;
        if (!success) throw new Error(`mpirun -n ${ranks} of the bench failed (${code})`);
        return last.device_bytes_peak_per_rank;
      } finally {
        writers.forEach((w) => w.close());
        writers = [];
        await cleanUp();
      }
    },
    kill,
  };
}

/** Runs `job` on `ranks` MPI ranks for `reps` timed iterations: each iteration, then the peaks. */
export async function runRanks(
  ranks: number,
  job: RankJob & { reps: number },
): Promise<{ iterations: JobIteration[]; device_bytes_peak_per_rank: number[] }> {
  const started = await startRanks(ranks, job);
  const iterations: JobIteration[] = [];
  try {
    for (let i = 0; i < job.reps; i++) iterations.push(await started.step());
  } catch (error) {
    await started.kill();
    throw error;
  }
  return { iterations, device_bytes_peak_per_rank: await started.end() };
}

async function rank(job: RankJob & { commands: string }): Promise<void> {
  if (job.profile) {
    startProfile();
    profileReadbacks();
  }
  const world = MpiWorld.init();
  const commands = lines((await Deno.open(`${job.commands}${world.rank}`)).readable);
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
    await world.barrier();
    print("ready");
    for (;;) {
      const { value } = await commands.next();
      if (value !== "step") break;
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
        deviceQueuedMs: threads.busiestQueuedMs,
        cpuMs: threads.cpuMs,
        deviceCpuMs: threads.busiestCpuMs,
        jsCpuMs: threads.mainCpuMs,
        ...(job.profile
          ? { phases: since(phases0, profile.snapshot()), threads: threads.byName }
          : {}),
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
