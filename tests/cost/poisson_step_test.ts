import { assertEquals, assertLessOrEqual } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { Fft2 } from "../../src/fft/mod.ts";
import { FarField } from "../../src/operators/mod.ts";
import {
  FarFieldCost,
  POISSON_STEP_FLOOR,
  POISSON_STEP_ITERATIONS,
  POISSON_STEP_START,
  PoissonExitStep,
} from "../../src/cost/mod.ts";
import { poissonStepReference } from "../../src/physics/projection_reference.ts";
import { Random } from "../../src/simulate/random.ts";
import { Reductions } from "../../src/kernels/mod.ts";
import { maxRelative, nans } from "../kernels/random.ts";

const M = 16, COUNT = 5;

/**
 * Far fields and counts as LSQ-ML meets them: each frame's counts Poisson draws of the model's
 * intensity times a factor of its own (0.3 to 3, so some frames are far from the fit and some
 * close), a tenth of the model's pixels dark (below one count), a few masked pixels.
 */
function inputs(rng: Random, modes: number) {
  const m2 = M * M;
  const far = new Float32Array(2 * COUNT * modes * m2);
  const frames = new Float32Array(COUNT * m2);
  const weights = Float32Array.from(rng.uniformArray(m2, 0, 1), (u) => u < 0.05 ? 0 : 1);
  for (let b = 0; b < COUNT; b++) {
    const scale = 0.3 + 2.7 * rng.uniform();
    for (let q = 0; q < m2; q++) {
      const bright = rng.uniform() < 0.9 ? 3 * rng.uniform() : 0.2;
      let intensity = 0;
      for (let k = 0; k < modes; k++) {
        const i = 2 * ((b * modes + k) * m2 + q);
        far[i] = bright * (2 * rng.uniform() - 1);
        far[i + 1] = bright * (2 * rng.uniform() - 1);
        intensity += far[i] ** 2 + far[i + 1] ** 2;
      }
      frames[b * m2 + q] = rng.poisson(scale * intensity);
    }
  }
  return { far, frames, weights, m2 };
}

/** Frame b's model intensities, summed over modes. */
function intensityOf(far: Float32Array, b: number, modes: number, m2: number): Float64Array {
  const out = new Float64Array(m2);
  for (let k = 0; k < modes; k++) {
    for (let q = 0; q < m2; q++) {
      const i = 2 * ((b * modes + k) * m2 + q);
      out[q] += far[i] ** 2 + far[i + 1] ** 2;
    }
  }
  return out;
}

/** The float64 step of frame b of `d` as the kernels take it (their floor, iterations and start). */
function stepOf(d: ReturnType<typeof inputs>, b: number, modes: number) {
  return poissonStepReference({
    intensity: intensityOf(d.far, b, modes, d.m2),
    frame: d.frames.subarray(b * d.m2, (b + 1) * d.m2),
    weights: d.weights,
    floor: POISSON_STEP_FLOOR,
    iterations: POISSON_STEP_ITERATIONS,
    start: POISSON_STEP_START,
  });
}

for (const modes of [1, 3]) {
  Deno.test(`PoissonExitStep matches the float64 step and update for ${modes} mode(s) with a mask`, async () => {
    const gpu = await requestGpu({ label: "poisson step test" });
    try {
      const step = await PoissonExitStep.create(gpu, COUNT);
      const d = inputs(new Random(71 + modes), modes);
      // The far fields are overwritten in place: a pixel the kernel skipped keeps Psi and fails.
      const far = gpu.upload(d.far, "far");
      step.apply({
        frames: gpu.upload(d.frames, "frames"),
        weights: gpu.upload(d.weights, "weights"),
        far,
        count: COUNT,
        modes,
        m2: d.m2,
      });
      const want = new Float64Array(d.far.length);
      const alphas = new Float64Array(COUNT);
      for (let b = 0; b < COUNT; b++) {
        const ref = stepOf(d, b, modes);
        alphas[b] = ref.alpha;
        for (let k = 0; k < modes; k++) {
          for (let q = 0; q < d.m2; q++) {
            const i = 2 * ((b * modes + k) * d.m2 + q);
            want[i] = ref.factor[q] * d.far[i];
            want[i + 1] = ref.factor[q] * d.far[i + 1];
          }
        }
      }
      assertLessOrEqual(maxRelative(await gpu.readF32(step.alpha, 0, 4 * COUNT), alphas), 1e-5);
      assertLessOrEqual(maxRelative(await gpu.readF32(far), want), 1e-5);
      step.destroy();
    } finally {
      gpu.destroy();
    }
  });
}

Deno.test("The Poisson step's slope matches central differences of the frame's likelihood, and its Newton iterates reach the minimiser", () => {
  const rng = new Random(5);
  for (const modes of [1, 3]) {
    const d = inputs(rng, modes);
    for (let b = 0; b < COUNT; b++) {
      const o = {
        intensity: intensityOf(d.far, b, modes, d.m2),
        frame: d.frames.subarray(b * d.m2, (b + 1) * d.m2),
        weights: d.weights,
        floor: POISSON_STEP_FLOOR,
      };
      const exact = poissonStepReference({ ...o, iterations: Infinity, start: 0 });
      for (const a of [0.1, 0.5, 0.9]) {
        const h = 1e-5;
        const difference = (exact.phi(a + h) - exact.phi(a - h)) / (2 * h);
        assertLessOrEqual(
          Math.abs(difference - exact.slope(a)),
          1e-6 * Math.abs(exact.phi(a)),
          `frame ${b}, alpha ${a}`,
        );
      }
      // The minimiser: no lower likelihood on a grid of steps over [0, 1].
      for (let a = 0; a <= 1; a += 1 / 64) {
        assertLessOrEqual(exact.phi(exact.alpha), exact.phi(a), `frame ${b}, alpha ${a}`);
      }
      // Newton from 0 reaches the minimiser: its fourth iterate within 1e-4.
      const fourth = poissonStepReference({ ...o, iterations: 4, start: 0 });
      assertLessOrEqual(Math.abs(fourth.alpha - exact.alpha), 1e-4, `frame ${b}`);
      // The step's iterates keep all but 1e-3 of the likelihood's decrease along the line.
      const step = poissonStepReference({
        ...o,
        iterations: POISSON_STEP_ITERATIONS,
        start: POISSON_STEP_START,
      });
      const decrease = exact.phi(0) - exact.phi(exact.alpha);
      const shortfall = exact.phi(step.alpha) - exact.phi(exact.alpha);
      assertLessOrEqual(shortfall, 1e-3 * decrease, `frame ${b}`);
    }
  }
});

for (const [design, modes] of [["unrolled", 1], ["unrolled", 2], ["workgroup", 2]] as const) {
  Deno.test(`PoissonExitStep's update in the far field adjoint's loads gives F^H of the float64 update, with the bits of apply then the adjoint (${design} FFT, ${modes} mode${modes > 1 ? "s" : ""})`, async () => {
    const gpu = await requestGpu({ label: "poisson step fusion test" });
    try {
      const fft = await Fft2.create(gpu, M, { design });
      const step = await PoissonExitStep.create(gpu, COUNT, { fft, modes });
      const farField = new FarField(fft);
      const d = inputs(new Random(83), modes);
      const frames = COUNT * modes;
      const call = {
        frames: gpu.upload(d.frames, "frames"),
        weights: gpu.upload(d.weights, "weights"),
        count: COUNT,
        modes,
        m2: d.m2,
      };
      // The update in float64, then the same adjoint: the fusion's reference.
      const g = new Float32Array(d.far.length);
      for (let b = 0; b < COUNT; b++) {
        const { factor } = stepOf(d, b, modes);
        for (let i = 2 * b * modes * d.m2; i < 2 * (b + 1) * modes * d.m2; i++) {
          g[i] = factor[(i >> 1) % d.m2] * d.far[i];
        }
      }
      const want = gpu.upload(g, "G");
      farField.adjoint(want, want, frames);
      const far = gpu.upload(d.far, "far");
      const out = gpu.upload(nans(d.far.length), "out");
      const fused = step.fused({ ...call, far });
      assertEquals(fused !== null, design === "unrolled", "fused on the unrolled design only");
      if (fused) farField.adjoint(far, out, frames, fused);
      else {
        step.apply({ ...call, far });
        farField.adjoint(far, out, frames);
      }
      const got = await gpu.readF32(out);
      assertLessOrEqual(maxRelative(got, await gpu.readF32(want)), 1e-5);
      // Apart: apply, then the plain adjoint, in place as the sweep ran them before.
      const apart = gpu.upload(d.far, "far apart");
      step.apply({ ...call, far: apart });
      farField.adjoint(apart, apart, frames);
      assertEquals(got, await gpu.readF32(apart));
      if (fused) assertEquals(await gpu.readF32(far), d.far, "the far fields only read");
      step.destroy();
    } finally {
      gpu.destroy();
    }
  });
}

Deno.test("The far field's fused stores sum the Poisson step's first Newton terms: its steps and update are the float64 ones (unrolled FFT)", async () => {
  const gpu = await requestGpu({ label: "poisson step store terms test" });
  try {
    const fft = await Fft2.create(gpu, M, { design: "unrolled" });
    const step = await PoissonExitStep.create(gpu, COUNT, { fft, modes: 1 });
    const d = inputs(new Random(97), 1);
    const mask = Uint8Array.from(d.weights, (w) => w === 0 ? 1 : 0);
    const cost = await FarFieldCost.create(gpu, {
      fft,
      frames: gpu.upload(d.frames, "frames"),
      frame: M,
      modes: 1,
      maxBatch: COUNT,
      reductions: await Reductions.create(gpu),
      noise: "gaussian",
      mask,
      hostFrames: d.frames,
    });
    const lanes = cost.storeLanes!;
    assertEquals(lanes > 0, true, "the cost is fused into the unrolled FFT's stores");
    // The exit waves whose far fields are d.far: the far field's adjoint inverts it.
    const far = gpu.upload(d.far, "far");
    new FarField(fft).adjoint(far, far, COUNT);
    const partials = gpu.upload(nans(2 * cost.partialsFor(COUNT)), "partials");
    const newton = step.storeTerms(COUNT, lanes);
    gpu.write(newton.sums, nans(2 * COUNT * lanes));
    cost.farFieldAndCost(far, {
      first: 0,
      count: COUNT,
      partials,
      partial: 0,
      gradient: false,
      keepFarFields: true,
      newton,
    });
    step.apply({
      frames: cost.framesOf(0, COUNT),
      weights: cost.weights,
      far,
      count: COUNT,
      modes: 1,
      m2: d.m2,
      storeLanes: lanes,
    });
    const want = new Float64Array(d.far.length);
    const alphas = new Float64Array(COUNT);
    for (let b = 0; b < COUNT; b++) {
      const ref = stepOf(d, b, 1);
      alphas[b] = ref.alpha;
      for (let i = 2 * b * d.m2; i < 2 * (b + 1) * d.m2; i++) {
        want[i] = ref.factor[(i >> 1) % d.m2] * d.far[i];
      }
    }
    assertLessOrEqual(maxRelative(await gpu.readF32(step.alpha, 0, 4 * COUNT), alphas), 1e-5);
    assertLessOrEqual(maxRelative(await gpu.readF32(far), want), 1e-5);
    cost.destroy();
    step.destroy();
  } finally {
    gpu.destroy();
  }
});
