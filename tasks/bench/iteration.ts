/**
 * `deno task bench iteration [--json] [--reps N] [--cases 64x1600,128x400]`: seconds per
 * iteration of `cg`, `gd` and `epie` on Poisson data of a simulated Siemens star, and, in the same
 * run, the time of the FFTs alone: the very FFT calls (directions and batch sizes) that the
 * measured iterations made through `Fft2`, replayed on one buffer. Their ratio says how far the
 * iteration is from its FFT bound (target: at most 2 for cg and gd).
 *
 * JSON: `{ adapter, cases: [{ algorithm, frame, positions, device, s_per_iteration,
 * fft_only_s_per_iteration, fft_calls_per_iteration, device_bytes_peak }] }`. `epie` runs on the
 * float64 CPU reference (the GPU problem processes positions in batches, not one by one), so its
 * `device` is `cpu-float64`, with no FFT replay and no device bytes.
 *
 * Timing: medians over `--reps` single iterations (default 3) after one warm-up iteration that
 * absorbs pipeline compilation; wall time, each iteration ending in a read-back of its cost. Each
 * iteration's FFT replay runs right after it, so that both meet the same load. epie: one sweep.
 */
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import type { Fft2 } from "../../src/fft/mod.ts";
import { GpuProblem } from "../../src/problem/mod.ts";
import { ReferenceProblem } from "../../src/physics/mod.ts";
import { GradientSolver, pieSweep } from "../../src/solvers/mod.ts";
import { simulateDataset, type SimulatedDataset } from "../../src/simulate/mod.ts";

interface Row {
  algorithm: "cg" | "gd" | "epie";
  frame: number;
  positions: number;
  device: "gpu" | "cpu-float64";
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

async function gradientCase(
  gpu: Gpu,
  sim: SimulatedDataset,
  algorithm: "cg" | "gd",
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
  const solver = new GradientSolver(problem, x, { conjugate: algorithm === "cg" });
  await solver.step();
  // Each timed iteration is followed by the replay of its own FFT calls, so that both see the
  // same load on this shared machine; medians of both.
  const times: number[] = [];
  const replays: number[] = [];
  let callCount = 0;
  for (let r = 0; r < reps; r++) {
    calls.length = 0;
    recording = true;
    const start = performance.now();
    await solver.step();
    times.push((performance.now() - start) / 1000);
    recording = false;
    callCount += calls.length;
    replays.push(await replay(gpu, problem.fft, calls, model.frame));
  }
  const peak = gpu.memory.peak;
  solver.destroy();
  problem.destroy(x);
  problem.dispose();
  gpu.release(frames);
  return {
    algorithm,
    frame: model.frame,
    positions: dataset.count,
    device: "gpu",
    s_per_iteration: median(times),
    fft_only_s_per_iteration: median(replays),
    fft_calls_per_iteration: callCount / reps,
    device_bytes_peak: peak,
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

async function epieCase(sim: SimulatedDataset): Promise<Row> {
  const { dataset, truth, model } = sim;
  const frames = await dataset.frames.read(Array.from({ length: dataset.count }, (_, j) => j));
  const problem = new ReferenceProblem({ ...model, frames, noise: "poisson" });
  const x = problem.create("x");
  for (let i = 0; i < x.object.length; i += 2) x.object[i] = 1;
  x.probe.set(truth.probe);
  // The float64 reference compiles nothing: no warm-up. One sweep over every position.
  const start = performance.now();
  pieSweep(problem, x, { variant: "epie", refine: false, seed: 0 });
  const seconds = (performance.now() - start) / 1000;
  return {
    algorithm: "epie",
    frame: model.frame,
    positions: dataset.count,
    device: "cpu-float64",
    s_per_iteration: seconds,
    fft_only_s_per_iteration: null,
    fft_calls_per_iteration: null,
    device_bytes_peak: 0,
  };
}

/** Runs the benchmark and prints a table, or one JSON object with `--json`. */
export async function run(args: string[]): Promise<void> {
  const options = parse(args);
  const gpu = await requestGpu({ label: "bench iteration" });
  const rows: Row[] = [];
  try {
    for (const [frame, positions] of options.cases) {
      const sim = await simulateDataset({ preset: "siemens", frame, positions });
      for (const algorithm of ["cg", "gd"] as const) {
        rows.push(await gradientCase(gpu, sim, algorithm, options.reps));
      }
      rows.push(await epieCase(sim));
    }
  } finally {
    gpu.destroy();
  }
  if (options.json) {
    console.log(JSON.stringify({ adapter: gpu.info, cases: rows }, null, 2));
    return;
  }
  console.log(`adapter: ${gpu.info.description} (fallback ${gpu.info.fallback})`);
  console.log("algorithm  frame  positions  device       s/iter   fft-only s/iter  ratio  peak MB");
  for (const r of rows) {
    const ratio = r.fft_only_s_per_iteration ? r.s_per_iteration / r.fft_only_s_per_iteration : NaN;
    console.log(
      [
        r.algorithm.padEnd(9),
        String(r.frame).padStart(5),
        String(r.positions).padStart(10),
        r.device.padStart(12),
        r.s_per_iteration.toFixed(3).padStart(8),
        (r.fft_only_s_per_iteration?.toFixed(3) ?? "-").padStart(16),
        (Number.isNaN(ratio) ? "-" : ratio.toFixed(2)).padStart(6),
        (r.device_bytes_peak / 2 ** 20).toFixed(1).padStart(8),
      ].join("  "),
    );
  }
}
