import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertRejects,
} from "../assert.ts";
import { fft2Reference, fftshift2 } from "../../src/fft/reference.ts";
import { ReferenceModel } from "../../src/physics/reference.ts";
import {
  fermatSpiral,
  focusedProbe,
  partiallyCoherent,
  placeScan,
  Random,
  raster,
  simulateDataset,
  smoothRandomObject,
} from "../../src/simulate/mod.ts";
import { testRandom } from "../kernels/random.ts";

Deno.test("Random gives the same sequence for the same seed and Poisson variates of the right mean and variance", () => {
  const a = new Random(42);
  const b = new Random(42);
  for (let i = 0; i < 100; i++) assertEquals(a.uniform(), b.uniform());
  assert(new Random(43).uniform() !== new Random(42).uniform());
  for (const mean of [3, 1000]) {
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const k = a.poisson(mean);
      assert(Number.isInteger(k) && k >= 0);
      s += k;
      s2 += k * k;
    }
    const m = s / n;
    const v = s2 / n - m * m;
    assertLessOrEqual(Math.abs(m - mean) / mean, 0.02, `mean of Poisson(${mean})`);
    assertLessOrEqual(Math.abs(v - mean) / mean, 0.05, `variance of Poisson(${mean})`);
  }
});

Deno.test("placeScan() keeps every probe window of a Fermat spiral and a raster inside the object", () => {
  for (const scan of [fermatSpiral({ count: 300, step: 2.7 }), raster({ count: 50, step: 6.3 })]) {
    const placed = placeScan(scan, 32, 4);
    const [h, w] = placed.shape;
    for (let j = 0; j < placed.x.length; j++) {
      const top = Math.floor(placed.y[j]) - 16;
      const left = Math.floor(placed.x[j]) - 16;
      assertGreaterOrEqual(Math.min(top, left), 4);
      assertLessOrEqual(top + 32 + 4, h);
      assertLessOrEqual(left + 32 + 4, w);
    }
  }
  // Point n of the spiral sits at radius step sqrt(n).
  const spiral = fermatSpiral({ count: 10, step: 2 });
  assertLessOrEqual(Math.abs(Math.hypot(spiral.x[9], spiral.y[9]) - 6), 1e-12);
});

Deno.test("focusedProbe() carries the requested counts and no frequency beyond its aperture", () => {
  const n = 32;
  const o = {
    frame: n,
    pixelSize: 1e-8,
    wavelength: 1e-10,
    semiAngle: 2e-3,
    defocus: 5e-5,
    counts: 1234,
  };
  const probe = focusedProbe(o);
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  let total = 0;
  for (let i = 0; i < n * n; i++) {
    re[i] = probe[2 * i];
    im[i] = probe[2 * i + 1];
    total += re[i] ** 2 + im[i] ** 2;
  }
  assertLessOrEqual(Math.abs(total - 1234), 1e-9);
  fftshift2(re, im, n, 1);
  fft2Reference(re, im, n, 1, false);
  const kmax = o.semiAngle / o.wavelength;
  let outside = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const ky = (y < n / 2 ? y : y - n) / (n * o.pixelSize);
      const kx = (x < n / 2 ? x : x - n) / (n * o.pixelSize);
      if (Math.hypot(kx, ky) > kmax) outside += re[y * n + x] ** 2 + im[y * n + x] ** 2;
    }
  }
  assertLessOrEqual(outside / total, 1e-20);
});

Deno.test("simulateDataset('siemens') is reproducible and its noiseless frames are the model's intensities", async () => {
  const options = { preset: "siemens" as const, frame: 16, positions: 20, seed: 3 };
  const a = await simulateDataset(options);
  const b = await simulateDataset(options);
  const all = Array.from({ length: 20 }, (_, i) => i);
  assertEquals(await a.dataset.frames.read(all), await b.dataset.frames.read(all));
  const { dataset, truth, model } = a;
  assertEquals(dataset.count, 20);
  assertEquals(dataset.groundTruth?.shape, [1, ...dataset.objectShape]);
  assertEquals(dataset.geometry.probeKind, "x-ray");
  assertEquals(dataset.source, "simulated:siemens");

  const exact = await simulateDataset({ ...options, noise: "none" });
  const frames = await exact.dataset.frames.read(all);
  const expected = new ReferenceModel(model).intensities(truth.object, truth.probe);
  for (let i = 0; i < frames.length; i++) {
    assertLessOrEqual(Math.abs(frames[i] - expected[i]), 1e-6 * (1 + expected[i]));
  }
  // Counts per frame: the probe's 1e6, minus what the star absorbs.
  const first = frames.subarray(0, 256).reduce((s, v) => s + v, 0);
  assert(first > 7e5 && first <= 1e6 + 1, `frame 0 holds ${first} counts`);
});

Deno.test("partiallyCoherent() splits the probe's power over K tilted copies and the frames blur", async () => {
  const m = 16;
  const n = m * m;
  const probe = Float64Array.from({ length: 2 * n }, () => testRandom() - 0.5);
  const modes = partiallyCoherent(probe, m, 3);
  const power = (v: ArrayLike<number>, k: number) => {
    let p = 0;
    for (let i = 2 * k * n; i < 2 * (k + 1) * n; i++) p += v[i] ** 2;
    return p;
  };
  const total = power(probe, 0);
  assertLessOrEqual(Math.abs(power(modes, 0) / total - 1 / 1.6), 1e-12, "the centre's share");
  for (const k of [1, 2]) {
    assertLessOrEqual(Math.abs(power(modes, k) / total - 0.3 / 1.6), 1e-12, `mode ${k}`);
    // Mode k is the probe under a ramp of half a pixel per frame along the angle pi (k - 1).
    const tx = 0.5 * Math.cos(Math.PI * (k - 1)), ty = 0.5 * Math.sin(Math.PI * (k - 1));
    for (const q of [0, 37, n - 1]) {
      const t = (2 * Math.PI * (ty * Math.floor(q / m) + tx * (q % m))) / m;
      const a = Math.sqrt(0.3 / 1.6);
      const re = a * (probe[2 * q] * Math.cos(t) - probe[2 * q + 1] * Math.sin(t));
      const im = a * (probe[2 * q] * Math.sin(t) + probe[2 * q + 1] * Math.cos(t));
      assertLessOrEqual(Math.abs(modes[2 * (k * n + q)] - re), 1e-12);
      assertLessOrEqual(Math.abs(modes[2 * (k * n + q) + 1] - im), 1e-12);
    }
  }
  assertEquals(partiallyCoherent(probe, m, 1), probe);
  const options = { preset: "siemens" as const, frame: 16, positions: 10, noise: "none" as const };
  const coherent = await simulateDataset(options);
  const partial = await simulateDataset({ ...options, probeModes: 3 });
  assertEquals(partial.dataset.illumination?.shape, [3, 16, 16]);
  const all = Array.from({ length: 10 }, (_, i) => i);
  const [a, b] = [await coherent.dataset.frames.read(all), await partial.dataset.frames.read(all)];
  const sum = (v: Float32Array) => v.reduce((s, x) => s + x, 0);
  assertLessOrEqual(Math.abs(sum(b) / sum(a) - 1), 1e-3, "the same counts");
  assert(a.some((v, i) => Math.abs(v - b[i]) > 1e-3 * (1 + v)), "but other frames");
});

Deno.test("smoothRandomObject() spans its phase and modulus ranges and varies smoothly", () => {
  const shape: [number, number] = [64, 80];
  const o = smoothRandomObject({
    shape,
    correlation: 4,
    phase: 1.5,
    absorption: 0.2,
    rng: new Random(2),
  });
  const phase = new Float64Array(64 * 80);
  let [lo, hi, mlo, mhi] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < phase.length; i++) {
    phase[i] = Math.atan2(o[2 * i + 1], o[2 * i]);
    const m = Math.hypot(o[2 * i], o[2 * i + 1]);
    [lo, hi, mlo, mhi] = [
      Math.min(lo, phase[i]),
      Math.max(hi, phase[i]),
      Math.min(mlo, m),
      Math.max(mhi, m),
    ];
  }
  assertLessOrEqual(Math.abs(hi - lo - 1.5), 1e-12);
  assertLessOrEqual(Math.abs(mhi - 1) + Math.abs(mlo - 0.8), 1e-12);
  // Neighbours differ by far less than the range (white noise would differ by about a third).
  let step = 0;
  for (let i = 1; i < phase.length; i++) if (i % 80) step += Math.abs(phase[i] - phase[i - 1]);
  assertLessOrEqual(step / (64 * 79), 0.05 * 1.5);
});

Deno.test("simulateDataset('pbtio3') builds a 300 kV multislice crystal with lead columns on a 3.9 Angstrom lattice", async () => {
  const { dataset, truth } = await simulateDataset({ preset: "pbtio3", frame: 32, positions: 9 });
  const [h, w] = dataset.objectShape;
  assertEquals(dataset.groundTruth?.shape, [4, h, w]);
  assertEquals(dataset.geometry.probeKind, "electron");
  assertLessOrEqual(Math.abs(dataset.geometry.wavelength - 1.9687e-12), 1e-15);
  assert(dataset.sliceThickness === 3.9e-10);
  const cell = 3.9e-10 / dataset.geometry.objectPixel;
  const phaseAt = (y: number, x: number) => {
    const i = Math.round(y) * w + Math.round(x);
    return Math.atan2(truth.object[2 * i + 1], truth.object[2 * i]);
  };
  // Pb at the cell corners, nothing at a quarter of the diagonal.
  assertGreaterOrEqual(phaseAt(cell, cell), 0.2);
  assertLessOrEqual(phaseAt(1.25 * cell, 1.25 * cell), 0.05);
});

Deno.test("simulateDataset() computes intensities with a given forward model and rejects odd frames", async () => {
  let called = 0;
  const { dataset } = await simulateDataset({
    preset: "siemens",
    frame: 16,
    positions: 4,
    noise: "none",
    forward: ({ model }) => {
      called++;
      return Promise.resolve(new Float64Array(model.positionsX.length * 256).fill(7));
    },
  });
  assertEquals(called, 1);
  assertEquals((await dataset.frames.read([3]))[100], 7);
  await assertRejects(() => simulateDataset({ preset: "siemens", frame: 24 }), RangeError);
});
