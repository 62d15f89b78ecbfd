import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  relativeL2,
} from "../assert.ts";
import { estimateProbe, initialProbe } from "../../src/engine/probe.ts";
import { SEARCH_GAIN, searchDefocus, withCurvature } from "../../src/engine/probe_search.ts";
import { focusedProbe } from "../../src/simulate/probes.ts";
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

Deno.test("searchDefocus() keeps the flat phase for a pinhole's beam, which no curvature explains", async () => {
  const { dataset } = await simulateDataset({ preset: "siemens", frame: 32, positions: 100 });
  const flat = await estimateProbe(dataset);
  const choice = await searchDefocus(dataset, flat);
  assertEquals(choice.curvature, 0);
  assertEquals(Array.from(choice.probe), Array.from(flat));
  const costs = choice.trials.map((t) => t.cost);
  const flatCost = choice.trials.find((t) => t.curvature === 0)!.cost;
  assert(
    Math.min(...costs) >= SEARCH_GAIN * flatCost,
    `best ${Math.min(...costs)}, flat ${flatCost}`,
  );
  dataset.frames.close();
});
