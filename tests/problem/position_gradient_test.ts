import { assert, assertEquals, assertLessOrEqual, assertRejects } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { GpuProblem, LsqmlSweep } from "../../src/problem/mod.ts";
import { type ModelOptions, ReferenceModel } from "../../src/physics/reference.ts";
import { poissonStepReference } from "../../src/physics/projection_reference.ts";
import {
  POISSON_STEP_FLOOR,
  POISSON_STEP_ITERATIONS,
  POISSON_STEP_START,
} from "../../src/cost/mod.ts";
import type { NoiseModel } from "../../src/physics/model.ts";
import { shiftCurvatureFactor } from "../../src/physics/positions.ts";
import { LSQML_RULE } from "../../src/solvers/mod.ts";
import { Random } from "../../src/simulate/random.ts";
import { maxRelative } from "../kernels/random.ts";

const M = 16;
const SHAPE: [number, number] = [40, 44];
const PROPAGATION = { wavelength: 1e-10, sliceThickness: 4e-8, pixelSize: 1e-8 };
const NEAR_FIELD = { wavelength: 1e-10, distance: 2e-6, pixelSize: 1e-8 };

function complexNear(rng: Random, length: number, base: number, spread: number): Float64Array {
  const out = rng.uniformArray(2 * length, -spread, spread);
  for (let i = 0; i < length; i++) out[2 * i] += base;
  return out;
}

/**
 * A transmission varying over several pixels (three random plane waves in its phase and
 * modulus), whose central differences are close to its derivative.
 */
function smoothObject(rng: Random, plane: number): Float64Array {
  const w = SHAPE[1];
  const out = new Float64Array(2 * plane);
  const waves = Array.from({ length: 3 }, () => rng.uniformArray(4, -0.08, 0.08));
  for (let i = 0; i < plane; i++) {
    const [y, x] = [Math.floor(i / w) % SHAPE[0], i % w];
    let phase = 0, modulus = 1;
    for (const [fy, fx, a, b] of waves) {
      phase += 10 * a * Math.sin(2 * Math.PI * (fy * y + fx * x) + 40 * b);
      modulus += a * Math.cos(2 * Math.PI * (fx * y - fy * x));
    }
    [out[2 * i], out[2 * i + 1]] = [modulus * Math.cos(phase), modulus * Math.sin(phase)];
  }
  return out;
}

/**
 * A beam that is dark at the frame's edges (a Gaussian with a curved phase), as real probes are:
 * shifting it within its frame then moves it and nothing else.
 */
function beam(modes: number): Float64Array {
  const out = new Float64Array(2 * modes * M * M);
  for (let i = 0; i < modes * M * M; i++) {
    const [y, x] = [Math.floor(i / M) % M - M / 2, (i % M) - M / 2];
    const r2 = (x * x + y * y) / (M / 6) ** 2;
    [out[2 * i], out[2 * i + 1]] = [
      300 * Math.exp(-r2) * Math.cos(r2),
      300 * Math.exp(-r2) * Math.sin(r2),
    ];
  }
  return out;
}

/** A seeded case: frames from a truth, a point near it, the GPU problem over the frames. */
async function withShiftCase(
  c: {
    slices: number;
    modes: number;
    noise: NoiseModel;
    near?: boolean;
    seed: number;
    batchSize?: number;
    /** A smooth truth and a beam dark at the frame's edges instead of random pixels. */
    smooth?: boolean;
  },
  fn: (t: {
    problem: GpuProblem;
    base: ModelOptions;
    object: Float64Array;
    probe: Float64Array;
    frames: Float32Array;
    truth: Float64Array;
  }) => Promise<void>,
): Promise<void> {
  const rng = new Random(c.seed);
  const n = 7;
  const base: ModelOptions = {
    frame: M,
    objectShape: SHAPE,
    slices: c.slices,
    modes: c.modes,
    positionsY: rng.uniformArray(n, M / 2 + 3, SHAPE[0] - M / 2 - 3),
    positionsX: rng.uniformArray(n, M / 2 + 3, SHAPE[1] - M / 2 - 3),
    propagation: PROPAGATION,
    nearField: c.near ? NEAR_FIELD : null,
  };
  const plane = c.slices * SHAPE[0] * SHAPE[1];
  const truth = c.smooth ? smoothObject(rng, plane) : complexNear(rng, plane, 1, 0.3);
  const probe = new Float64Array(
    new Float32Array(
      c.smooth ? beam(c.modes) : complexNear(rng, c.modes * M * M, 2, 1.5),
    ),
  );
  const object = new Float64Array(new Float32Array(complexNear(rng, plane, 1, 0.3)));
  const frames = new Float32Array(new ReferenceModel(base).intensities(truth, probe));
  const gpu = await requestGpu({ label: "position gradient test" });
  try {
    const problem = await GpuProblem.create({
      gpu,
      frames: gpu.upload(frames, "frames"),
      positionsY: base.positionsY,
      positionsX: base.positionsX,
      frame: M,
      objectShape: SHAPE,
      slices: c.slices,
      modes: c.modes,
      noise: c.noise,
      batchSize: c.batchSize ?? 3,
      sliceDistance: PROPAGATION.sliceThickness,
      wavelength: PROPAGATION.wavelength,
      pixelSize: PROPAGATION.pixelSize,
      nearField: c.near ? NEAR_FIELD : null,
    });
    await fn({ problem, base, object, probe, frames, truth });
  } finally {
    gpu.destroy();
  }
}

for (
  const c of [
    { slices: 1, modes: 1, noise: "poisson", seed: 41 },
    { slices: 2, modes: 2, noise: "gaussian", seed: 42 },
    { slices: 1, modes: 2, noise: "poisson", near: true, seed: 43 },
  ] as const
) {
  const name = `S=${c.slices} K=${c.modes} ${c.noise}${"near" in c ? ", near field" : ""}`;
  Deno.test(`GpuProblem's position gradient equals the finite-difference-checked float64 one (${name})`, async () => {
    await withShiftCase(c, async ({ problem, base, object, probe, frames }) => {
      const n = base.positionsX.length;
      const want = { x: new Float64Array(n), y: new Float64Array(n) };
      const cost = new ReferenceModel(base).evaluate({
        object,
        probe,
        frames,
        noise: c.noise,
        positionGradient: want,
      });
      const x = problem.upload(new Float32Array(object), new Float32Array(probe));
      const g = problem.create("g");
      await assertRejects(() => problem.positionGradient(), Error);
      problem.capturePositionGradient();
      const got = await problem.gradient(x, g);
      assertLessOrEqual(Math.abs(got - cost) / cost, 1e-5);
      const shifts = await problem.positionGradient();
      assertLessOrEqual(maxRelative(shifts.gradientX, want.x), 1e-3, "dF/dx");
      assertLessOrEqual(maxRelative(shifts.gradientY, want.y), 1e-3, "dF/dy");
      // The curvature (checked against its reference in the operator's test) is there.
      for (const c of [...shifts.curvatureX, ...shifts.curvatureY]) assert(c > 0, `curvature ${c}`);
      // A capture serves one evaluation only.
      await problem.gradient(x, g);
      await assertRejects(() => problem.positionGradient(), Error);
    });
  });
}

Deno.test("GpuProblem's cost follows its positions when they move (windows, sub-pixel ramps, batches)", async () => {
  await withShiftCase(
    { slices: 1, modes: 1, noise: "poisson", seed: 44 },
    async ({ problem, base, object, probe, frames }) => {
      const rng = new Random(45);
      const n = base.positionsX.length;
      // Moves of up to 2.5 px, crossing integers, so origins and batch regions change too.
      const positionsY = base.positionsY.map((v) => v + rng.uniform() * 5 - 2.5);
      const positionsX = base.positionsX.map((v) => v + rng.uniform() * 5 - 2.5);
      const x = problem.upload(new Float32Array(object), new Float32Array(probe));
      const before = await problem.cost(x);
      problem.movePositions(positionsY, positionsX);
      const want = new ReferenceModel({ ...base, positionsY, positionsX })
        .evaluate({ object, probe, frames, noise: "poisson" });
      const got = await problem.cost(x);
      assertLessOrEqual(Math.abs(got - want) / want, 1e-5, `${got} vs ${want} (before ${before})`);
      assertEquals(Array.from(problem.scan.positionsX), Array.from(positionsX));
      const outside = Float64Array.from({ length: n }, (_, j) => (j === 3 ? SHAPE[1] : 20));
      let threw = false;
      try {
        problem.movePositions(positionsY, outside);
      } catch (error) {
        threw = error instanceof RangeError;
      }
      assertEquals(threw, true);
      assertEquals(await problem.cost(x), got);
    },
  );
});

Deno.test("LsqmlSweep captures its positions' shift gradients along the Poisson step's exit-wave update at the unknowns the batch sees", async () => {
  const c = { slices: 1, modes: 2, noise: "poisson", seed: 44, batchSize: 7 } as const;
  await withShiftCase(c, async ({ problem, base, object, probe, frames }) => {
    const n = base.positionsX.length;
    const want = { x: new Float64Array(n), y: new Float64Array(n) };
    // One batch: it sees the starting point. lsqml's far-field factors are the Poisson step's.
    const weights = new Float64Array(base.frame ** 2).fill(1);
    new ReferenceModel(base).evaluate({
      object,
      probe,
      frames,
      noise: "gaussian",
      positionGradient: want,
      factors: (_, intensity, frame) =>
        poissonStepReference({
          intensity,
          frame,
          weights,
          floor: POISSON_STEP_FLOOR,
          iterations: POISSON_STEP_ITERATIONS,
          start: POISSON_STEP_START,
        }).factor,
    });
    const x = problem.upload(new Float32Array(object), new Float32Array(probe));
    const sweep = new LsqmlSweep(problem, 1);
    problem.capturePositionGradient();
    await sweep.sweep(x, { probe: false, rule: LSQML_RULE });
    const shifts = await problem.positionGradient();
    assertLessOrEqual(maxRelative(shifts.gradientX, want.x), 1e-3, "dF/dx");
    assertLessOrEqual(maxRelative(shifts.gradientY, want.y), 1e-3, "dF/dy");
    for (const c of [...shifts.curvatureX, ...shifts.curvatureY]) assert(c > 0, `curvature ${c}`);
    // Without a capture the sweep records none.
    await sweep.sweep(x, { probe: false, rule: LSQML_RULE });
    await assertRejects(() => problem.positionGradient(), Error);
    sweep.destroy();
  });
});

Deno.test("shiftCurvatureFactor() weighs the captured curvatures as the Poisson and Gaussian costs curve along the shifts at the fit, and no step exceeds twice Newton's", async () => {
  const c = { slices: 1, modes: 1, noise: "poisson", seed: 45, smooth: true } as const;
  await withShiftCase(c, async ({ problem, base, probe, frames, truth }) => {
    // The frames are the truth's exact intensities: at the truth the model fits the data,
    // where the Gauss-Newton curvature is the cost's.
    const x = problem.upload(new Float32Array(truth), new Float32Array(probe));
    problem.capturePositionGradient();
    await problem.gradient(x, problem.create("g"));
    const shifts = await problem.positionGradient();
    const captured = [...shifts.curvatureX, ...shifts.curvatureY].reduce((a, v) => a + v, 0);
    const n = base.positionsX.length;
    const numeric = { poisson: 0, gaussian: 0 };
    for (const noise of ["poisson", "gaussian"] as const) {
      for (let j = 0; j < n; j++) {
        for (const axis of ["positionsX", "positionsY"] as const) {
          const cost = (t: number) =>
            new ReferenceModel({
              ...base,
              [axis]: base[axis].map((v, i) => (i === j ? v + t : v)),
            }).evaluate({ object: truth, probe, frames, noise });
          const e = 1e-3;
          numeric[noise] += (cost(e) - 2 * cost(0) + cost(-e)) / (e * e);
        }
      }
      // Only the part of dPsi/dx in phase with Psi changes the data, assumed half and here less:
      // the steps are shorter than Newton's, never twice as long, where they would oscillate.
      const predicted = shiftCurvatureFactor(noise) * captured;
      assert(numeric[noise] > 0, `${noise}: curvature ${numeric[noise]}`);
      assertLessOrEqual(
        numeric[noise] / predicted,
        2,
        `${noise}: ${numeric[noise]} / ${predicted}`,
      );
    }
    const ratio = shiftCurvatureFactor("poisson") / shiftCurvatureFactor("gaussian");
    assertLessOrEqual(Math.abs(numeric.poisson / numeric.gaussian / ratio - 1), 1e-3);
  });
});
