/**
 * `deno task bench scaling --ranks 1,2 [--json] [--positions N] [--reps N] [--profile]`: seconds
 * per `gd` iteration of the scaling problem (frame 64, 800 positions by default, 1 x 2 tiles) as
 * an MPI job of one rank holding both tiles and of two ranks holding one each (`ranks.ts`), one
 * rank per core, each at `LP_NUM_THREADS=1`; the speed-up of two over one (target >= 1.7) and the
 * cores each job kept busy (every rank's CPU time over the iteration's wall time, summed; median).
 *
 * Both jobs are started (and run their two untimed iterations) before any timing; then they take
 * turns, one timed iteration each, `--reps` times (default {@link DEFAULT_REPS}; the job that goes
 * first alternates), the waiting job reading its next command from a pipe without any CPU time
 * (`ranks.ts`). So a change in the machine's other load hits both alike, as `bench scaling`'s
 * workers do; the load average before and after is printed beside the figures. Two speed-ups:
 * the ratio of the jobs' medians, and the median of the paired ratios (each turn's 1-rank
 * iteration over the 2-rank iteration measured next to it), which a drift of the other load
 * between turns moves less; with its quartiles.
 *
 * Per rank, the medians of its CPU milliseconds per iteration (all threads; its device thread,
 * llvmpipe's compute thread; its JavaScript thread), of its device thread's idle time (neither
 * running nor waiting for a core: the device had no work, whatever the machine's load), of the
 * time its device thread waited for a core (the other load, and the job's own other threads)
 * and of the cores its threads waited for in the run queue; `--profile` adds each rank's time in
 * readbacks, in all-reduces and waiting for its neighbours' strips, and its CPU milliseconds per
 * thread name (`main`: JavaScript; `device`; the rest by their names). CPU time per iteration
 * depends far less on the other load than wall time does: its sum over the ranks is the job's
 * cost of an iteration.
 *
 * JSON: `{ "positions", "tiles": [1, 2], "load_average": [before, after], "runs": [ { "ranks",
 * "s_per_iteration", "s_per_iteration_range": [min, max], "seconds": [each turn's, in order],
 * "cores_busy", "cpu_ms", "device_bytes_peak_per_rank", "per_rank": [ { "cpu_ms", "device_cpu_ms", "js_cpu_ms",
 * "device_idle_ms", "device_queued_ms", "cores", "queued_cores", "readback_ms"?,
 * "all_reduce_wait_ms"?, "strip_wait_ms"?, "thread NAME"? } ] } ], "speedup",
 * "speedup_paired", "speedup_paired_quartiles": [q1, q3] }`, `cpu_ms` of a run being the median
 * over iterations of its ranks' CPU ms summed; the speed-ups null unless both rank counts ran.
 */
import { median } from "./_tiled_common.ts";
import { type JobIteration, type RankIteration, type RankJobHandle, startRanks } from "./ranks.ts";

/** Medians of one rank's iterations, rounded. */
function perRank(iterations: RankIteration[]): Record<string, number> {
  const of = (f: (i: RankIteration) => number, digits = 1) => {
    const scale = 10 ** digits;
    return Math.round(scale * median(iterations.map(f))) / scale;
  };
  const figures: Record<string, number> = {
    cpu_ms: of((i) => i.cpuMs),
    device_cpu_ms: of((i) => i.deviceCpuMs),
    js_cpu_ms: of((i) => i.jsCpuMs),
    device_idle_ms: of((i) => i.deviceIdleMs),
    device_queued_ms: of((i) => i.deviceQueuedMs),
    cores: of((i) => i.cores, 2),
    queued_cores: of((i) => i.queuedCores, 2),
  };
  if (!iterations[0].phases) return figures;
  figures.readback_ms = of((i) => i.phases!.readback);
  figures.all_reduce_wait_ms = of((i) => i.phases!["all-reduce wait"]);
  figures.strip_wait_ms = of((i) => i.phases!["mailbox wait"]);
  const names = new Set(iterations.flatMap((i) => Object.keys(i.threads ?? {})));
  for (const name of names) {
    figures[`thread ${name}`] = of((i) => i.threads?.[name] ?? 0);
  }
  return figures;
}

/** Cores the two-rank job must keep busy for its speed-up to mean anything. */
const MIN_CORES_BUSY = 1.5;

/**
 * Timed iterations per job unless `--reps` says otherwise: a turn of both jobs takes about 0.6 s
 * on a quiet machine.
 */
export const DEFAULT_REPS = 20;

/** The `p`-quantile of `values` (linear between order statistics). */
function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = p * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (at - low) * (sorted[high] - sorted[low]);
}

/** The figures of one job's timed iterations. */
function summary(ranks: number, iterations: JobIteration[], peaks: number[]) {
  const seconds = iterations.map((i) => i.seconds);
  return {
    ranks,
    s_per_iteration: median(seconds),
    s_per_iteration_range: [Math.min(...seconds), Math.max(...seconds)],
    seconds: seconds.map((s) => Math.round(1e4 * s) / 1e4),
    cores_busy: Math.round(100 * median(iterations.map((i) => i.cores))) / 100,
    cpu_ms: Math.round(
      10 * median(iterations.map((i) => {
        return i.ranks.reduce((sum, r) => sum + r.cpuMs, 0);
      })),
    ) / 10,
    device_bytes_peak_per_rank: peaks,
    per_rank: Array.from({ length: ranks }, (_, r) => perRank(iterations.map((i) => i.ranks[r]))),
  };
}

export async function scalingRanks(
  options: { json: boolean; positions: number; reps: number; ranks: number[]; profile: boolean },
): Promise<void> {
  const load = [Deno.loadavg()[0]];
  const job = {
    frame: 64,
    positions: options.positions,
    tiles: [1, 2] as [number, number],
    warmup: 2,
    profile: options.profile,
  };
  const jobs: RankJobHandle[] = [];
  const iterations: JobIteration[][] = options.ranks.map(() => []);
  const peaks: number[][] = [];
  try {
    for (const ranks of options.ranks) jobs.push(await startRanks(ranks, job));
    for (let rep = 0; rep < options.reps; rep++) {
      const order = jobs.map((_, i) => i);
      if (rep % 2 === 1) order.reverse();
      for (const i of order) iterations[i].push(await jobs[i].step());
    }
    for (const started of jobs) peaks.push(await started.end());
  } catch (error) {
    await Promise.all(jobs.map((j) => j.kill()));
    throw error;
  }
  load.push(Deno.loadavg()[0]);
  const runs = options.ranks.map((ranks, i) => summary(ranks, iterations[i], peaks[i]));
  const one = runs.find((r) => r.ranks === 1);
  const two = runs.find((r) => r.ranks === 2);
  const speedup = one && two ? one.s_per_iteration / two.s_per_iteration : null;
  // Each turn's 1-rank iteration over its 2-rank one (measured one after the other).
  const [i1, i2] = [options.ranks.indexOf(1), options.ranks.indexOf(2)];
  const pairs = i1 >= 0 && i2 >= 0
    ? iterations[i1].map((it, k) => it.seconds / iterations[i2][k].seconds)
    : null;
  const round = (v: number) => Math.round(1000 * v) / 1000;
  const paired = pairs ? round(quantile(pairs, 0.5)) : null;
  const quartiles = pairs ? [quantile(pairs, 0.25), quantile(pairs, 0.75)].map(round) : null;
  if (options.json) {
    console.log(JSON.stringify(
      {
        positions: options.positions,
        tiles: [1, 2],
        load_average: load,
        runs,
        speedup,
        speedup_paired: paired,
        speedup_paired_quartiles: quartiles,
      },
      null,
      2,
    ));
    return;
  }
  console.log(
    `${options.positions} positions, 1 x 2 tiles, MPI ranks at LP_NUM_THREADS=1, ` +
      `${options.reps} timed iterations per job, the jobs in turn; load average ` +
      load.map((l) => l.toFixed(2)).join(" -> "),
  );
  for (const r of runs) {
    const [low, high] = r.s_per_iteration_range.map((s) => s.toFixed(3));
    console.log(
      `${r.ranks} rank(s): ${r.s_per_iteration.toFixed(3)} s per iteration (${low} to ${high}), ` +
        `${r.cores_busy} cores busy, ${r.cpu_ms} CPU ms per iteration, device bytes per rank ` +
        r.device_bytes_peak_per_rank.join(", "),
    );
    for (const [i, p] of r.per_rank.entries()) {
      const phases = "readback_ms" in p
        ? `; readbacks ${p.readback_ms} ms, all-reduces ${p.all_reduce_wait_ms} ms, waiting ` +
          `for strips ${p.strip_wait_ms} ms`
        : "";
      const threads = Object.entries(p).filter(([k]) => k.startsWith("thread "));
      if (threads.length) {
        console.log("    threads: " + threads.map(([k, v]) => `${k.slice(7)} ${v}`).join(", "));
      }
      console.log(
        `  rank ${i}: CPU ${p.cpu_ms} ms per iteration (device ${p.device_cpu_ms}, JS ` +
          `${p.js_cpu_ms}), device idle ${p.device_idle_ms} ms, queued ${p.device_queued_ms} ms, ` +
          `${p.cores} cores busy, ` +
          `${p.queued_cores} cores waited for${phases}`,
      );
    }
  }
  if (speedup !== null) {
    console.log(
      `speed-up of 2 ranks over 1: ${speedup.toFixed(2)} (ratio of the medians); paired, ` +
        `turn by turn: median ${paired!.toFixed(2)} (quartiles ${quartiles![0].toFixed(2)} to ` +
        `${quartiles![1].toFixed(2)})`,
    );
  }
  if (two && two.cores_busy < MIN_CORES_BUSY) {
    console.log(
      `warning: the 2-rank job kept only ${two.cores_busy} cores busy (other load on the ` +
        "machine); this speed-up measures that, not the engine",
    );
  }
}
