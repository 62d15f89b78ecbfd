/**
 * `deno task bench memory [--json] [--breakdown] [--frame M] [--positions N] [--grids 1,2,4,8]
 * [--batch B] [--workers W] [--ranks R]`: peak device bytes per worker when a simulated data set (frame M,
 * default 64, and N raster positions, default 1600) is cut into R x R tiles, one tile per worker (or at most W workers, each
 * holding several tiles resident), and the reduction against the untiled run (1 x 1): the analogue
 * of the halo-gradient-exchange papers' per-GPU memory footprint. Each case runs one `gd`
 * iteration, so the peak includes the solver's vectors and the exchange's strips.
 *
 * The untiled baseline is the same engine on one tile and one worker with the same options as
 * every tiled case (`gd`, one slice, one mode, `B` positions per batch, default 8; a tile with
 * fewer positions uses batches of its count). Besides the reduction, each case reports the
 * positions of its largest tile and the "frames bound": total positions over those of the largest
 * tile, the reduction if the frames were all a worker held (tile cores are balanced by position
 * count, so on the raster it is the tile count). What else a worker holds does not shrink with
 * the tile count: each tile's object vectors span its core plus a halo of the frame's width, and
 * the batch's work buffers are the same on every device. `--breakdown` lists what the largest
 * worker's peak is made of, by buffer kind.
 *
 * JSON: `{ "baseline", "frame", "batch", "cases": [ { "tiles": [R, C], "workers",
 * "device_bytes_peak_per_worker": [...], "positions_largest_tile", "frames_bound",
 * "reduction_vs_untiled", "peak_by_kind": { kind: bytes } } ] }`, the reduction being the
 * untiled peak over the largest tiled peak per worker, `peak_by_kind` the `--breakdown` list.
 * Targets: at least 0.8 x the tile count up to 4 x 4, at least 30 at 8 x 8; on a data set shaped
 * like real experiments, where frames outweigh the object (`--frame 128 --positions 6400`), at
 * least 3.5 at 2 x 2, 12.5 at 4 x 4 and 36 at 8 x 8.
 *
 * `--ranks R` runs each tiled case as an MPI job of R ranks instead (`ranks.ts`: loopback
 * `mpirun`, one worker per rank, every rank at `LP_NUM_THREADS=1`) and reports the device bytes
 * of each rank (`"device_bytes_peak_per_rank"` in each case); grids with fewer than R tiles are
 * left out.
 */
import { openEngineSession } from "../../src/engine/mod.ts";
import { benchProblem } from "./_tiled_common.ts";
import { runRanks } from "./ranks.ts";

interface Case {
  tiles: [number, number];
  workers: number;
  device_bytes_peak_per_worker: number[];
  positions_largest_tile: number;
  frames_bound: number;
  reduction_vs_untiled: number;
  /** What the largest worker's peak is made of: bytes by buffer kind, largest first. */
  peak_by_kind: Record<string, number>;
}

interface Options {
  json: boolean;
  breakdown: boolean;
  frame: number;
  positions: number;
  grids: number[];
  batch: number;
  /** Most workers a case uses (default: one per tile). */
  workers: number;
  /** MPI ranks of each tiled case, or null for the workers of this process. */
  ranks: number | null;
}

function parse(
  args: string[],
): Options {
  const out: Options = {
    json: false,
    breakdown: false,
    frame: 64,
    positions: 1600,
    grids: [1, 2, 4, 8],
    batch: 8,
    workers: Infinity,
    ranks: null,
  };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--json") out.json = true;
    else if (args[i] === "--breakdown") out.breakdown = true;
    else if (args[i] === "--frame") out.frame = Number(args[++i]);
    else if (args[i] === "--positions") out.positions = Number(args[++i]);
    else if (args[i] === "--grids") out.grids = (args[++i] ?? "").split(",").map(Number);
    else if (args[i] === "--batch") out.batch = Number(args[++i]);
    else if (args[i] === "--workers") out.workers = Number(args[++i]);
    else if (args[i] === "--ranks") out.ranks = Number(args[++i]);
    else {
      throw new RangeError(
        `Unknown option ${args[i]}: expected --json, --breakdown, --frame, --positions, --grids, ` +
          "--batch, --workers or --ranks",
      );
    }
  }
  const whole = (v: number) => Number.isInteger(v) && v >= 1;
  const workers = out.workers === Infinity || whole(out.workers);
  const ranks = out.ranks === null || whole(out.ranks);
  if (
    !whole(out.positions) || !whole(out.batch) || !out.grids.every(whole) || !workers || !ranks
  ) {
    throw new RangeError(`Expected whole numbers >= 1, got ${args.join(" ")}`);
  }
  if (!(out.frame >= 16 && Number.isInteger(Math.log2(out.frame)))) {
    throw new RangeError(`Expected --frame a power of two >= 16, got ${out.frame}`);
  }
  if (out.grids[0] !== 1) out.grids.unshift(1);
  return out;
}

export async function run(args: string[]): Promise<void> {
  const options = parse(args);
  if (options.ranks !== null) return await memoryRanks(options, options.ranks);
  const base = await benchProblem(options.frame, options.positions);
  const baseline = `1 x 1 tile on 1 worker, same options as the tiled cases: gd, 1 slice, ` +
    `1 mode, frame ${options.frame}, ${options.positions} positions, batch ${options.batch}`;
  if (!options.json) console.log(`untiled baseline: ${baseline}`);
  const cases: Case[] = [];
  let untiled = NaN;
  for (const g of options.grids) {
    const workers = Math.min(g * g, options.workers);
    const session = await openEngineSession({
      ...base,
      tiles: [g, g],
      workers,
      batchSize: options.batch,
      // Many workers on few cores (64 at 8 x 8) each compile their pipelines: a silent worker
      // is slow here, not dead, and the bench measures bytes, not time.
      silenceMs: 30 * 60_000,
    });
    try {
      await session.step();
    } finally {
      await session.destroy();
    }
    const peaks = session.deviceBytesPeak();
    if (g === 1) untiled = peaks[0];
    const largest = Math.max(...session.tiling.positionsOf.map((p) => p.length));
    const kinds = byKind(session.deviceBytesPeakByLabel(peaks.indexOf(Math.max(...peaks))));
    const c: Case = {
      tiles: [g, g],
      workers,
      device_bytes_peak_per_worker: peaks,
      positions_largest_tile: largest,
      frames_bound: round(options.positions / largest),
      reduction_vs_untiled: round(untiled / Math.max(...peaks)),
      peak_by_kind: Object.fromEntries(kinds),
    };
    cases.push(c);
    if (!options.json) {
      const mib = (b: number) => (b / 2 ** 20).toFixed(2);
      console.log(
        `${g} x ${g} tiles, ${workers} workers: peak ${mib(Math.max(...peaks))} MiB per worker ` +
          `(smallest ${mib(Math.min(...peaks))}), ${c.reduction_vs_untiled} x less than ` +
          `untiled; largest tile ${largest} positions, frames bound ${c.frames_bound}`,
      );
      if (options.breakdown) {
        for (const [kind, bytes] of kinds) {
          console.log(`    ${(bytes / 1024).toFixed(1).padStart(9)} KiB  ${kind}`);
        }
      }
    }
  }
  if (options.json) {
    console.log(
      JSON.stringify({ baseline, frame: options.frame, batch: options.batch, cases }, null, 2),
    );
  }
}

/** Bytes by buffer kind: labels with their tile and batch numbers taken out, largest first. */
function byKind(labels: Array<[string, number]>): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const [label, bytes] of labels) {
    const kind = label.replace(/\b(tile|batch) \d+ /g, "");
    sums.set(kind, (sums.get(kind) ?? 0) + bytes);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}

function round(v: number): number {
  return Math.round(100 * v) / 100;
}

/** The tiled cases as MPI jobs of `ranks` ranks: device bytes per rank. */
async function memoryRanks(options: Options, ranks: number): Promise<void> {
  const cases = [];
  for (const g of options.grids.filter((g) => g * g >= ranks)) {
    const job = await runRanks(ranks, {
      frame: options.frame,
      positions: options.positions,
      tiles: [g, g],
      batch: options.batch,
      warmup: 0,
      reps: 1,
    });
    const perRank = job.device_bytes_peak_per_rank;
    cases.push({ tiles: [g, g], ranks, device_bytes_peak_per_rank: perRank });
    if (!options.json) {
      const mib = (b: number) => (b / 2 ** 20).toFixed(2);
      console.log(
        `${g} x ${g} tiles on ${ranks} MPI ranks: device MiB per rank ${
          perRank.map(mib).join(", ")
        }`,
      );
    }
  }
  if (options.json) {
    console.log(
      JSON.stringify({ frame: options.frame, batch: options.batch, ranks, cases }, null, 2),
    );
  }
}
