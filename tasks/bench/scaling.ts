/**
 * `deno task bench scaling [--json] [--positions N] [--reps N]`: seconds per `gd` iteration of
 * one problem (frame 64, 800 positions by default, cut into 1 x 2 tiles) run by one worker
 * holding both tiles and by two workers holding one each, and the speed-up of two over one
 * (target >= 1.6). DESIGN section 6: each software device gets one thread, so one worker is one
 * one-core device and two workers are two; `LP_NUM_THREADS` is process-wide, so the measurement
 * runs in a child process started with `LP_NUM_THREADS=1`.
 *
 * JSON: `{ "positions", "tiles": [1, 2], "runs": [ { "workers", "s_per_iteration" } ],
 * "speedup" }`. Timing: medians over `--reps` iterations after one warm-up iteration.
 */
import { openTiledSession } from "../../src/tiled/mod.ts";
import { benchProblem, median } from "./_tiled_common.ts";

const CHILD = "--child";

interface Options {
  json: boolean;
  positions: number;
  reps: number;
}

function parse(args: string[]): Options {
  const out = { json: false, positions: 800, reps: 5 };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--json") out.json = true;
    else if (args[i] === "--positions") out.positions = Number(args[++i]);
    else if (args[i] === "--reps") out.reps = Number(args[++i]);
    else if (args[i] !== CHILD) {
      throw new RangeError(`Unknown option ${args[i]}: expected --json, --positions or --reps`);
    }
  }
  if (!(out.positions >= 2) || !(out.reps >= 1)) {
    throw new RangeError(`Expected --positions >= 2 and --reps >= 1, got ${args.join(" ")}`);
  }
  return out;
}

/** Seconds per iteration with `workers` workers on 1 x 2 tiles. */
async function secondsPerIteration(options: Options, workers: number): Promise<number> {
  const base = await benchProblem(64, options.positions);
  const session = await openTiledSession({ ...base, tiles: [1, 2], workers });
  try {
    await session.step();
    const times: number[] = [];
    for (let r = 0; r < options.reps; r++) {
      const t0 = performance.now();
      await session.step();
      times.push((performance.now() - t0) / 1000);
    }
    return median(times);
  } finally {
    await session.destroy();
  }
}

async function measure(options: Options): Promise<void> {
  const runs = [];
  for (const workers of [1, 2]) {
    runs.push({ workers, s_per_iteration: await secondsPerIteration(options, workers) });
  }
  const result = {
    positions: options.positions,
    tiles: [1, 2],
    lp_num_threads: Deno.env.get("LP_NUM_THREADS") ?? null,
    runs,
    speedup: runs[0].s_per_iteration / runs[1].s_per_iteration,
  };
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  for (const r of runs) {
    console.log(`${r.workers} worker(s): ${r.s_per_iteration.toFixed(3)} s per iteration`);
  }
  console.log(`speed-up of 2 workers over 1: ${result.speedup.toFixed(2)}`);
}

export async function run(args: string[]): Promise<void> {
  const options = parse(args);
  if (args.includes(CHILD)) return await measure(options);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, CHILD, ...args],
    env: { LP_NUM_THREADS: "1" },
    stdout: "inherit",
    stderr: "inherit",
  });
  const { code } = await child.output();
  if (code !== 0) throw new Error(`The scaling measurement failed (exit status ${code})`);
}

if (import.meta.main) await run(Deno.args);
