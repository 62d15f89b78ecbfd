import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  relativeL2,
} from "../assert.ts";
import { estimateProbe, initialProbe } from "../../src/engine/probe.ts";
import {
  besselJ1Zero,
  findRings,
  SEARCH_GAIN,
  searchDefocus,
  withCurvature,
  withRingSigns,
} from "../../src/engine/probe_search.ts";
import { spectrumOf } from "../../src/engine/_defocus_trial.ts";
import { fft2Reference, fftshift2 } from "../../src/fft/reference.ts";
import { focusedProbe, fresnelDisk } from "../../src/simulate/probes.ts";
import { simulateDataset } from "../../src/simulate/mod.ts";

/** |<a, b>| / (|a| |b|) of two complex interleaved arrays, in float64. */
function overlap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let re = 0, im = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i += 2) {
    re += a[i] * b[i] + a[i + 1] * b[i + 1];
    im += a[i] * b[i + 1] - a[i + 1] * b[i];
    aa += a[i] ** 2 + a[i + 1] ** 2;
    bb += b[i] ** 2 + b[i + 1] ** 2;
  }
  return Math.hypot(re, im) / Math.sqrt(aa * bb);
}

Deno.test("withCurvature() turns a focused probe in focus into the same probe defocused by a dx^2 / lambda (float64 reference)", () => {
  const base = { frame: 32, pixelSize: 2e-11, wavelength: 1.97e-12, semiAngle: 0.02, counts: 1e5 };
  const focus = focusedProbe({ ...base, defocus: 0 });
  for (const defocus of [3e-9, -1.2e-8]) {
    const curvature = (defocus * base.wavelength) / base.pixelSize ** 2;
    const curved = withCurvature(Float32Array.from(focus), base.frame, curvature);
    const reference = focusedProbe({ ...base, defocus });
    assertLessOrEqual(relativeL2(curved, reference), 1e-6, `defocus ${defocus}`);
  }
});

Deno.test("searchDefocus() finds a focused probe's defocus (its sign, and within 8 %: half a rung of its ladder here) from a small simulated set", async () => {
  const m = 32;
  const { dataset, truth } = await simulateDataset({
    preset: "pbtio3",
    frame: m,
    positions: 64,
    slices: 1,
    counts: 1e6,
    seed: 3,
  });
  // The preset's defocus: the aperture's shadow, 2 alpha df, is a third of the frame.
  const dx = dataset.geometry.objectPixel;
  const defocus = (m / 3) * dx / (2 * 0.02);
  const expected = (defocus * dataset.geometry.wavelength) / dx ** 2;
  const flat = await estimateProbe(dataset);
  const choice = await searchDefocus(dataset, flat);
  assertLessOrEqual(Math.abs(choice.curvature / expected - 1), 0.08, `a ${choice.curvature}`);
  assertGreaterOrEqual(overlap(choice.probe, truth.probe), 0.99);
  assertLessOrEqual(overlap(flat, truth.probe), 0.9);
  // Without an illumination in the file, initialProbe() starts from the search's probe, or
  // without the search from the flat estimate.
  dataset.illumination = null;
  const searched = await initialProbe(dataset, 1);
  assertEquals(searched.defocus?.curvature, choice.curvature);
  assertLessOrEqual(relativeL2(searched.probe.data, choice.probe), 1e-7);
  const plain = await initialProbe(dataset, 1, undefined, { defocusSearch: false });
  assertEquals(plain.defocus, null);
  assertLessOrEqual(relativeL2(plain.probe.data, flat), 1e-7);
  dataset.frames.close();
});

/** The probe whose far field is the modulus of `probe`'s (M x M complex), centred, float32. */
function modulusOnly(probe: Float32Array, m: number): Float32Array {
  const { re, im } = spectrumOf(probe, m);
  for (let i = 0; i < m * m; i++) [re[i], im[i]] = [Math.hypot(re[i], im[i]), 0];
  fft2Reference(re, im, m, 1, true);
  fftshift2(re, im, m, 1);
  return Float32Array.from({ length: 2 * m * m }, (_, i) => (i % 2 ? im : re)[i >> 1]);
}

/** The first zeros of the Bessel function J1, from tables. */
const J1_ZEROS = [3.831706, 7.015587, 10.173468, 13.323692, 16.470630, 19.615859];

Deno.test("besselJ1Zero() gives the zeros of J1 within 2e-4", () => {
  for (const [k, j] of J1_ZEROS.entries()) {
    assertLessOrEqual(Math.abs(besselJ1Zero(k + 1) - j), 2e-4, `zero ${k + 1}`);
  }
});

/** `probe` (M x M complex, interleaved) times exp(2 pi i (dy y + dx x) / M). */
function tilted(probe: Float32Array, m: number, dy: number, dx: number): Float32Array {
  const out = new Float32Array(probe.length);
  for (let y = 0; y < m; y++) {
    for (let x = 0; x < m; x++) {
      const [t, i] = [(2 * Math.PI * (dy * y + dx * x)) / m, y * m + x];
      const [a, b] = [probe[2 * i], probe[2 * i + 1]];
      out[2 * i] = a * Math.cos(t) - b * Math.sin(t);
      out[2 * i + 1] = a * Math.sin(t) + b * Math.cos(t);
    }
  }
  return out;
}

Deno.test("findRings() places a disk's far-field zeros within 0.15 px of the Airy pattern's, and withRingSigns() then restores the disk from its far field's modulus alone, centred or tilted", () => {
  // A disk of radius R (pixels) has far-field zeros at radius j M / (2 pi R) pixels of an M frame.
  const zeros = J1_ZEROS;
  for (const [m, radius] of [[32, 5], [64, 8], [64, 11], [128, 21.5]]) {
    // In focus (a negligible distance): the far field is real, its sign changing at each zero.
    const disk = Float32Array.from(fresnelDisk({
      frame: m,
      radius,
      pixelSize: 1e-8,
      wavelength: 1e-10,
      distance: 1e-12,
      counts: 1e6,
    }));
    const flat = modulusOnly(disk, m);
    const rings = findRings(flat, m);
    const airy = zeros.map((j) => (j * m) / (2 * Math.PI * radius));
    assertGreaterOrEqual(rings.radii.length, 2, `M ${m}, R ${radius}`);
    for (const [k, r] of rings.radii.slice(0, 4).entries()) {
      assertLessOrEqual(
        Math.abs(r - airy[k]),
        0.15,
        `M ${m}, R ${radius}, ring ${k}: ${rings.radii}`,
      );
    }
    assertLessOrEqual(Math.abs(rings.aperture! / radius - 1), 0.02, `aperture ${rings.aperture}`);
    assertLessOrEqual(Math.hypot(...rings.centre), 0.01);
    assertLessOrEqual(overlap(flat, disk), 0.86);
    assertGreaterOrEqual(
      overlap(withRingSigns(flat, m, rings), disk),
      0.9995,
      `M ${m}, R ${radius}`,
    );
    // Tilted, the far field off the frame's centre by (1.3, -2.6) px: the rings about it.
    const beam = tilted(disk, m, 1.3, -2.6);
    const offCentre = modulusOnly(beam, m);
    const found = findRings(offCentre, m);
    assertLessOrEqual(Math.hypot(found.centre[0] - 1.3, found.centre[1] + 2.6), 0.05);
    assertGreaterOrEqual(overlap(withRingSigns(offCentre, m, found), beam), 0.999, `tilted M ${m}`);
    // A beamstop over the central 3 x 3 pixels (frame order: zero frequency at M/2, M/2) leaves
    // the rings where they were.
    const mask = new Uint8Array(m * m);
    for (let y = -1; y <= 1; y++) {
      for (let x = -1; x <= 1; x++) mask[(m / 2 + y) * m + m / 2 + x] = 1;
    }
    const masked = findRings(flat, m, mask).radii;
    assertEquals(masked.length, rings.radii.length);
    for (const [k, r] of masked.entries()) assertLessOrEqual(Math.abs(r - rings.radii[k]), 0.05);
  }
});

Deno.test("findRings() finds no rings in a lens's far field (a flat disk) nor where a mask hides every pixel", () => {
  const base = { frame: 32, pixelSize: 2e-11, wavelength: 1.97e-12, semiAngle: 0.02, counts: 1e5 };
  const lens = focusedProbe({ ...base, defocus: 3e-9 });
  assertEquals(findRings(Float32Array.from(lens), 32).radii, []);
  const disk = Float32Array.from(fresnelDisk({
    frame: 32,
    radius: 5,
    pixelSize: 1e-8,
    wavelength: 1e-10,
    distance: 1e-12,
    counts: 1e6,
  }));
  assertEquals(findRings(disk, 32, new Uint8Array(32 * 32).fill(1)).radii, []);
});

Deno.test("searchDefocus() finds a pinhole beam's rings and propagation (overlap with the true probe 0.999 where the flat phase has 0.93) from a small simulated set", async () => {
  const m = 32;
  const { dataset, truth } = await simulateDataset({ preset: "smooth", frame: m, positions: 100 });
  const flat = await estimateProbe(dataset);
  const choice = await searchDefocus(dataset, flat);
  // The preset's beam: a disk of radius M / 6 propagated at Fresnel number 1, a = r^2.
  const expected = (m / 6) ** 2;
  assertLessOrEqual(Math.abs(choice.curvature / expected - 1), 0.03, `a ${choice.curvature}`);
  assertGreaterOrEqual(choice.rings!.radii.length, 2);
  assertLessOrEqual(Math.abs(choice.rings!.aperture! / (m / 6) - 1), 0.02);
  assertGreaterOrEqual(overlap(choice.probe, truth.probe), 0.999);
  assertLessOrEqual(overlap(flat, truth.probe), 0.93);
  // The same curvature without the rings' signs is far off: the signs are what the trial found.
  assertLessOrEqual(overlap(withCurvature(flat, m, choice.curvature), truth.probe), 0.9);
  dataset.frames.close();
});

Deno.test("searchDefocus() keeps the flat phase where neither a curvature nor the rings explain the data (the siemens set, whose star fills the rings' minima)", async () => {
  const { dataset } = await simulateDataset({ preset: "siemens", frame: 32, positions: 100 });
  const flat = await estimateProbe(dataset);
  const choice = await searchDefocus(dataset, flat);
  assertEquals(choice.curvature, 0);
  assertEquals(choice.rings, null);
  assertEquals(Array.from(choice.probe), Array.from(flat));
  const costs = choice.trials.map((t) => t.cost);
  const flatCost = choice.trials.find((t) => t.curvature === 0 && !t.signed)!.cost;
  assert(
    Math.min(...costs) >= SEARCH_GAIN * flatCost,
    `best ${Math.min(...costs)}, flat ${flatCost}`,
  );
  dataset.frames.close();
});
