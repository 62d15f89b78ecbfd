import { assertLessOrEqual } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { Fft2, fft2Reference, fftshift2 } from "../../src/fft/mod.ts";
import { FarFieldCost } from "../../src/cost/mod.ts";
import { Reductions, sumPairs } from "../../src/kernels/mod.ts";
import { INTENSITY_EPSILON, type NoiseModel, poissonPixel } from "../../src/physics/reference.ts";
import { maxRelative, nans, randomF32, testRandom } from "../kernels/random.ts";

const M = 16, MODES = 2, COUNT = 3;

/** float64 cost and gradient factors of the same model, pixel by pixel. */
function reference(
  far: ArrayLike<number>,
  frames: Float32Array,
  mask: Uint8Array,
  noise: NoiseModel,
  modes = MODES,
) {
  const m2 = M * M;
  const grad = new Float64Array(far.length);
  let cost = 0;
  for (let b = 0; b < COUNT; b++) {
    for (let q = 0; q < m2; q++) {
      let intensity = 0;
      for (let k = 0; k < modes; k++) {
        const i = 2 * ((b * modes + k) * m2 + q);
        intensity += far[i] ** 2 + far[i + 1] ** 2;
      }
      const d = frames[b * m2 + q];
      let f: number, factor: number;
      if (noise === "poisson") {
        [f, factor] = poissonPixel(intensity, d);
      } else {
        const g = intensity + INTENSITY_EPSILON;
        f = (Math.sqrt(g) - Math.sqrt(d)) ** 2;
        factor = 1 - Math.sqrt(d / g);
      }
      const w = mask[q] ? 0 : 1;
      cost += w * f;
      for (let k = 0; k < modes; k++) {
        const i = 2 * ((b * modes + k) * m2 + q);
        grad[i] = w * factor * far[i];
        grad[i + 1] = w * factor * far[i + 1];
      }
    }
  }
  return { cost, grad };
}

for (const noise of ["poisson", "gaussian"] as const) {
  Deno.test(`FarFieldCost (${noise}) matches the float64 cost and far-field gradient with a mask`, async () => {
    const gpu = await requestGpu({ label: "cost test" });
    try {
      const far = randomF32(2 * COUNT * MODES * M * M, 3);
      const frames = randomF32(COUNT * M * M, 1).map((v) => 10 * v * v);
      frames[5] = 0; // a dark pixel exercises the guard of log(0)
      // A dark model pixel under a bright count: 1 + r rounds to 0 in float32 there.
      frames[7] = 100;
      for (let k = 0; k < MODES; k++) far.fill(0, 2 * (k * M * M + 7), 2 * (k * M * M + 7) + 2);
      const mask = new Uint8Array(M * M).map(() => (testRandom() < 0.1 ? 1 : 0));
      const cost = await FarFieldCost.create(gpu, {
        frames: gpu.upload(frames, "frames"),
        frame: M,
        modes: MODES,
        maxBatch: COUNT,
        reductions: await Reductions.create(gpu),
        noise,
        mask,
        hostFrames: frames,
      });
      const parts = cost.partialsFor(COUNT);
      const partials = gpu.upload(nans(2 * (parts + 1)), "partials");
      const farBuffer = gpu.upload(far, "far");
      cost.evaluate(farBuffer, { first: 0, count: COUNT, partials, partial: 1, gradient: true });
      const got = await gpu.readF32(partials);
      const want = reference(far, frames, mask, noise);
      const total = cost.constant + sumPairs(got.subarray(2)).re;
      assertLessOrEqual(Math.abs(total - want.cost) / Math.abs(want.cost), 1e-5);
      assertLessOrEqual(maxRelative(await gpu.readF32(farBuffer), want.grad), 1e-5);
    } finally {
      gpu.destroy();
    }
  });
}

for (const design of ["unrolled", "workgroup"] as const) {
  Deno.test(`FarFieldCost.farFieldAndCost() of one mode matches float64 fftshift(F psi), cost and gradient, or keeps the far fields (${design} FFT)`, async () => {
    const gpu = await requestGpu({ label: "cost test" });
    try {
      const fft = await Fft2.create(gpu, M, { design });
      const waves = randomF32(2 * COUNT * M * M, 3);
      const re = Float64Array.from({ length: COUNT * M * M }, (_, i) => waves[2 * i]);
      const im = Float64Array.from({ length: COUNT * M * M }, (_, i) => waves[2 * i + 1]);
      fft2Reference(re, im, M, COUNT, false);
      fftshift2(re, im, M, COUNT);
      const far = new Float64Array(waves.length);
      for (let i = 0; i < re.length; i++) [far[2 * i], far[2 * i + 1]] = [re[i], im[i]];
      // Counts near the model's intensities: d / I stays moderate, so the float32 rounding of
      // the FFT is not amplified by a dark model pixel under a bright count (that case is the
      // previous test's, with the far field given exactly).
      const frames = Float32Array.from(
        re,
        (r, i) => (r * r + im[i] * im[i]) * (0.5 + testRandom()),
      );
      frames[5] = 0;
      const mask = new Uint8Array(M * M).map(() => (testRandom() < 0.1 ? 1 : 0));
      const cost = await FarFieldCost.create(gpu, {
        fft,
        frames: gpu.upload(frames, "frames"),
        frame: M,
        modes: 1,
        maxBatch: COUNT,
        reductions: await Reductions.create(gpu),
        noise: "poisson",
        mask,
        hostFrames: frames,
      });
      const partials = gpu.upload(nans(2 * (cost.partialsFor(COUNT) + 1)), "partials");
      const buffer = gpu.upload(waves, "waves");
      const call = { first: 0, count: COUNT, partials, partial: 1, gradient: true };
      const written = cost.farFieldAndCost(buffer, call);
      const got = await gpu.readF32(partials, 8, 8 * written);
      const want = reference(far, frames, mask, "poisson", 1);
      const total = cost.constant + sumPairs(got).re;
      assertLessOrEqual(Math.abs(total - want.cost) / Math.abs(want.cost), 1e-5);
      assertLessOrEqual(maxRelative(await gpu.readF32(buffer), want.grad), 1e-5);
      // Without the gradient, keepFarFields stores fftshift(F psi) itself (the waves in the
      // buffer before differ from it: an unwritten pixel fails), with the same cost.
      const kept = gpu.upload(waves, "waves kept");
      const keptPartials = gpu.upload(nans(2 * (cost.partialsFor(COUNT) + 1)), "partials");
      const keep = { ...call, partials: keptPartials, gradient: false, keepFarFields: true };
      const keptWritten = cost.farFieldAndCost(kept, keep);
      const keptCost = sumPairs(await gpu.readF32(keptPartials, 8, 8 * keptWritten)).re;
      assertLessOrEqual(Math.abs(cost.constant + keptCost - want.cost) / Math.abs(want.cost), 1e-5);
      assertLessOrEqual(maxRelative(await gpu.readF32(kept), far), 1e-5);
    } finally {
      gpu.destroy();
    }
  });
}
