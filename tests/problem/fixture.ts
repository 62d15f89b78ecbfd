/** A small simulated reconstruction problem shared by the cost and problem tests. */
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import { ReferenceModel } from "../../src/physics/reference.ts";
import type { NoiseModel } from "../../src/physics/reference.ts";
import { GpuProblem, type GpuProblemOptions, type GpuVariables } from "../../src/problem/mod.ts";
import { randomPositions } from "../operators/setup.ts";

export const M = 16;
export const SHAPE: [number, number] = [44, 50];
export const PROPAGATION = { wavelength: 1e-10, sliceThickness: 4e-8, pixelSize: 1e-8 };

export interface CaseOptions {
  slices: number;
  modes: number;
  noise: NoiseModel;
  positions?: number;
  mask?: boolean;
  batchSize?: number;
}

export interface Case {
  gpu: Gpu;
  problem: GpuProblem;
  model: ReferenceModel;
  frames: Float32Array;
  /** A point near the truth, where the gradient is not small, as float64 and on the device. */
  object: Float64Array;
  probe: Float64Array;
  x: GpuVariables;
  options: GpuProblemOptions;
}

/** A smooth random object (amplitude near 1, phase within +-0.5) of `slices` slices. */
function randomObject(slices: number): Float64Array {
  const out = new Float64Array(2 * slices * SHAPE[0] * SHAPE[1]);
  for (let i = 0; i < out.length / 2; i++) {
    const a = 1 + 0.2 * (Math.random() - 0.5);
    const phase = Math.random() - 0.5;
    [out[2 * i], out[2 * i + 1]] = [a * Math.cos(phase), a * Math.sin(phase)];
  }
  return out;
}

/**
 * K Gaussian probe modes with a defocus phase (a smooth, broad far field without dark speckles,
 * where the Poisson cost would be needlessly stiff), about 100 counts per bright pixel.
 */
function randomProbe(modes: number): Float64Array {
  const out = new Float64Array(2 * modes * M * M);
  for (let k = 0; k < modes; k++) {
    for (let y = 0; y < M; y++) {
      for (let x = 0; x < M; x++) {
        const r2 = (y - M / 2) ** 2 + (x - M / 2) ** 2;
        const a = (10 / (k + 1)) * Math.exp(-r2 / (2 * (M / 5) ** 2));
        const phase = (0.3 + 0.1 * k) * r2 / 4 + 0.2 * Math.random();
        const i = 2 * (k * M * M + y * M + x);
        [out[i], out[i + 1]] = [a * Math.cos(phase), a * Math.sin(phase)];
      }
    }
  }
  return out;
}

/** Adds a relative random perturbation to a complex array. */
function perturb(v: Float64Array, amount: number): Float64Array {
  let peak = 0;
  for (const value of v) peak = Math.max(peak, Math.abs(value));
  return v.map((value) => value + amount * peak * (Math.random() - 0.5));
}

/** Simulates frames with the float64 model and builds the GPU problem over them. */
export async function makeCase(c: CaseOptions): Promise<Case> {
  const gpu = await requestGpu({ label: "problem test" });
  const { positionsY, positionsX } = randomPositions(c.positions ?? 6, M, SHAPE);
  const mask = c.mask ? new Uint8Array(M * M).map(() => (Math.random() < 0.05 ? 1 : 0)) : null;
  const model = new ReferenceModel({
    frame: M,
    objectShape: SHAPE,
    slices: c.slices,
    modes: c.modes,
    positionsX,
    positionsY,
    propagation: PROPAGATION,
    mask,
  });
  const truthObject = randomObject(c.slices);
  const truthProbe = randomProbe(c.modes);
  const frames = new Float32Array(model.intensities(truthObject, truthProbe));
  const object = new Float64Array(new Float32Array(perturb(truthObject, 0.2)));
  const probe = new Float64Array(new Float32Array(perturb(truthProbe, 0.2)));
  const options: GpuProblemOptions = {
    gpu,
    frames: gpu.upload(frames, "frames"),
    positionsY,
    positionsX,
    frame: M,
    objectShape: SHAPE,
    slices: c.slices,
    modes: c.modes,
    noise: c.noise,
    mask,
    batchSize: c.batchSize ?? 4,
    sliceDistance: PROPAGATION.sliceThickness,
    wavelength: PROPAGATION.wavelength,
    pixelSize: PROPAGATION.pixelSize,
  };
  const problem = await GpuProblem.create(options);
  const x = problem.upload(new Float32Array(object), new Float32Array(probe));
  return { gpu, problem, model, frames, object, probe, x, options };
}

/** Runs `fn` on a fresh case and frees the device afterwards. */
export async function withCase(c: CaseOptions, fn: (t: Case) => Promise<void>): Promise<void> {
  const t = await makeCase(c);
  try {
    await fn(t);
  } finally {
    t.gpu.destroy();
  }
}
