/**
 * `deno task bench iteration [--json] [--iterations N] [--cases 64x1600,128x400] [--photons P]
 * [--algorithms cg,gd,lsqml,dm,raar,epie]`:
 * seconds and evaluations of F per iteration of `cg`, `gd`, `lsqml`, `dm`, `raar` and `epie` as
 * `reconstruct` runs them, on the data of `bench quality` (a smooth random object, neighbours 0.2
 * frame apart, 1e8 photons per frame by default, the probe estimated from the data and refined
 * from iteration 2), and, in the same run, the time of the FFTs alone: the very FFT calls
 * (directions and batch sizes) that the measured iterations made through `Fft2`, replayed on one
 * buffer. Their ratio says how far the iteration is from its FFT bound (target: at most 2 for cg
 * and gd). Calls that carry elementwise work in their loads and stores (`FftOptions.fusion`) are
 * replayed as plain transforms, so the fused work counts in the iteration's time, not in the FFTs'.
 *
 * What runs: the algorithms of the engine through its session on one tile, in process
 * (`openEngineSession` with 1 x 1 tiles and one worker: `path: "engine"`), as an untiled
 * `reconstruct` runs them; `epie` on `GpuProblem` (`path: "problem"`), as its session does (the
 * cost for the progress line, then one sweep).
 *
 * Timing: the first `--iterations` (default 20) iterations of a run from the default start (flat
 * object, estimated probe), each up to the end of the session's step, which returns with the
 * engine's device idle (as in `reconstruct`; `epie`'s sweep ends so too), their mean; pipelines
 * are compiled first by one iteration, the probe refined, on a spare start (for the engine, a
 * session of its own, whose compiled shaders Mesa's disk cache keeps for the timed one). The
 * same iterations and statistic as `bench quality`'s seconds per iteration, so that the two
 * agree on the same data: early iterations take more evaluations of F than later ones (the probe
 * joins at iteration 2), and timing a few settled ones (iterations 4 to 6, as this bench did)
 * missed them. Each timed iteration's FFT replay runs right after it, so that both meet the same
 * load; before the step ended idle, `dm`'s and `raar`'s probe pass (queued after their cost's
 * read-back) ran under the replay and the next iteration here, and outside the timing in
 * `bench quality` (docs/DESIGN.md, Measuring).
 *
 * JSON: `{ adapter, cases: [{ algorithm, frame, positions, device, path, iterations,
 * s_per_iteration, evaluations_per_iteration, fft_only_s_per_iteration, fft_calls_per_iteration,
 * device_bytes_peak }] }`.
 */
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import { Fft2 } from "../../src/fft/mod.ts";
import { GpuProblem, type GpuVariables } from "../../src/problem/mod.ts";
import { gpuUpdates, pieSweep } from "../../src/solvers/mod.ts";
import type { SimulatedDataset } from "../../src/simulate/mod.ts";
import { openEngineSession } from "../../src/engine/mod.ts";
import { flatObject, probeStart, qualityData } from "./_quality_data.ts";

/** What the engine runs (`path: "engine"`); `epie` runs on `GpuProblem`. */
const ENGINE_ALGORITHMS = ["cg", "gd", "lsqml", "dm", "raar"] as const;
type EngineAlgorithm = typeof ENGINE_ALGORITHMS[number];
const ALGORITHMS = [...ENGINE_ALGORITHMS, "epie"] as const;
type Algorithm = typeof ALGORITHMS[number];

interface Row {
  algorithm: Algorithm;
  frame: number;
  positions: number;
  device: "gpu";
  path: "problem" | "engine";
  iterations: number;
  s_per_iteration: number;
  evaluations_per_iteration: number;
  fft_only_s_per_iteration: number;
  fft_calls_per_iteration: number;
  device_bytes_peak: number;
}

/** One recorded FFT call. */
interface Call {
  inverse: boolean;
  batch: number;
}

interface Options {
  json: boolean;
  iterations: number;
  photons: number;
  cases: [number, number][];
  algorithms: Algorithm[];
}

function parse(args: string[]): Options {
  const out: Options = {
    json: false,
    iterations: 20,
    photons: 1e8,
    cases: [[64, 1600], [128, 400]],
    algorithms: [...ALGORITHMS],
  };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--json") out.json = true;
    else if (args[i] === "--iterations") out.iterations = Number(args[++i]);
    else if (args[i] === "--photons") out.photons = Number(args[++i]);
    else if (args[i] === "--algorithms") {
      out.algorithms = (args[++i] ?? "").split(",") as Algorithm[];
    } else if (args[i] === "--cases") {
      out.cases = (args[++i] ?? "").split(",").map((c) =>
        c.split("x").map(Number) as [number, number]
      );
    } else {
      throw new RangeError(
        `Unknown option ${args[i]}: expected --json, --iterations, --cases, --photons or ` +
          "--algorithms",
      );
    }
  }
  if (
    !Number.isInteger(out.iterations) || out.iterations < 1 || !(out.photons > 0) ||
    out.cases.some(([m, n]) => !(m >= 16 && n >= 1)) ||
    out.algorithms.some((a) => !ALGORITHMS.includes(a))
  ) {
    throw new RangeError(
      `Expected --iterations >= 1, cases FRAMExPOSITIONS and algorithms of ${ALGORITHMS}, ` +
        `got ${args.join(" ")}`,
    );
  }
  return out;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Makes every `Fft2` log its calls into `calls` while `recording()` (the engine's plans are its
 * own, made inside its session); returns the function that puts the methods back.
 */
function recordCalls(calls: Call[], recording: () => boolean): () => void {
  const proto = Fft2.prototype;
  const { forward, inverse } = proto;
  proto.forward = function (this: Fft2, src, dst, batch, options) {
    if (recording()) calls.push({ inverse: false, batch });
    forward.call(this, src, dst, batch, options);
  };
  proto.inverse = function (this: Fft2, src, dst, batch, options) {
    if (recording()) calls.push({ inverse: true, batch });
    inverse.call(this, src, dst, batch, options);
  };
  return () => Object.assign(proto, { forward, inverse });
}

/** One iteration of a run (returning its evaluations of F), and the run's peak and cleanup. */
interface Run {
  step(): Promise<number>;
  peak(): number;
  destroy(): Promise<void>;
}

/**
 * An algorithm of the engine as an untiled `reconstruct` runs it: the engine's session on one
 * tile, in process, refining the probe from `refineProbeFrom`.
 */
async function engineRun(
  sim: SimulatedDataset,
  algorithm: EngineAlgorithm,
  refineProbeFrom: number | undefined,
): Promise<Run> {
  const start = await probeStart(sim, "estimated");
  const session = await openEngineSession({
    dataset: sim.dataset,
    tiles: [1, 1],
    workers: 1,
    exchange: "sync",
    algorithm,
    slices: 1,
    modes: 1,
    noise: "poisson",
    initial: { object: flatObject(sim), probe: start.probe },
    refineProbeFrom,
  });
  return {
    step: async () => {
      await session.step();
      return session.evaluations[session.evaluations.length - 1];
    },
    peak: () => session.deviceBytesPeak()[0],
    destroy: () => session.destroy(),
  };
}

/**
 * `epie` as its session runs it (`pie_session.ts`): the cost for the progress line, then one
 * sweep, on `GpuProblem` over the data set's frames.
 */
async function pieRun(
  gpu: Gpu,
  sim: SimulatedDataset,
  refineProbeFrom: number | undefined,
): Promise<Run> {
  const { dataset, model } = sim;
  const problem = await GpuProblem.create({
    gpu,
    frames: dataset.frames,
    positionsX: model.positionsX,
    positionsY: model.positionsY,
    frame: model.frame,
    objectShape: model.objectShape,
  });
  const start = await probeStart(sim, "estimated");
  const x: GpuVariables = problem.upload(flatObject(sim), start.probe);
  const target = await gpuUpdates(problem);
  let iteration = 0;
  return {
    step: async () => {
      const refine = refineProbeFrom !== undefined && iteration >= refineProbeFrom;
      problem.setActive({ object: true, probe: refine });
      await target.cost(x);
      await pieSweep(target, x, { variant: "epie", refine, seed: iteration++ });
      return 1;
    },
    peak: () => gpu.memory.peak,
    destroy: () => {
      target.destroy();
      problem.destroy(x);
      problem.dispose();
      return Promise.resolve();
    },
  };
}

/**
 * Times the first `iterations` iterations of a run of `algorithm`, after one iteration that
 * compiles its pipelines (the probe refined) on a spare run, each followed by the replay of its
 * own FFT calls on `fft` (the bench's device), so that both see the same load; means of both.
 */
async function timeCase(
  gpu: Gpu,
  fft: Fft2,
  sim: SimulatedDataset,
  algorithm: Algorithm,
  iterations: number,
): Promise<Row> {
  const open = (refineProbeFrom: number | undefined) =>
    algorithm === "epie"
      ? pieRun(gpu, sim, refineProbeFrom)
      : engineRun(sim, algorithm, refineProbeFrom);
  const spare = await open(0);
  try {
    await spare.step();
  } finally {
    await spare.destroy();
  }
  gpu.memory.resetPeak();
  const { refineProbeFrom } = await probeStart(sim, "estimated");
  const run = await open(refineProbeFrom);
  const calls: Call[] = [];
  let recording = false;
  const restore = recordCalls(calls, () => recording);
  const times: number[] = [];
  const replays: number[] = [];
  let callCount = 0;
  let evaluations = 0;
  let peak: number;
  try {
    for (let i = 0; i < iterations; i++) {
      calls.length = 0;
      recording = true;
      const t0 = performance.now();
      evaluations += await run.step();
      times.push((performance.now() - t0) / 1000);
      recording = false;
      callCount += calls.length;
      replays.push(await replay(gpu, fft, calls));
    }
    peak = run.peak();
  } finally {
    restore();
    await run.destroy();
  }
  return {
    algorithm,
    frame: sim.model.frame,
    positions: sim.dataset.count,
    device: "gpu",
    path: algorithm === "epie" ? "problem" : "engine",
    iterations,
    s_per_iteration: mean(times),
    evaluations_per_iteration: evaluations / iterations,
    fft_only_s_per_iteration: mean(replays),
    fft_calls_per_iteration: callCount / iterations,
    device_bytes_peak: peak,
  };
}

/** Seconds to run `calls` on one buffer of the largest batch, after a warm-up of each kind. */
async function replay(gpu: Gpu, fft: Fft2, calls: Call[]): Promise<number> {
  const largest = Math.max(...calls.map((c) => c.batch));
  const buffer = gpu.buffer(8 * largest * fft.n * fft.n, "fft replay");
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
      const fft = await Fft2.create(gpu, frame);
      try {
        for (const algorithm of options.algorithms) {
          rows.push(await timeCase(gpu, fft, sim, algorithm, options.iterations));
        }
      } finally {
        fft.destroy();
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
    "algorithm  frame  positions  device  path     its    s/iter  evals/iter   fft-only s/iter  " +
      "ratio  peak MB",
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
        String(r.iterations).padStart(3),
        r.s_per_iteration.toFixed(3).padStart(8),
        r.evaluations_per_iteration.toFixed(2).padStart(10),
        fft.toFixed(3).padStart(16),
        (r.s_per_iteration / fft).toFixed(2).padStart(6),
        (r.device_bytes_peak / 2 ** 20).toFixed(1).padStart(8),
      ].join("  "),
    );
  }
}
