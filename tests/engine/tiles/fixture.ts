import type { Dataset } from "../../../src/data/mod.ts";
import { requestGpu } from "../../../src/gpu/mod.ts";
import { GpuProblem } from "../../../src/problem/mod.ts";
import { simulateDataset } from "../../../src/simulate/mod.ts";
import { GradientSolver } from "../../../src/solvers/mod.ts";
import { type EngineSessionOptions, openEngineSession } from "../../../src/engine/mod.ts";
import type { Rect } from "../../../src/tiling/mod.ts";

/** A tiled run's options without its tiles and workers. */
export type Run = Omit<EngineSessionOptions, "tiles" | "workers">;

/** The acceptance data set: siemens star, frame 64, 400 positions on a Fermat spiral. */
export async function acceptanceSet(): Promise<{ dataset: Dataset; truth: Float64Array[] }> {
  const { dataset, truth } = await simulateDataset({
    preset: "siemens",
    frame: 64,
    positions: 400,
    seed: 3,
  });
  return { dataset, truth: [truth.object, truth.probe] };
}

/**
 * The true object with a phase error of up to `amplitude` radians that varies from pixel to
 * pixel, and the true (known) probe.
 */
export function nearTruth(truth: Float64Array[], amplitude: number): Run["initial"] {
  const object = Float32Array.from(truth[0]);
  for (let i = 0; i < object.length / 2; i++) {
    const a = amplitude * Math.sin(i * 0.37);
    const [re, im] = [object[2 * i], object[2 * i + 1]];
    object[2 * i] = re * Math.cos(a) - im * Math.sin(a);
    object[2 * i + 1] = re * Math.sin(a) + im * Math.cos(a);
  }
  return { object, probe: Float32Array.from(truth[1]) };
}

/** Runs `iterations` iterations on `tiles` and `workers` and returns the result. */
export async function reconstructTiled(
  run: Run,
  tiles: [number, number],
  workers: number,
  iterations: number,
) {
  const session = await openEngineSession({ ...run, tiles, workers });
  try {
    for (let i = 0; i < iterations; i++) await session.step();
    return { ...await session.result(), adapter: session.adapter, costs: [...session.costs] };
  } finally {
    await session.destroy();
  }
}

/**
 * The same run on one device without tiles, as `--tiles 1x1` runs it (`GpuProblem` over the
 * whole object with its default batches, driven by the same solver).
 */
export async function reconstructUntiled(run: Run, iterations: number) {
  const { dataset } = run;
  const gpu = await requestGpu({ label: "untiled" });
  const problem = await GpuProblem.create({
    gpu,
    frames: dataset.frames,
    positionsY: dataset.positionsY,
    positionsX: dataset.positionsX,
    frame: dataset.frame,
    objectShape: dataset.objectShape,
    slices: run.slices,
    modes: run.modes,
    noise: run.noise,
    mask: dataset.mask,
    sliceDistance: run.propagation?.sliceDistance,
    wavelength: run.propagation?.wavelength,
    pixelSize: run.propagation?.pixelSize,
  });
  const x = problem.upload(run.initial.object, run.initial.probe);
  const solver = new GradientSolver(problem, x, {
    conjugate: run.algorithm === "cg",
    refineProbeFrom: run.refineProbeFrom,
  });
  try {
    for (let i = 0; i < iterations; i++) await solver.step();
    return await problem.download(x);
  } finally {
    solver.destroy();
    problem.destroy(x);
    problem.dispose();
    gpu.destroy();
  }
}

/** `probe` (one M x M mode) followed by a second, weaker mode: its values in another order. */
export function withSecondMode(probe: Float32Array, frame: number): Float32Array {
  const m2 = frame ** 2;
  const out = new Float32Array(4 * m2);
  out.set(probe);
  for (let i = 0; i < 2 * m2; i++) out[2 * m2 + i] = 0.1 * probe[(7 * i) % (2 * m2)];
  return out;
}

/**
 * A 2-slice, 2-mode run with probe refinement from `refineProbeFrom`, Gaussian noise, started
 * near the truth of a simulated multislice data set (the second probe mode is added).
 */
export function twoSliceTwoModeRun(
  { dataset, truth }: { dataset: Dataset; truth: { object: Float64Array; probe: Float64Array } },
  o: { algorithm: "cg" | "gd"; refineProbeFrom: number },
): Run {
  const initial = nearTruth([truth.object, truth.probe], 0.2);
  return {
    dataset,
    exchange: "sync",
    algorithm: o.algorithm,
    refineProbeFrom: o.refineProbeFrom,
    slices: 2,
    modes: 2,
    noise: "gaussian",
    initial: { object: initial.object, probe: withSecondMode(initial.probe, dataset.frame) },
    propagation: {
      sliceDistance: dataset.sliceThickness!,
      wavelength: dataset.geometry.wavelength,
      pixelSize: dataset.geometry.objectPixel,
    },
  };
}

/**
 * Mean absolute phase error within 2 px of an inner tile border (the edge of a pixel's core that
 * another core continues), and elsewhere.
 */
export function borderErrors(
  error: Float64Array,
  mask: Uint8Array,
  shape: [number, number],
  cores: Rect[],
): { border: number; elsewhere: number } {
  const [h, w] = shape;
  const nearEdge = (v: number, start: number, length: number, size: number) =>
    (start > 0 && v < start + 2) || (start + length < size && v >= start + length - 2);
  const sums = { border: [0, 0], elsewhere: [0, 0] };
  for (const c of cores) {
    for (let y = c.y0; y < c.y0 + c.height; y++) {
      for (let x = c.x0; x < c.x0 + c.width; x++) {
        if (!mask[y * w + x]) continue;
        const near = nearEdge(y, c.y0, c.height, h) || nearEdge(x, c.x0, c.width, w);
        const s = near ? sums.border : sums.elsewhere;
        s[0] += error[y * w + x];
        s[1]++;
      }
    }
  }
  return {
    border: sums.border[0] / sums.border[1],
    elsewhere: sums.elsewhere[0] / sums.elsewhere[1],
  };
}
