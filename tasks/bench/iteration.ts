/**
 * `deno task bench iteration [--json] [--reps N] [--cases 64x1600,128x400]`: seconds per
 * iteration of `cg`, `gd` and `epie` on Poisson data of a simulated Siemens star, and, in the same
 * run, the time of the FFTs alone: the very FFT calls (directions and batch sizes) that the
 * measured iterations made through `Fft2`, replayed on one buffer. Their ratio says how far the
 * iteration is from its FFT bound (target: at most 2 for cg and gd). Calls that carry elementwise
 * work in their loads and stores (`FftOptions.fusion`) are replayed as plain transforms, so the
 * fused work counts in the iteration's time, not in the FFTs'.
 *
 * JSON: `{ adapter, cases: [{ algorithm, frame, positions, device, path, s_per_iteration,
 * fft_only_s_per_iteration, fft_calls_per_iteration, device_bytes_peak }] }`. An `epie` iteration
 * is one sweep of single-position updates, all recorded on the device. Rows with `path:
 * "engine"` time the same `cg` and `gd` as an untiled `reconstruct` runs them: the engine's
 * session on one tile, in process (`openTiledSession` with 1 x 1 tiles and one worker), from the
 * same start; they have no FFT replay (its fields are null). Rows with `path: "problem"` drive
 * `GpuProblem` directly.
 *
 * Timing: medians over `--reps` single iterations (default 3) after one warm-up iteration that
 * absorbs pipeline compilation; wall time, each iteration ending in a read-back of its cost. Each
 * iteration's FFT replay runs right after it, so that both meet the same load.
 */
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import type { Fft2 } from "../../src/fft/mod.ts";
import { GpuProblem, type GpuVariables } from "../../src/problem/mod.ts";
import { gpuUpdates, GradientSolver, pieSweep } from "../../src/solvers/mod.ts";
import { simulateDataset, type SimulatedDataset } from "../../src/simulate/mod.ts";
import { openTiledSession } from "../../src/tiled/mod.ts";

interface Row {
  algorithm: "cg" | "gd" | "epie";
  frame: number;
  positions: number;
  device: "gpu";
  path: "problem" | "engine";
  s_per_iteration: number;
  fft_only_s_per_iteration: number | null;
  fft_calls_per_iteration: number | null;
  device_bytes_peak: number;
}

/** One recorded FFT call. */
interface Call {
  inverse: boolean;
  batch: number;
}

function parse(args: string[]): { json: boolean; reps: number; cases: [number, number][] } {
  const out = { json: false, reps: 3, cases: [[64, 1600], [128, 400]] as [number, number][] };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--json") out.json = true;
    else if (args[i] === "--reps") out.reps = Number(args[++i]);
    else if (args[i] === "--cases") {
      out.cases = (args[++i] ?? "").split(",").map((c) =>
        c.split("x").map(Number) as [number, number]
      );
    } else {
      throw new RangeError(`Unknown option ${args[i]}: expected --json, --reps or --cases`);
    }
  }
  if (!(out.reps >= 1) || out.cases.some(([m, n]) => !(m >= 16 && n >= 1))) {
    throw new RangeError(`Expected --reps >= 1 and cases FRAMExPOSITIONS, got ${args.join(" ")}`);
  }
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
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

/** One iteration of an algorithm, a warm-up that compiles its pipelines, and cleanup. */
async function iterationOf(
  algorithm: "cg" | "gd" | "epie",
  problem: GpuProblem,
  x: GpuVariables,
): Promise<{ warmUp(): Promise<void>; step(): Promise<void>; destroy(): void }> {
  if (algorithm === "epie") {
    const target = await gpuUpdates(problem);
    const options = { variant: "epie", alpha: 1, beta: 1, probe: false } as const;
    let seed = 0;
    return {
      // A few positions compile every kernel a sweep uses; a whole sweep would only take longer.
      warmUp: async () => {
        for (let j = 0; j < Math.min(4, target.count); j++) target.step(x, j, options);
        await target.finish();
      },
      step: () => pieSweep(target, x, { variant: "epie", refine: false, seed: seed++ }),
      destroy: () => target.destroy(),
    };
  }
  const solver = new GradientSolver(problem, x, { conjugate: algorithm === "cg" });
  return {
    warmUp: async () => void (await solver.step()),
    step: async () => void (await solver.step()),
    destroy: () => solver.destroy(),
  };
}

async function gpuCase(
  gpu: Gpu,
  sim: SimulatedDataset,
  algorithm: "cg" | "gd" | "epie",
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
  const x = problem.upload(object, Float32Array.from(truth.probe));
  const calls: Call[] = [];
  let recording = false;
  recordCalls(problem.fft, calls, () => recording);
  const iteration = await iterationOf(algorithm, problem, x);
  await iteration.warmUp();
  // Each timed iteration is followed by the replay of its own FFT calls, so that both see the
  // same load on this shared machine; medians of both.
  const times: number[] = [];
  const replays: number[] = [];
  let callCount = 0;
  for (let r = 0; r < reps; r++) {
    calls.length = 0;
    recording = true;
    const start = performance.now();
    await iteration.step();
    times.push((performance.now() - start) / 1000);
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
    s_per_iteration: median(times),
    fft_only_s_per_iteration: median(replays),
    fft_calls_per_iteration: callCount / reps,
    device_bytes_peak: peak,
  };
}

/** `cg` or `gd` as an untiled run computes it: the engine's session on one tile, in process. */
async function engineCase(
  sim: SimulatedDataset,
  algorithm: "cg" | "gd",
  reps: number,
): Promise<Row> {
  const { dataset, truth } = sim;
  const object = new Float32Array(truth.object.length);
  for (let i = 0; i < object.length; i += 2) object[i] = 1;
  const session = await openTiledSession({
    dataset,
    tiles: [1, 1],
    workers: 1,
    exchange: "sync",
    algorithm,
    slices: 1,
    modes: 1,
    noise: "poisson",
    initial: { object, probe: Float32Array.from(truth.probe) },
  });
  const times: number[] = [];
  try {
    await session.step();
    for (let r = 0; r < reps; r++) {
      const start = performance.now();
      await session.step();
      times.push((performance.now() - start) / 1000);
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
    s_per_iteration: median(times),
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
      const sim = await simulateDataset({ preset: "siemens", frame, positions });
      for (const algorithm of ["cg", "gd", "epie"] as const) {
        rows.push(await gpuCase(gpu, sim, algorithm, options.reps));
      }
      for (const algorithm of ["cg", "gd"] as const) {
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
    "algorithm  frame  positions  device  path      s/iter   fft-only s/iter  ratio  peak MB",
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
        (fft === null ? "-" : fft.toFixed(3)).padStart(16),
        (fft === null ? "-" : (r.s_per_iteration / fft).toFixed(2)).padStart(6),
        (r.device_bytes_peak / 2 ** 20).toFixed(1).padStart(8),
      ].join("  "),
    );
  }
}
