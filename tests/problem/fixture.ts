/** A small simulated reconstruction problem shared by the cost and problem tests. */
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import { ReferenceModel } from "../../src/physics/reference.ts";
import type { NoiseModel } from "../../src/physics/reference.ts";
import { GpuProblem, type GpuProblemOptions, type GpuVariables } from "../../src/problem/mod.ts";
import { randomPositions } from "../operators/setup.ts";
import { testRandom } from "../kernels/random.ts";

export const M = 16;
export const SHAPE: [number, number] = [44, 50];
export const PROPAGATION = { wavelength: 1e-10, sliceThickness: 4e-8, pixelSize: 1e-8 };
/** A near-field detector: z lambda / dx^2 = 2, a Fresnel number of 128 over a 16 px frame. */
export const NEAR_FIELD = { wavelength: 1e-10, distance: 2e-6, pixelSize: 1e-8 };

export interface CaseOptions {
  slices: number;
  modes: number;
  noise: NoiseModel;
  positions?: number;
  mask?: boolean;
  batchSize?: number;
  /** A near-field detector ({@link NEAR_FIELD}) instead of the far field. */
  nearField?: boolean;
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

/** A smooth random real field on H x W: a sum of a few random low-frequency cosines in [-1, 1]. */
function smoothField(h: number, w: number): Float64Array {
  const waves = Array.from({ length: 4 }, () => ({
    ky: (testRandom() - 0.5) * 0.3,
    kx: (testRandom() - 0.5) * 0.3,
    phase: 2 * Math.PI * testRandom(),
  }));
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (const c of waves) v += Math.cos(c.ky * y + c.kx * x + c.phase) / waves.length;
      out[y * w + x] = v;
    }
  }
  return out;
}

/**
 * A smooth random object of `slices` slices, amplitude 1 +- 0.1, phase +- 0.5. Smooth fields keep
 * the far field free of dark speckles, where the Poisson cost is needlessly stiff for finite
 * differences.
 */
function randomObject(slices: number): Float64Array {
  const plane = SHAPE[0] * SHAPE[1];
  const out = new Float64Array(2 * slices * plane);
  for (let s = 0; s < slices; s++) {
    const amplitude = smoothField(SHAPE[0], SHAPE[1]);
    const phase = smoothField(SHAPE[0], SHAPE[1]);
    for (let i = 0; i < plane; i++) {
      const a = 1 + 0.1 * amplitude[i];
      const j = 2 * (s * plane + i);
      [out[j], out[j + 1]] = [a * Math.cos(0.5 * phase[i]), a * Math.sin(0.5 * phase[i])];
    }
  }
  return out;
}

/** K Gaussian probe modes with a defocus phase (a smooth, broad far field), ~100 counts a pixel. */
function randomProbe(modes: number): Float64Array {
  const out = new Float64Array(2 * modes * M * M);
  for (let k = 0; k < modes; k++) {
    const wobble = smoothField(M, M);
    for (let y = 0; y < M; y++) {
      for (let x = 0; x < M; x++) {
        const r2 = (y - M / 2) ** 2 + (x - M / 2) ** 2;
        const a = (10 / (k + 1)) * Math.exp(-r2 / (2 * (M / 5) ** 2));
        const phase = (0.3 + 0.1 * k) * r2 / 4 + 0.3 * wobble[y * M + x];
        const i = 2 * (k * M * M + y * M + x);
        [out[i], out[i + 1]] = [a * Math.cos(phase), a * Math.sin(phase)];
      }
    }
  }
  return out;
}

/** x (1 + amount u) with u a smooth random complex field per frame of `plane` elements. */
function perturb(v: Float64Array, amount: number, h: number, w: number): Float64Array {
  const out = v.slice();
  for (let f = 0; f < v.length / (2 * h * w); f++) {
    const re = smoothField(h, w), im = smoothField(h, w);
    for (let i = 0; i < h * w; i++) {
      const j = 2 * (f * h * w + i);
      const [a, b] = [v[j], v[j + 1]];
      const [c, d] = [amount * re[i], amount * im[i]];
      out[j] = a + a * c - b * d;
      out[j + 1] = b + a * d + b * c;
    }
  }
  return out;
}

/** Simulates frames with the float64 model and builds the GPU problem over them. */
export async function makeCase(c: CaseOptions): Promise<Case> {
  const gpu = await requestGpu({ label: "problem test" });
  const { positionsY, positionsX } = randomPositions(c.positions ?? 6, M, SHAPE);
  const mask = c.mask ? new Uint8Array(M * M).map(() => (testRandom() < 0.05 ? 1 : 0)) : null;
  const model = new ReferenceModel({
    frame: M,
    objectShape: SHAPE,
    slices: c.slices,
    modes: c.modes,
    positionsX,
    positionsY,
    propagation: PROPAGATION,
    mask,
    nearField: c.nearField ? NEAR_FIELD : null,
  });
  const truthObject = randomObject(c.slices);
  const truthProbe = randomProbe(c.modes);
  const frames = new Float32Array(model.intensities(truthObject, truthProbe));
  const object = new Float64Array(new Float32Array(perturb(truthObject, 0.2, SHAPE[0], SHAPE[1])));
  const probe = new Float64Array(new Float32Array(perturb(truthProbe, 0.2, M, M)));
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
    nearField: c.nearField ? NEAR_FIELD : null,
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
