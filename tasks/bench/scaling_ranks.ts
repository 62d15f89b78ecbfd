/**
 * `deno task bench scaling --ranks 1,2 [--json] [--positions N] [--reps N]`: seconds per `gd`
 * iteration of the scaling problem (frame 64, 800 positions by default, 1 x 2 tiles) as an MPI
 * job of one rank holding both tiles and of two ranks holding one each (`ranks.ts`), one rank per
 * core, each at `LP_NUM_THREADS=1`; the speed-up of two over one (target >= 1.7) and the cores each
 * job kept busy (every rank's CPU time over the iteration's wall time, summed; median).
 *
 * The jobs run one after the other (an MPI job's ranks cannot take turns with another job's), each
 * with two untimed iterations first, so the machine's other load may differ between them: the load
 * average before and after is printed beside the figures.
 *
 * Per rank, the medians of its device thread's idle time (neither running nor waiting for a core:
 * the device had no work, whatever the machine's load) and of the cores its threads waited for in
 * the run queue (the machine's other load); `--profile` adds each rank's time in readbacks, in
 * all-reduces and waiting for its neighbours' strips.
 *
 * JSON: `{ "positions", "tiles": [1, 2], "load_average": [before, after], "runs": [ { "ranks",
 * "s_per_iteration", "cores_busy", "device_bytes_peak_per_rank", "per_rank": [ {
 * "device_idle_ms", "cores", "queued_cores", "readback_ms"?, "all_reduce_wait_ms"?,
 * "strip_wait_ms"? } ] } ], "speedup" }`.
 */
import { median } from "./_tiled_common.ts";
import { type RankIteration, runRanks } from "./ranks.ts";

/** Medians of one rank's iterations, rounded. */
function perRank(iterations: RankIteration[]): Record<string, number> {
  const of = (f: (i: RankIteration) => number, digits = 1) => {
    const scale = 10 ** digits;
    return Math.round(scale * median(iterations.map(f))) / scale;
  };
  const figures: Record<string, number> = {
    device_idle_ms: of((i) => i.deviceIdleMs),
    cores: of((i) => i.cores, 2),
    queued_cores: of((i) => i.queuedCores, 2),
  };
  if (!iterations[0].phases) return figures;
  figures.readback_ms = of((i) => i.phases!.readback);
  figures.all_reduce_wait_ms = of((i) => i.phases!["all-reduce wait"]);
  figures.strip_wait_ms = of((i) => i.phases!["mailbox wait"]);
  return figures;
}

/** Cores the two-rank job must keep busy for its speed-up to mean anything. */
const MIN_CORES_BUSY = 1.5;

export async function scalingRanks(
  options: { json: boolean; positions: number; reps: number; ranks: number[]; profile: boolean },
): Promise<void> {
  const load = [Deno.loadavg()[0]];
  const runs = [];
  for (const ranks of options.ranks) {
    const result = await runRanks(ranks, {
      frame: 64,
      positions: options.positions,
      tiles: [1, 2],
      warmup: 2,
      reps: options.reps,
      profile: options.profile,
    });
    runs.push({
      ranks,
      s_per_iteration: median(result.seconds),
      cores_busy: Math.round(100 * median(result.cores)) / 100,
      device_bytes_peak_per_rank: result.device_bytes_peak_per_rank,
      per_rank: Array.from({ length: ranks }, (_, r) => perRank(result.ranks.map((i) => i[r]))),
    });
  }
  load.push(Deno.loadavg()[0]);
  const one = runs.find((r) => r.ranks === 1);
  const two = runs.find((r) => r.ranks === 2);
  const speedup = one && two ? one.s_per_iteration / two.s_per_iteration : null;
  if (options.json) {
    console.log(JSON.stringify(
      { positions: options.positions, tiles: [1, 2], load_average: load, runs, speedup },
      null,
      2,
    ));
    return;
  }
  console.log(
    `${options.positions} positions, 1 x 2 tiles, MPI ranks at LP_NUM_THREADS=1, ` +
      `${options.reps} timed iterations per job; load average ` +
      load.map((l) => l.toFixed(2)).join(" -> "),
  );
  for (const r of runs) {
    console.log(
      `${r.ranks} rank(s): ${r.s_per_iteration.toFixed(3)} s per iteration, ` +
        `${r.cores_busy} cores busy, device bytes per rank ${
          r.device_bytes_peak_per_rank.join(", ")
        }`,
    );
    for (const [i, p] of r.per_rank.entries()) {
      const phases = "readback_ms" in p
        ? `; readbacks ${p.readback_ms} ms, all-reduces ${p.all_reduce_wait_ms} ms, waiting ` +
          `for strips ${p.strip_wait_ms} ms`
        : "";
      console.log(
        `  rank ${i}: device idle ${p.device_idle_ms} ms per iteration, ${p.cores} cores busy, ` +
          `${p.queued_cores} cores waited for${phases}`,
      );
    }
  }
  if (speedup !== null) console.log(`speed-up of 2 ranks over 1: ${speedup.toFixed(2)}`);
  if (two && two.cores_busy < MIN_CORES_BUSY) {
    console.log(
      `warning: the 2-rank job kept only ${two.cores_busy} cores busy (other load on the ` +
        "machine); this speed-up measures that, not the engine",
    );
  }
}
