import { assertLessOrEqual } from "../assert.ts";
import { projectSlices } from "../../src/metrics/mod.ts";
import { testRandom } from "../kernels/random.ts";

Deno.test("projectSlices() multiplies the slices pixel by pixel like float64 complex products", () => {
  const slices = 3, pixels = 7;
  const object = Float32Array.from({ length: 2 * slices * pixels }, () => testRandom() * 2 - 1);
  const got = projectSlices(object, slices, pixels);
  for (let i = 0; i < pixels; i++) {
    let [re, im] = [object[2 * i], object[2 * i + 1]];
    for (let s = 1; s < slices; s++) {
      const a = object[2 * (s * pixels + i)], b = object[2 * (s * pixels + i) + 1];
      [re, im] = [re * a - im * b, re * b + im * a];
    }
    assertLessOrEqual(Math.abs(got[2 * i] - re) + Math.abs(got[2 * i + 1] - im), 1e-12);
  }
});
