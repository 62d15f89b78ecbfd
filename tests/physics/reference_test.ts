import { assert, assertLessOrEqual, relativeL2 } from "../assert.ts";
import { fft2Reference } from "../../src/fft/reference.ts";
import {
  type ModelOptions,
  type NoiseModel,
  poissonPixel,
  ReferenceModel,
} from "../../src/physics/reference.ts";
import { Random } from "../../src/simulate/random.ts";

/** A small model: 4 x 4 overlapping positions with sub-pixel offsets. */
function smallModel(rng: Random, over: Partial<ModelOptions> = {}): ModelOptions {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      ys.push(10 + 5 * i + rng.uniform());
      xs.push(10 + 5 * j + rng.uniform());
    }
  }
  return {
    frame: 16,
    objectShape: [36, 38],
    slices: 1,
    modes: 1,
    positionsX: Float64Array.from(xs),
    positionsY: Float64Array.from(ys),
    ...over,
  };
}

/** A random complex array near `base` (interleaved): never zeros. */
function complexNear(rng: Random, length: number, base: number, spread: number): Float64Array {
  const out = rng.uniformArray(2 * length, -spread, spread);
  for (let i = 0; i < length; i++) out[2 * i] += base;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function checkGradient(options: ModelOptions, noise: NoiseModel, seed: number): void {
  const rng = new Random(seed);
  const model = new ReferenceModel(options);
  const [h, w] = options.objectShape;
  const m2 = options.frame ** 2;
  const object = complexNear(rng, options.slices * h * w, 1, 0.3);
  const probe = complexNear(rng, options.modes * m2, 2, 1.5);
  // Data from a different object so the gradient is far from zero.
  const truth = complexNear(rng, options.slices * h * w, 1, 0.3);
  const frames = model.intensities(truth, probe).map((v) => rng.poisson(v));
  const objectGradient = new Float64Array(object.length);
  const probeGradient = new Float64Array(probe.length);
  model.evaluate({ object, probe, frames, noise, objectGradient, probeGradient });

  const dObject = rng.uniformArray(object.length);
  const dProbe = rng.uniformArray(probe.length);
  // Fourth-order central differences: truncation O(eps^4), rounding of F (~1e4) about 1e-12 / eps.
  const eps = 1e-4;
  const at = (t: number) =>
    model.evaluate({
      object: object.map((v, i) => v + t * dObject[i]),
      probe: probe.map((v, i) => v + t * dProbe[i]),
      frames,
      noise,
    });
  const numeric = (8 * (at(eps) - at(-eps)) - (at(2 * eps) - at(-2 * eps))) / (12 * eps);
  // Directional derivative of a real F along dx is 2 Re <dF/dconj(x), dx>.
  const analytic = 2 * (dot(objectGradient, dObject) + dot(probeGradient, dProbe));
  assert(Math.abs(analytic) > 1, `gradient too small to test: ${analytic}`);
  assertLessOrEqual(Math.abs(numeric - analytic) / Math.abs(analytic), 1e-6, "relative error");
}

Deno.test("the Poisson gradient matches central differences for 2 probe modes, a mask and sub-pixel positions", () => {
  const mask = new Uint8Array(256);
  mask[3] = mask[100] = mask[136] = 1;
  checkGradient(smallModel(new Random(1), { modes: 2, mask }), "poisson", 11);
});

Deno.test("the Gaussian gradient matches central differences for a 3-slice object", () => {
  const propagation = { wavelength: 1e-10, sliceThickness: 2e-6, pixelSize: 1e-8 };
  checkGradient(smallModel(new Random(2), { slices: 3, propagation }), "gaussian", 12);
});

Deno.test("the Poisson gradient matches central differences for 2 slices and 2 modes", () => {
  const propagation = { wavelength: 2e-12, sliceThickness: 5e-10, pixelSize: 2e-11 };
  checkGradient(smallModel(new Random(3), { slices: 2, modes: 2, propagation }), "poisson", 13);
});

Deno.test("the Poisson gradient matches central differences with a near-field detector and 2 modes", () => {
  const nearField = { wavelength: 1e-10, distance: 2e-6, pixelSize: 1e-8 };
  checkGradient(smallModel(new Random(5), { modes: 2, nearField }), "poisson", 15);
});

Deno.test("the Gaussian gradient matches central differences with a near-field detector and 2 slices", () => {
  const nearField = { wavelength: 1e-10, distance: 2e-6, pixelSize: 1e-8 };
  const propagation = { wavelength: 1e-10, sliceThickness: 2e-6, pixelSize: 1e-8 };
  checkGradient(smallModel(new Random(6), { slices: 2, nearField, propagation }), "gaussian", 16);
});

Deno.test("poissonPixel()'s floor keeps value, slope and curvature continuous at c, its factor the cost's derivative on either side", () => {
  const rng = new Random(7);
  for (let n = 0; n < 200; n++) {
    const c = 0.5 + 4 * rng.uniform();
    const d = rng.poisson(3 * rng.uniform() + 0.1);
    const f = (i: number) => poissonPixel(i, d, c)[0];
    // Continuity at c: a jump in value, slope or curvature would leave f(c + h) - f(c - h) off
    // the logarithm's 2 h f'(c) by order 1, h or h^2; smooth, the difference is of order h^3.
    const h = 1e-3 * c;
    const straddle = f(c + h) - f(c - h) - 2 * h * (1 - d / c);
    assertLessOrEqual(Math.abs(straddle), 1e-2 * h * h * d / (c * c) + 1e-12, "continuity at c");
    const curvature = (i: number) => (f(i + h) - 2 * f(i) + f(i - h)) / (h * h);
    const log = d / (c * c);
    assertLessOrEqual(Math.abs(curvature(c - 2 * h) - log), 1e-2 * log + 1e-6, "curvature below");
    assertLessOrEqual(Math.abs(curvature(c + 2 * h) - log), 1e-2 * log + 1e-6, "curvature above");
    // The factor is dF/dI (the Wirtinger gradient is it times Psi) on either side of the floor.
    for (const i of [c * rng.uniform(), c * (1 + 3 * rng.uniform())]) {
      const e = 1e-5 * c;
      const numeric = (f(i + e) - f(i - e)) / (2 * e);
      assertLessOrEqual(Math.abs(numeric - poissonPixel(i, d, c)[1]), 1e-6 * (1 + d / c), "dF/dI");
    }
  }
  // Without counts the cost is the intensity; the floor's pull toward 0 below: minimiser 2c - c^2 / d.
  assert(poissonPixel(0.7, 0, 2)[0] === 0.7 && poissonPixel(0.7, 0, 2)[1] === 1);
  assertLessOrEqual(Math.abs(poissonPixel(2 * 2 - 4 / 1.5, 1.5, 2)[1]), 1e-12, "minimiser below c");
});

Deno.test("masked pixels carry no weight in the cost", () => {
  const rng = new Random(4);
  const mask = new Uint8Array(256);
  mask[17] = 1;
  const options = smallModel(rng, { mask });
  const model = new ReferenceModel(options);
  const [h, w] = options.objectShape;
  const object = complexNear(rng, h * w, 1, 0.3);
  const probe = complexNear(rng, 256, 1, 1);
  const frames = model.intensities(object, probe).map((v) => rng.poisson(v));
  const before = model.evaluate({ object, probe, frames, noise: "poisson" });
  for (let j = 0; j < model.count; j++) frames[j * 256 + 17] = 1e6;
  assert(before === model.evaluate({ object, probe, frames, noise: "poisson" }));
});

Deno.test("a phase object conserves the probe's energy and a flat wave lands on pixel (M/2, M/2)", () => {
  const rng = new Random(5);
  const options = smallModel(rng, { modes: 2 });
  const model = new ReferenceModel(options);
  const [h, w] = options.objectShape;
  const object = new Float64Array(2 * h * w);
  for (let i = 0; i < h * w; i++) {
    const phase = 2 * Math.PI * rng.uniform();
    object[2 * i] = Math.cos(phase);
    object[2 * i + 1] = Math.sin(phase);
  }
  const probe = complexNear(rng, 2 * 256, 0.5, 1);
  const frames = model.intensities(object, probe);
  const energy = probe.reduce((s, v) => s + v * v, 0);
  for (let j = 0; j < model.count; j++) {
    const e = frames.subarray(j * 256, (j + 1) * 256).reduce((s, v) => s + v, 0);
    assertLessOrEqual(Math.abs(e - energy) / energy, 1e-12, `position ${j}`);
  }

  const flat = new ReferenceModel({ ...options, modes: 1 });
  const ones = new Float64Array(2 * h * w).map((_, i) => (i % 2 === 0 ? 1 : 0));
  const plane = new Float64Array(2 * 256).map((_, i) => (i % 2 === 0 ? 1 : 0));
  const far = flat.intensities(ones, plane);
  // Unitary FFT of 256 ones: all energy (256) in the zero frequency, stored at (8, 8).
  assertLessOrEqual(Math.abs(far[8 * 16 + 8] - 256), 1e-9);
});

Deno.test("a sub-pixel position shifts the probe by a Fourier shift", () => {
  const n = 16;
  const fx = 0.3;
  const model = new ReferenceModel({
    frame: n,
    objectShape: [n, n + 1],
    slices: 1,
    modes: 1,
    positionsX: new Float64Array([n / 2 + fx]),
    positionsY: new Float64Array([n / 2]),
  });
  // A probe made of one Fourier component shifts exactly: P(x - f) is computed directly here.
  const probeAt = (x: number) => [Math.cos((2 * Math.PI * 3 * x) / n), 0.5];
  const probe = new Float64Array(2 * n * n);
  const object = new Float64Array(2 * n * (n + 1));
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      [probe[2 * (y * n + x)], probe[2 * (y * n + x) + 1]] = probeAt(x);
      const o = [1 + 0.5 * Math.cos((2 * Math.PI * (x + y)) / n), 0.2 * Math.sin(x)];
      object[2 * (y * (n + 1) + x)] = o[0];
      object[2 * (y * (n + 1) + x) + 1] = o[1];
      const [pr, pi] = probeAt(x - fx);
      re[y * n + x] = pr * o[0] - pi * o[1];
      im[y * n + x] = pr * o[1] + pi * o[0];
    }
  }
  fft2Reference(re, im, n, 1, false);
  const expected = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const q = ((y + n / 2) % n) * n + ((x + n / 2) % n);
      expected[y * n + x] = re[q] ** 2 + im[q] ** 2;
    }
  }
  assertLessOrEqual(relativeL2(model.intensities(object, probe), expected), 1e-12);
});

Deno.test("an empty second slice applies only the band limit of the Fresnel propagator", () => {
  const rng = new Random(6);
  const propagation = { wavelength: 1e-10, sliceThickness: 1e-6, pixelSize: 1e-8 };
  const one = smallModel(rng);
  const two = { ...one, slices: 2, propagation };
  const [h, w] = one.objectShape;
  const object = complexNear(rng, h * w, 1, 0.3);
  const probe = complexNear(rng, 256, 1, 1);
  const stacked = new Float64Array(4 * h * w);
  stacked.set(object);
  for (let i = 0; i < h * w; i++) stacked[2 * (h * w + i)] = 1;
  const single = new ReferenceModel(one).intensities(object, probe);
  const multi = new ReferenceModel(two).intensities(stacked, probe);
  const kmax = (2 / 3) * 0.5;
  for (let q = 0; q < single.length; q++) {
    const y = Math.floor((q % 256) / 16) - 8;
    const x = (q % 16) - 8;
    const inside = (x / 16) ** 2 + (y / 16) ** 2 <= kmax ** 2;
    const want = inside ? single[q] : 0;
    assertLessOrEqual(Math.abs(multi[q] - want), 1e-9 * (1 + single[q]), `pixel ${q}`);
  }
});

Deno.test("the amplitude R-factor is 0 on exact data and sum | |Psi| - sqrt(d) | / sum sqrt(d) otherwise", () => {
  const rng = new Random(7);
  const mask = new Uint8Array(256);
  mask[5] = mask[200] = 1;
  const options = smallModel(rng, { modes: 2, mask });
  const model = new ReferenceModel(options);
  const [h, w] = options.objectShape;
  const object = complexNear(rng, h * w, 1, 0.3);
  const probe = complexNear(rng, 2 * 256, 2, 1.5);
  const exact = model.intensities(object, probe);
  assertLessOrEqual(model.rFactor(object, probe, exact), 1e-12);
  // Every unmasked amplitude 10% high: R = 0.1 / 1.1; masked pixels may hold anything.
  const brighter = exact.map((v, i) => (mask[i % 256] ? 1e9 : v * 1.1 ** 2));
  const r = model.rFactor(object, probe, brighter);
  assertLessOrEqual(Math.abs(r - 0.1 / 1.1), 1e-12, `R = ${r}`);
});
