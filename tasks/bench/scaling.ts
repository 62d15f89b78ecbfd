/**
 * `deno task bench scaling [--json] [--positions N] [--reps N] [--profile] [--ranks 1,2]`:
 * seconds per `gd`
 * iteration of one problem (frame 64, 800 positions by default, cut into 1 x 2 tiles) run by one
 * worker holding both tiles and by two workers holding one each, and the speed-up of two over one
 * (target >= 1.6).
 *
 * Devices of fixed size (DESIGN section 6): `LP_NUM_THREADS=1`, one worker against two. That
 * holds on Vulkan's software adapter (lavapipe, `DENO_WEBGPU_BACKEND=vulkan`), where each
 * worker's device has its own compute threads (measured: two workers with `LP_NUM_THREADS=1`
 * keep two cores busy). Through GL (llvmpipe) every device of a process shares one pool of
 * `LP_NUM_THREADS` threads (measured: two workers' devices run on a single compute thread), so
 * there a configuration with W workers runs in its own child process with `LP_NUM_THREADS=W`:
 * one core's worth of device per worker. Every run measures all four configurations (1 or 2
 * workers, 1 or 2 threads); the speed-up compares the pair its backend makes fair, the other two
 * are controls: one worker with 2 threads is what the adapter's own threading gives without
 * tiling.
 *
 * Fairness: every configuration solves the same problem from the same start; all children are
 * started and warmed up (two iterations: pipeline compilation) before any timing, then the
 * parent asks them for one iteration each in turn, `--reps` times (default 6; 20 with
 * `--ranks`), so a change in the machine's other load hits all alike; medians. Beside each median, the child's CPU time over
 * wall time ("cores busy") shows how many cores a configuration really used. `--profile` adds
 * each worker's median milliseconds per iteration in each phase: readback (waiting on `mapAsync`:
 * the device finishing queued work plus the poll interval), waits on peers, host strip sums and
 * strip writes; "other" is the rest: recording, and the device work itself (the software
 * adapter runs submitted work inside `queue.submit`, so the worker's thread waits there, idle:
 * its JavaScript CPU time stays near 10 ms per iteration).
 *
 * JSON: `{ "positions", "tiles": [1, 2], "backend", "load_average": [before, after],
 * "runs": [ { "workers", "lp_num_threads", "s_per_iteration", "cores_busy", "profile"? } ],
 * "speedup", "compared": [run, run], "speedup_vs_same_threads", "cores_available" }`, `compared`
 * naming the two runs (indices into `runs`) of the speed-up. `cores_available` is false when
 * the two-worker run kept fewer than 1.5 cores busy: other load on the machine took the second
 * core, and the speed-up then says nothing about the engine (the table says so too).
 *
 * `--ranks 1,2` measures MPI ranks instead (`scaling_ranks.ts`): the same problem as one job per
 * rank count, one rank per core, each at `LP_NUM_THREADS=1`, the jobs taking turns as the
 * children here do.
 */
import {
  keepWorkerThreadsUntilExit,
  type ProfileSnapshot,
  watchProfiles,
} from "../../src/parallel/mod.ts";
import { openEngineSession } from "../../src/engine/mod.ts";
import { benchProblem, lines, median, processCpuMs } from "./_tiled_common.ts";
import { DEFAULT_REPS as RANKS_REPS, scalingRanks } from "./scaling_ranks.ts";

const CHILD = "--child";
const WARMUP = 2;
/** Cores the two-worker run must keep busy for its speed-up to mean anything. */
const MIN_CORES_BUSY = 1.5;

interface Options {
  json: boolean;
  positions: number;
  reps: number;
  profile: boolean;
}

/** One timed iteration of a child: wall seconds, cores busy and each worker's profile. */
interface Sample {
  seconds: number;
  cores: number;
  /** Per rank, the profile of this iteration (its wall is the iteration's). */
  profiles: ProfileSnapshot[];
}

/** The configurations compared: workers and the process's compute threads. */
const CONFIGS = [
  { workers: 1, threads: 1 },
  { workers: 2, threads: 2 },
  { workers: 1, threads: 2 },
  { workers: 2, threads: 1 },
];

function parse(args: string[]): Options & { workers: number; ranks: number[] | null } {
  const out = {
    json: false,
    positions: 800,
    reps: NaN,
    profile: false,
    workers: 1,
    ranks: null as number[] | null,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") out.json = true;
    else if (a === "--profile") out.profile = true;
    else if (a === CHILD) out.workers = Number(args[++i]);
    else if (a === "--positions") out.positions = Number(args[++i]);
    else if (a === "--reps") out.reps = Number(args[++i]);
    else if (a === "--ranks") out.ranks = (args[++i] ?? "").split(",").map(Number);
    else {
      throw new RangeError(
        `Unknown option ${a}: expected --json, --positions, --reps, --profile or --ranks`,
      );
    }
  }
  if (out.ranks && !(out.ranks.length >= 1 && out.ranks.every((r) => r === 1 || r === 2))) {
    throw new RangeError(
      `Expected --ranks 1,2 (two tiles: at most 2 ranks), got ${args.join(" ")}`,
    );
  }
  if (Number.isNaN(out.reps) && !args.includes("--reps")) out.reps = out.ranks ? RANKS_REPS : 6;
  if (!(out.positions >= 2) || !(out.reps >= 1)) {
    throw new RangeError(`Expected --positions >= 2 and --reps >= 1, got ${args.join(" ")}`);
  }
  return out;
}

/**
 * Child process: opens the session and warms up, prints `ready`, then runs one timed iteration
 * per `step` line on its input and prints its {@link Sample} as a JSON line, until `end`.
 */
async function child(options: Options & { workers: number }): Promise<void> {
  const base = await benchProblem(64, options.positions);
  const latest = new Map<number, ProfileSnapshot>();
  const stop = options.profile
    ? watchProfiles((rank, snapshot) => latest.set(rank, snapshot))
    : () => {};
  const session = await openEngineSession({ ...base, tiles: [1, 2], workers: options.workers });
  try {
    for (let i = 0; i < WARMUP; i++) await session.step();
    console.log("ready");
    for await (const line of lines(Deno.stdin.readable)) {
      if (line !== "step") break;
      const before = new Map(latest);
      const cpu0 = processCpuMs();
      const t0 = performance.now();
      await session.step();
      const wall = performance.now() - t0;
      const profiles = [...latest].sort(([a], [b]) => a - b).map(([rank, now]) =>
        difference(now, before.get(rank)!, wall)
      );
      const sample: Sample = {
        seconds: wall / 1000,
        cores: (processCpuMs() - cpu0) / wall,
        profiles,
      };
      console.log(JSON.stringify(sample));
    }
  } finally {
    stop();
    await session.destroy();
  }
}

/**
 * The profile of one iteration of `wallMs` from cumulative snapshots taken at the end of it and
 * of the one before: phase times only grow while the worker works, so their differences hold; the
 * rest of the iteration is "other".
 */
function difference(a: ProfileSnapshot, b: ProfileSnapshot, wallMs: number): ProfileSnapshot {
  const phases = { ...a.phases };
  for (const k of Object.keys(phases) as Array<keyof typeof phases>) phases[k] -= b.phases[k];
  const inside = (a.wallMs - a.otherMs) - (b.wallMs - b.otherMs);
  return { wallMs, cpuMs: a.cpuMs - b.cpuMs, phases, otherMs: wallMs - inside };
}

/** Median per field of per-iteration profiles, rounded to 0.1 ms. */
function medianProfile(list: ProfileSnapshot[]): Record<string, number> {
  const round = (v: number) => Math.round(10 * v) / 10;
  const out: Record<string, number> = {
    wall_ms: round(median(list.map((p) => p.wallMs))),
    js_thread_cpu_ms: round(median(list.map((p) => p.cpuMs))),
  };
  for (const k of Object.keys(list[0].phases) as Array<keyof ProfileSnapshot["phases"]>) {
    out[k.replaceAll(" ", "_") + "_ms"] = round(median(list.map((p) => p.phases[k])));
  }
  out.other_ms = round(median(list.map((p) => p.otherMs)));
  return out;
}

function loadAverage(): number {
  return Deno.loadavg()[0];
}

/** A started child: sends it commands and reads its answers. */
interface Child {
  config: { workers: number; threads: number };
  process: Deno.ChildProcess;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  replies: AsyncGenerator<string>;
}

async function startChild(
  options: Options,
  config: { workers: number; threads: number },
): Promise<Child> {
  const flags = [CHILD, String(config.workers), "--positions", String(options.positions)];
  if (options.profile) flags.push("--profile");
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, ...flags],
    env: { LP_NUM_THREADS: String(config.threads) },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const child = {
    config,
    process,
    writer: process.stdin.getWriter(),
    replies: lines(process.stdout),
  };
  await reply(child, "ready");
  return child;
}

/** The child's next line (checked against `expected` when given). */
async function reply(child: Child, expected?: string): Promise<string> {
  const { value, done } = await child.replies.next();
  const what = `${child.config.workers} worker(s), LP_NUM_THREADS=${child.config.threads}`;
  if (done) throw new Error(`The scaling measurement of ${what} ended early`);
  if (expected !== undefined && value !== expected) {
    throw new Error(`The scaling measurement of ${what} said "${value}", not "${expected}"`);
  }
  return value;
}

async function send(child: Child, line: string): Promise<void> {
  await child.writer.write(new TextEncoder().encode(line + "\n"));
}

/** Tells each child to end and waits for it; a child dying on its way out is only reported. */
async function endAll(children: Child[]): Promise<void> {
  for (const child of children) {
    await send(child, "end").catch(() => {});
    await child.writer.close().catch(() => {});
    const { code } = await child.process.status;
    if (code !== 0) {
      const { workers, threads } = child.config;
      console.error(
        `note: the child of ${workers} worker(s), LP_NUM_THREADS=${threads} exited with ` +
          `status ${code} after its measurements`,
      );
    }
  }
}

export async function run(args: string[]): Promise<void> {
  const options = parse(args);
  if (args.includes(CHILD)) return await child(options);
  if (options.ranks) return await scalingRanks({ ...options, ranks: options.ranks });
  const load = [loadAverage()];
  const children: Child[] = [];
  const samples: Sample[][] = CONFIGS.map(() => []);
  try {
    for (const config of CONFIGS) children.push(await startChild(options, config));
    for (let r = 0; r < options.reps; r++) {
      for (const [i, child] of children.entries()) {
        await send(child, "step");
        samples[i].push(JSON.parse(await reply(child)));
      }
    }
  } finally {
    await endAll(children);
  }
  load.push(loadAverage());
  const runs = CONFIGS.map((config, i) => ({
    workers: config.workers,
    lp_num_threads: config.threads,
    s_per_iteration: median(samples[i].map((x) => x.seconds)),
    cores_busy: Math.round(100 * median(samples[i].map((x) => x.cores))) / 100,
    ...(options.profile
      ? {
        profile: samples[i][0].profiles.map((_, rank) => ({
          rank,
          ...medianProfile(samples[i].map((x) => x.profiles[rank])),
        })),
      }
      : {}),
  }));
  const backend = Deno.env.get("DENO_WEBGPU_BACKEND")?.toLowerCase() === "vulkan"
    ? "vulkan"
    : "default";
  // The two-worker run of the fair pair: one thread per device on Vulkan, two per process else.
  const two = backend === "vulkan" ? 3 : 1;
  const result = {
    positions: options.positions,
    tiles: [1, 2],
    backend,
    load_average: load,
    runs,
    speedup: runs[0].s_per_iteration / runs[two].s_per_iteration,
    compared: [0, two],
    speedup_vs_same_threads: runs[2].s_per_iteration / runs[two].s_per_iteration,
    cores_available: runs[two].cores_busy >= MIN_CORES_BUSY,
  };
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    `${options.positions} positions, 1 x 2 tiles, ${options.reps} timed iterations per ` +
      `configuration, in turn; load average ${load.map((l) => l.toFixed(2)).join(" -> ")}`,
  );
  for (const r of runs) {
    console.log(
      `${r.workers} worker(s), LP_NUM_THREADS=${r.lp_num_threads}: ` +
        `${r.s_per_iteration.toFixed(3)} s per iteration, ${r.cores_busy} cores busy`,
    );
    for (const p of r.profile ?? []) console.log(`  worker ${p.rank} ms per iteration:`, p);
  }
  const threads = runs[two].lp_num_threads;
  console.log(
    `speed-up of 2 workers (LP_NUM_THREADS=${threads}) over 1 worker (LP_NUM_THREADS=1): ` +
      `${result.speedup.toFixed(2)}; over 1 worker with 2 threads: ` +
      result.speedup_vs_same_threads.toFixed(2) +
      (backend === "vulkan"
        ? " (Vulkan: each device its own threads)"
        : " (devices of a process share their threads: set DENO_WEBGPU_BACKEND=vulkan with " +
          "lavapipe installed for one-thread devices)"),
  );
  if (!result.cores_available) {
    console.log(
      `warning: the 2-worker run kept only ${runs[two].cores_busy} cores busy (other load on ` +
        "the machine, or devices sharing one thread); this speed-up measures that, not the engine",
    );
  }
}

if (import.meta.main) {
  // A child holds a pool: it ends as `tasks/bench.ts` does, its workers' devices kept to the end.
  keepWorkerThreadsUntilExit();
  await run(Deno.args);
  Deno.exit(0);
}
