/**
 * `deno task bench quality [--json] [--quick] [options]`: time to a good image. For each
 * condition (frame, photons per frame, probe known or estimated from the data and refined from
 * iteration 2, with the defocus search or, `flat`, without) on the data of `_quality_data.ts` and each algorithm, one run on one device
 * reporting seconds per iteration, evaluations of F per iteration, phase PSNR after 10, 20 and 50
 * iterations and the iteration seconds needed to reach 30 and 33 dB.
 *
 * Options: `--frames 64,128`, `--photons 1e8,1e4`, `--probes known,estimated,flat`,
 * `--algorithms cg,gd,lsqml,epie,rpie,dm,raar,cg-gaussian,gd-gaussian,lsqml-gaussian` (`-gaussian`: the same solver on the
 * Gaussian amplitude cost), `--positions 400`, `--iterations 50`; `--quick` is a smoke run
 * (frame 32, 40 positions, 1e8 photons, estimated probe, 3 iterations of every algorithm).
 *
 * JSON: `{ adapter, load_average, cases: [{ algorithm, noise, frame, positions, photons, probe,
 * iterations, start_seconds, s_per_iteration, evaluations_per_iteration, psnr_db: { "10", "20", "50" },
 * seconds_to_db: { "30", "33" }, iterations_to_db: { "30", "33" }, final_psnr_db }] }`
 * (`iterations_to_db`: the iterations run when the level was first reached, the table's
 * `it->33dB`); a PSNR after more iterations than were run, or a level never reached, is null.
 *
 * Runs: `cg`, `gd`, `lsqml`, `dm` and `raar` (and their `-gaussian` versions) run through the
 * engine's session on one tile, in process, as an untiled `reconstruct` runs them and as
 * `bench iteration` times them; `epie` and `rpie` on `GpuProblem`, as their session does.
 *
 * Timing: wall time of each iteration up to the end of the session's step, which returns with
 * the device idle (as the progress line measures it; `epie`'s and `rpie`'s sweeps end so too),
 * summed, after one iteration of a spare run that compiles the pipelines; the object is read
 * back and scored between iterations, outside the timing, and finds no work of the iteration
 * left to wait for (`bench iteration` times the same). PSNR is
 * the phase PSNR of `reconstruct`'s report (global phase and ramp removed) over the pixels the
 * true probe illuminates.
 */
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import { GpuProblem, type GpuVariables } from "../../src/problem/mod.ts";
import { gpuUpdates, pieSweep } from "../../src/solvers/mod.ts";
import { openEngineSession } from "../../src/engine/mod.ts";
import { phasePsnr, scannedArea } from "../../src/metrics/mod.ts";
import type { SimulatedDataset } from "../../src/simulate/mod.ts";
import { flatObject, type ProbeStart, probeStart, qualityData } from "./_quality_data.ts";

const ALGORITHMS = [
  "cg",
  "gd",
  "lsqml",
  "epie",
  "rpie",
  "dm",
  "raar",
  "cg-gaussian",
  "gd-gaussian",
  "lsqml-gaussian",
] as const;
type Algorithm = typeof ALGORITHMS[number];
/** Iterations after which the PSNR is reported, and the levels timed. */
const PSNR_AFTER = [10, 20, 50] as const;
const LEVELS = [30, 33] as const;

interface Options {
  json: boolean;
  frames: number[];
  photons: number[];
  probes: ProbeStart[];
  algorithms: Algorithm[];
  positions: number;
  iterations: number;
}

/** One run's figures (snake case: the JSON's field names). */
export interface QualityRow {
  algorithm: Algorithm;
  noise: "poisson" | "gaussian";
  frame: number;
  positions: number;
  photons: number;
  probe: ProbeStart;
  iterations: number;
  s_per_iteration: number;
  /** Host seconds of the initial probe's estimate (mean frame, defocus search), 0 if known. */
  start_seconds: number;
  evaluations_per_iteration: number;
  psnr_db: Record<string, number | null>;
  seconds_to_db: Record<string, number | null>;
  /** The iterations run when each level was first reached (null if never). */
  iterations_to_db: Record<string, number | null>;
  final_psnr_db: number;
}

function list<T>(text: string | undefined, allowed: readonly T[] | null, name: string): T[] {
  const values = (text ?? "").split(",").map((v) => (allowed ? v : Number(v)) as T);
  const bad = values.filter((v) =>
    allowed ? !allowed.includes(v) : !(Number.isFinite(v as number) && (v as number) > 0)
  );
  if (values.length === 0 || bad.length > 0) {
    throw new RangeError(
      `Expected --${name} as a comma-separated list${
        allowed ? ` of ${allowed.join(", ")}` : ""
      }, ` +
        `got ${text}`,
    );
  }
  return values;
}

function parse(args: string[]): Options {
  const o: Options = {
    json: false,
    frames: [64, 128],
    photons: [1e8, 1e4],
    probes: ["known", "estimated"],
    algorithms: [...ALGORITHMS],
    positions: 400,
    iterations: 50,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") o.json = true;
    else if (a === "--quick") {
      Object.assign(o, {
        frames: [32],
        photons: [1e8],
        probes: ["estimated"],
        positions: 40,
        iterations: 3,
      });
    } else if (a === "--frames") o.frames = list(args[++i], null, "frames");
    else if (a === "--photons") o.photons = list(args[++i], null, "photons");
    else if (a === "--probes") {
      o.probes = list(args[++i], ["known", "estimated", "flat"] as const, "probes");
    } else if (a === "--algorithms") o.algorithms = list(args[++i], ALGORITHMS, "algorithms");
    else if (a === "--positions") o.positions = list<number>(args[++i], null, "positions")[0];
    else if (a === "--iterations") o.iterations = list<number>(args[++i], null, "iterations")[0];
    else {
      throw new RangeError(
        `Unknown option ${a}: expected --json, --quick, --frames, --photons, --probes, ` +
          "--algorithms, --positions or --iterations",
      );
    }
  }
  if (o.frames.some((m) => !Number.isInteger(Math.log2(m)) || m < 16)) {
    throw new RangeError(`Expected frames that are powers of two >= 16, got ${o.frames}`);
  }
  return o;
}

/** One iteration of an algorithm and its evaluations of F; the object, read back between them. */
interface Iteration {
  step(): Promise<number>;
  object(): Promise<Float32Array>;
  destroy(): Promise<void>;
}

/**
 * A run of `algorithm` from `start`, as an untiled `reconstruct` runs it: `cg`, `gd`, `lsqml`,
 * `dm` and `raar` through the engine's session on one tile, in process (`bench iteration` times
 * the same); `epie` and `rpie` on `GpuProblem` over the data set's frames, as their session
 * (`pie_session.ts`): the cost for the progress line, then one sweep.
 */
async function runOf(
  gpu: Gpu,
  sim: SimulatedDataset,
  algorithm: Algorithm,
  start: { probe: Float32Array; refineProbeFrom: number | undefined },
): Promise<Iteration> {
  const { dataset, model } = sim;
  const noise = algorithm.endsWith("-gaussian") ? "gaussian" : "poisson";
  if (algorithm === "epie" || algorithm === "rpie") {
    const problem = await GpuProblem.create({
      gpu,
      frames: dataset.frames,
      positionsY: model.positionsY,
      positionsX: model.positionsX,
      frame: model.frame,
      objectShape: model.objectShape,
      noise,
    });
    const x: GpuVariables = problem.upload(flatObject(sim), start.probe);
    const target = await gpuUpdates(problem);
    let iteration = 0;
    return {
      step: async () => {
        const refine = start.refineProbeFrom !== undefined && iteration >= start.refineProbeFrom;
        problem.setActive({ object: true, probe: refine });
        await target.cost(x);
        await pieSweep(target, x, { variant: algorithm, refine, seed: iteration++ });
        return 1;
      },
      object: async () => (await problem.download(x)).object,
      destroy: () => {
        target.destroy();
        problem.destroy(x);
        problem.dispose();
        return Promise.resolve();
      },
    };
  }
  const session = await openEngineSession({
    dataset,
    tiles: [1, 1],
    workers: 1,
    exchange: "sync",
    algorithm: algorithm.replace("-gaussian", "") as "cg" | "gd" | "lsqml" | "dm" | "raar",
    slices: 1,
    modes: 1,
    noise,
    initial: { object: flatObject(sim), probe: start.probe },
    refineProbeFrom: start.refineProbeFrom,
  });
  return {
    step: async () => {
      await session.step();
      return session.evaluations[session.evaluations.length - 1];
    },
    object: async () => (await session.result()).object.data,
    destroy: () => session.destroy(),
  };
}

/** Runs one algorithm on one condition and scores it after every iteration. */
async function runCase(
  gpu: Gpu,
  sim: SimulatedDataset,
  c: { algorithm: Algorithm; probe: ProbeStart; photons: number; iterations: number },
): Promise<QualityRow> {
  const { dataset, truth, model } = sim;
  const noise = c.algorithm.endsWith("-gaussian") ? "gaussian" : "poisson";
  const start = await probeStart(sim, c.probe);
  const { seconds: startSeconds } = start;
  // One iteration of a spare run first, probe refined, compiles every pipeline outside the timing.
  const spare = await runOf(gpu, sim, c.algorithm, { probe: start.probe, refineProbeFrom: 0 });
  try {
    await spare.step();
  } finally {
    await spare.destroy();
  }
  const mask = scannedArea({ ...model, probe: truth.probe });
  const iteration = await runOf(gpu, sim, c.algorithm, start);
  const psnrs: number[] = [];
  // The seconds to a level count the probe's estimate on the host; the seconds per iteration not.
  let seconds = startSeconds;
  let evaluations = 0;
  const secondsTo: Record<string, number | null> = Object.fromEntries(
    LEVELS.map((l) => [String(l), null]),
  );
  const iterationsTo: Record<string, number | null> = { ...secondsTo };
  try {
    for (let i = 0; i < c.iterations; i++) {
      const t0 = performance.now();
      evaluations += await iteration.step();
      seconds += (performance.now() - t0) / 1000;
      const psnr = phasePsnr({
        reconstruction: await iteration.object(),
        truth: truth.object,
        shape: model.objectShape,
        mask,
      });
      psnrs.push(psnr);
      for (const level of LEVELS) {
        if (psnr >= level && secondsTo[level] === null) {
          secondsTo[level] = seconds;
          iterationsTo[level] = i + 1;
        }
      }
    }
  } finally {
    await iteration.destroy();
  }
  return {
    algorithm: c.algorithm,
    noise,
    frame: model.frame,
    positions: dataset.count,
    photons: c.photons,
    probe: c.probe,
    iterations: c.iterations,
    s_per_iteration: (seconds - startSeconds) / c.iterations,
    start_seconds: startSeconds,
    evaluations_per_iteration: evaluations / c.iterations,
    psnr_db: Object.fromEntries(PSNR_AFTER.map((n) => [String(n), psnrs[n - 1] ?? null])),
    seconds_to_db: secondsTo,
    iterations_to_db: iterationsTo,
    final_psnr_db: psnrs[psnrs.length - 1],
  };
}

/** What {@link measureQuality} found. */
export interface QualityResult {
  adapter: { description: string; fallback: boolean };
  /** The machine's 1, 5 and 15 minute load averages at the end (it is shared). */
  load_average: number[];
  cases: QualityRow[];
}

/**
 * Runs every case of the options (`args` as on the command line); `progress` receives each row
 * as it is done.
 */
export async function measureQuality(
  args: string[],
  progress: (row: QualityRow) => void = () => {},
): Promise<QualityResult> {
  const o = parse(args);
  const gpu = await requestGpu({ label: "bench quality" });
  const rows: QualityRow[] = [];
  try {
    for (const frame of o.frames) {
      for (const photons of o.photons) {
        const sim = await qualityData({ frame, positions: o.positions, photons });
        try {
          for (const probe of o.probes) {
            for (const algorithm of o.algorithms) {
              const row = await runCase(gpu, sim, {
                algorithm,
                probe,
                photons,
                iterations: o.iterations,
              });
              rows.push(row);
              progress(row);
            }
          }
        } finally {
          sim.dataset.frames.close();
        }
      }
    }
  } finally {
    gpu.destroy();
  }
  return { adapter: gpu.info, load_average: Deno.loadavg(), cases: rows };
}

/** Runs the benchmark and prints a table (rows on stderr as they finish), or JSON with `--json`. */
export async function run(args: string[]): Promise<void> {
  const json = args.includes("--json");
  if (!json) console.error(HEADER);
  const result = await measureQuality(args, (row) => json || console.error(format(row)));
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const { adapter, load_average: load } = result;
  console.log(`adapter: ${adapter.description} (fallback ${adapter.fallback})`);
  console.log(`load average: ${load.map((v) => v.toFixed(2)).join(", ")}`);
  console.log(HEADER);
  for (const row of result.cases) console.log(format(row));
}

const HEADER =
  "algorithm     frame  photons  probe      start s  s/iter  evals/iter  PSNR@10  PSNR@20  PSNR@50  " +
  "PSNR@end  s->30dB  s->33dB  it->33dB";

function format(r: QualityRow): string {
  const db = (v: number | null) => (v === null ? "-" : v.toFixed(1)).padStart(7);
  const s = (v: number | null) => (v === null ? "-" : v.toFixed(1)).padStart(7);
  return [
    r.algorithm.padEnd(12),
    String(r.frame).padStart(5),
    r.photons.toExponential(0).padStart(7),
    r.probe.padEnd(9),
    r.start_seconds.toFixed(2).padStart(7),
    r.s_per_iteration.toFixed(3).padStart(7),
    r.evaluations_per_iteration.toFixed(2).padStart(10),
    db(r.psnr_db["10"]),
    db(r.psnr_db["20"]),
    db(r.psnr_db["50"]),
    r.final_psnr_db.toFixed(1).padStart(8),
    s(r.seconds_to_db["30"]),
    s(r.seconds_to_db["33"]),
    String(r.iterations_to_db["33"] ?? "-").padStart(8),
  ].join("  ");
}
