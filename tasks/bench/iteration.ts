/**
 * `deno task bench iteration [--json] [--reps N] [--cases 64x1600,128x400] [--photons P]`:
 * seconds and evaluations of F per iteration of `cg`, `gd`, `epie`, `dm` and `raar` (and `lsqml` on the
 * engine's path) on the data of
 * `bench quality` (a smooth random object, neighbours 0.2 frame apart, 1e8 photons per frame by
 * default, the probe estimated from the data and refined from iteration 2), and, in the same
 * run, the time of the FFTs alone: the very FFT calls (directions and batch sizes) that the
 * measured iterations made through `Fft2`, replayed on one buffer. Their ratio says how far the
 * iteration is from its FFT bound (target: at most 2 for cg and gd). Calls that carry elementwise
 * work in their loads and stores (`FftOptions.fusion`) are replayed as plain transforms, so the
 * fused work counts in the iteration's time, not in the FFTs'.
 *
 * JSON: `{ adapter, cases: [{ algorithm, frame, positions, device, path, s_per_iteration,
 * evaluations_per_iteration (null on the engine's path), fft_only_s_per_iteration, fft_calls_per_iteration, device_bytes_peak }] }`. An `epie` iteration
 * is one sweep of single-position updates, all recorded on the device. Rows with `path:
 * "engine"` time the same `cg`, `gd` and `lsqml` as an untiled `reconstruct` runs them: the engine's
 * session on one tile, in process (`openEngineSession` with 1 x 1 tiles and one worker), from the
 * same start; they have no FFT replay (its fields are null). Rows with `path: "problem"` drive
 * `GpuProblem` directly.
 *
 * Timing: the mean over `--reps` single iterations (default 3) after warm-up iterations that
 * absorb pipeline compilation and reach the regime of a real run (probe refined, step sizes
 * settled; iterations 0 to 3); wall time, each iteration ending in a read-back of its cost. The
 * mean, as `bench quality` sums an iteration's seconds: an iteration that takes a second
 * evaluation of F counts with its cost, as it does in a run. Each iteration's FFT replay runs
 * right after it, so that both meet the same load.
 *
 * Why this data: on a Siemens star started from the true probe (this bench's data until the
 * issue "time to a good image"), every `cg` iteration accepted its first trial step, one
 * evaluation of F; on PtyPy's test case (larger object, probe refined) the old line search
 * (gamma from 1, halved) needed three per iteration, and the bench underestimated a real run
 * threefold.
 */
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import type { Fft2 } from "../../src/fft/mod.ts";
import { GpuProblem, type GpuVariables } from "../../src/problem/mod.ts";
import { gpuUpdates, GradientSolver, pieSweep, ProjectionSolver } from "../../src/solvers/mod.ts";
import type { SimulatedDataset } from "../../src/simulate/mod.ts";
import { openEngineSession } from "../../src/engine/mod.ts";
import { probeStart, qualityData, REFINE_PROBE_FROM } from "./_quality_data.ts";

interface Row {
  algorithm: "cg" | "gd" | "lsqml" | ProblemAlgorithm;
  frame: number;
  positions: number;
  device: "gpu";
  path: "problem" | "engine";
  s_per_iteration: number;
  /** Mean over the timed iterations; null on the engine's path, which does not count them. */
  evaluations_per_iteration: number | null;
  fft_only_s_per_iteration: number | null;
  fft_calls_per_iteration: number | null;
  device_bytes_peak: number;
}

/** One recorded FFT call. */
interface Call {
  inverse: boolean;
  batch: number;
}

/** Iterations before the timed ones: probe refinement starts, the step settles. */
const WARM_UP = REFINE_PROBE_FROM + 2;

function parse(
  args: string[],
): { json: boolean; reps: number; photons: number; cases: [number, number][] } {
  const out = {
    json: false,
    reps: 3,
    photons: 1e8,
    cases: [[64, 1600], [128, 400]] as [number, number][],
  };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--json") out.json = true;
    else if (args[i] === "--reps") out.reps = Number(args[++i]);
    else if (args[i] === "--photons") out.photons = Number(args[++i]);
    else if (args[i] === "--cases") {
      out.cases = (args[++i] ?? "").split(",").map((c) =>
        c.split("x").map(Number) as [number, number]
      );
    } else {
      throw new RangeError(
        `Unknown option ${args[i]}: expected --json, --reps, --cases or --photons`,
      );
    }
  }
  if (!(out.reps >= 1) || !(out.photons > 0) || out.cases.some(([m, n]) => !(m >= 16 && n >= 1))) {
    throw new RangeError(`Expected --reps >= 1 and cases FRAMExPOSITIONS, got ${args.join(" ")}`);
  }
  return out;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Makes `fft` log its calls into `calls` (when recording) and pass them on. */
function recordCalls(fft: Fft2, calls: Call[], recording: () => boolean): void {
  for (const inverse of [false, true]) {
    const name = inverse ? "inverse" : "forward";
    const original = fft[name].bind(fft);
    fft[name] = (src, dst, batch, options) => {
      if (recording()) calls.push({ inverse, batch });
      original(src, dst, batch, options);
    };
  }
}

/** The algorithms timed on `GpuProblem` directly, with their FFT replay. */
const PROBLEM_ALGORITHMS = ["cg", "gd", "epie", "dm", "raar"] as const;
type ProblemAlgorithm = typeof PROBLEM_ALGORITHMS[number];

/** One iteration of an algorithm (returning its evaluations of F), and cleanup. */
async function iterationOf(
  algorithm: ProblemAlgorithm,
  problem: GpuProblem,
  x: GpuVariables,
  refineProbeFrom: number | undefined,
): Promise<{ step(): Promise<number>; destroy(): void }> {
  if (algorithm === "epie") {
    const target = await gpuUpdates(problem);
    let iteration = 0;
    return {
      // As the engine's ePIE session: the cost for the progress line, then one sweep.
      step: async () => {
        const refine = refineProbeFrom !== undefined && iteration >= refineProbeFrom;
        problem.setActive({ object: true, probe: refine });
        await target.cost(x);
        await pieSweep(target, x, { variant: "epie", refine, seed: iteration++ });
        return 1;
      },
      destroy: () => target.destroy(),
    };
  }
  if (algorithm === "dm" || algorithm === "raar") {
    const projection = await ProjectionSolver.create(problem, x, { algorithm, refineProbeFrom });
    return {
      step: async () => (await projection.step()).evaluations,
      destroy: () => projection.destroy(),
    };
  }
  const solver = new GradientSolver(problem, x, { conjugate: algorithm === "cg", refineProbeFrom });
  return {
    step: async () => (await solver.step()).evaluations,
    destroy: () => solver.destroy(),
  };
}

async function gpuCase(
  gpu: Gpu,
  sim: SimulatedDataset,
  algorithm: ProblemAlgorithm,
  reps: number,
): Promise<Row> {
  const { dataset, truth, model } = sim;
  gpu.memory.resetPeak();
  // Uploaded here and released below: the problem frees only what it allocated itself.
  const all = await dataset.frames.read(Array.from({ length: dataset.count }, (_, j) => j));
  const frames = gpu.upload(all, "frames");
  const problem = await GpuProblem.create({
    gpu,
    frames,
    positionsX: model.positionsX,
    positionsY: model.positionsY,
    frame: model.frame,
    objectShape: model.objectShape,
  });
  const object = new Float32Array(truth.object.length);
  for (let i = 0; i < object.length; i += 2) object[i] = 1;
  const start = await probeStart(sim, "estimated");
  const x = problem.upload(object, start.probe);
  const calls: Call[] = [];
  let recording = false;
  recordCalls(problem.fft, calls, () => recording);
  const iteration = await iterationOf(algorithm, problem, x, start.refineProbeFrom);
  for (let i = 0; i < WARM_UP; i++) await iteration.step();
  // Each timed iteration is followed by the replay of its own FFT calls, so that both see the
  // same load on this shared machine; means of both.
  const times: number[] = [];
  const replays: number[] = [];
  let callCount = 0;
  let evaluations = 0;
  for (let r = 0; r < reps; r++) {
    calls.length = 0;
    recording = true;
    const t0 = performance.now();
    evaluations += await iteration.step();
    times.push((performance.now() - t0) / 1000);
    recording = false;
    callCount += calls.length;
    replays.push(await replay(gpu, problem.fft, calls, model.frame));
  }
  const peak = gpu.memory.peak;
  iteration.destroy();
  problem.destroy(x);
  problem.dispose();
  gpu.release(frames);
  return {
    algorithm,
    frame: model.frame,
    positions: dataset.count,
    device: "gpu",
    path: "problem",
    s_per_iteration: mean(times),
    evaluations_per_iteration: evaluations / reps,
    fft_only_s_per_iteration: mean(replays),
    fft_calls_per_iteration: callCount / reps,
    device_bytes_peak: peak,
  };
}

/**
 * `cg`, `gd` or `lsqml` as an untiled run computes it: the engine's session on one tile, in
 * process.
 */
async function engineCase(
  sim: SimulatedDataset,
  algorithm: "cg" | "gd" | "lsqml",
  reps: number,
): Promise<Row> {
  const { dataset, truth } = sim;
  const object = new Float32Array(truth.object.length);
  for (let i = 0; i < object.length; i += 2) object[i] = 1;
  const start = await probeStart(sim, "estimated");
  const session = await openEngineSession({
    dataset,
    tiles: [1, 1],
    workers: 1,
    exchange: "sync",
    algorithm,
    slices: 1,
    modes: 1,
    noise: "poisson",
    initial: { object, probe: start.probe },
    refineProbeFrom: start.refineProbeFrom,
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < WARM_UP; i++) await session.step();
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await session.step();
      times.push((performance.now() - t0) / 1000);
    }
  } finally {
    await session.destroy();
  }
  return {
    algorithm,
    frame: dataset.frame,
    positions: dataset.count,
    device: "gpu",
    path: "engine",
    s_per_iteration: mean(times),
    evaluations_per_iteration: null,
    fft_only_s_per_iteration: null,
    fft_calls_per_iteration: null,
    device_bytes_peak: session.deviceBytesPeak()[0],
  };
}

/** Seconds to run `calls` on one buffer of the largest batch, after a warm-up of each kind. */
async function replay(gpu: Gpu, fft: Fft2, calls: Call[], frame: number): Promise<number> {
  const largest = Math.max(...calls.map((c) => c.batch));
  const buffer = gpu.buffer(8 * largest * frame * frame, "fft replay");
  try {
    fft.forward(buffer, buffer, largest);
    fft.inverse(buffer, buffer, largest);
    await gpu.finish();
    const start = performance.now();
    for (const c of calls) {
      if (c.inverse) fft.inverse(buffer, buffer, c.batch);
      else fft.forward(buffer, buffer, c.batch);
    }
    await gpu.finish();
    return (performance.now() - start) / 1000;
  } finally {
    gpu.release(buffer);
  }
}

/** Runs the benchmark and prints a table, or one JSON object with `--json`. */
export async function run(args: string[]): Promise<void> {
  const options = parse(args);
  const gpu = await requestGpu({ label: "bench iteration" });
  const rows: Row[] = [];
  try {
    for (const [frame, positions] of options.cases) {
      const sim = await qualityData({ frame, positions, photons: options.photons });
      for (const algorithm of PROBLEM_ALGORITHMS) {
        rows.push(await gpuCase(gpu, sim, algorithm, options.reps));
      }
      for (const algorithm of ["cg", "gd", "lsqml"] as const) {
        rows.push(await engineCase(sim, algorithm, options.reps));
      }
    }
  } finally {
    gpu.destroy();
  }
  if (options.json) {
    console.log(JSON.stringify({ adapter: gpu.info, cases: rows }, null, 2));
    return;
  }
  console.log(`adapter: ${gpu.info.description} (fallback ${gpu.info.fallback})`);
  console.log(
    "algorithm  frame  positions  device  path      s/iter  evals/iter   fft-only s/iter  ratio  " +
      "peak MB",
  );
  for (const r of rows) {
    const fft = r.fft_only_s_per_iteration;
    console.log(
      [
        r.algorithm.padEnd(9),
        String(r.frame).padStart(5),
        String(r.positions).padStart(10),
        r.device.padStart(6),
        r.path.padEnd(7),
        r.s_per_iteration.toFixed(3).padStart(8),
        (r.evaluations_per_iteration?.toFixed(2) ?? "-").padStart(10),
        (fft === null ? "-" : fft.toFixed(3)).padStart(16),
        (fft === null ? "-" : (r.s_per_iteration / fft).toFixed(2)).padStart(6),
        (r.device_bytes_peak / 2 ** 20).toFixed(1).padStart(8),
      ].join("  "),
    );
  }
}
