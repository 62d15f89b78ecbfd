/**
 * LSQ-ML's device step solve (`wgsl/lsqml_steps.wgsl`) against float64: the five sums of random
 * per-pixel terms and probe directions, the clamped 2 x 2 solve against `lsqmlSteps`, and the
 * update reading the step from the device; outputs poisoned with NaN before every call.
 */
import { requestGpu } from "../../src/gpu/mod.ts";
import { LsqmlStepSolve } from "../../src/problem/mod.ts";
import { LSQML_RULE, lsqmlSteps } from "../../src/solvers/mod.ts";
import type { StepSums } from "../../src/problem/mod.ts";
import { assertEquals, assertLessOrEqual } from "../assert.ts";
import { maxRelative, nans, randomF32, testRandom } from "../kernels/random.ts";

/**
 * The five sums in float64 from per-element terms (aa, ag, v) of K x m2 elements and, with the
 * probe, its direction dP, numerator N and weight W (`ProbeTerms`; absent: their sums are 0),
 * and the sums of their terms' magnitudes, which bound what rounding can leave after cancelling.
 */
function sumsOf(
  terms: Float32Array,
  probe: { d: Float32Array; n: Float32Array; w: Float32Array } | null,
  count: number,
  m2: number,
) {
  const sums = { aa: 0, ab: 0, bb: 0, ag: 0, bg: 0 };
  const magnitudes = { aa: 0, ab: 0, bb: 0, ag: 0, bg: 0 };
  const add = (name: keyof typeof sums, ...values: number[]) => {
    for (const v of values) {
      sums[name] += v;
      magnitudes[name] += Math.abs(v);
    }
  };
  for (let e = 0; e < count; e++) {
    add("aa", terms[4 * e]);
    add("ag", terms[4 * e + 1]);
    if (probe) {
      const [dr, di] = [probe.d[2 * e], probe.d[2 * e + 1]];
      add("ab", terms[4 * e + 2] * dr, -terms[4 * e + 3] * di);
      add("bb", (dr * dr + di * di) * probe.w[2 * (e % m2)]);
      add("bg", dr * probe.n[2 * e], di * probe.n[2 * e + 1]);
    }
  }
  return { sums, magnitudes };
}

const ORDER = ["aa", "ab", "bb", "ag", "bg"] as const;

Deno.test("LsqmlStepSolve sums aa, ab, bb, ag, bg from random terms and probe direction as float64 does, with and without probe terms", async () => {
  const gpu = await requestGpu({ label: "lsqml steps test" });
  try {
    // K = 5 frames of 256 x 256: 160 chunks of 2048, so that the fold's runs are exercised.
    const m2Max = 65536;
    const max = 5 * m2Max;
    const solve = await LsqmlStepSolve.create(gpu, max);
    // Positive squared terms, mixed signs elsewhere, as the kernel of lsqml_terms.wgsl forms them.
    const terms = randomF32(4 * max).map((v, i) => i % 4 === 0 ? Math.abs(v) : v);
    const [d, n] = [randomF32(2 * max), randomF32(2 * max)];
    const w = randomF32(2 * m2Max).map((v, i) => i % 2 === 0 ? Math.abs(v) : v);
    const buffers = {
      terms: gpu.upload(terms, "terms"),
      direction: gpu.upload(d, "dP"),
      numerator: gpu.upload(n, "N"),
      weight: gpu.upload(w, "W"),
    };
    // The largest first: a smaller call that left any slot unwritten would add a stale one.
    const cases = [[5, m2Max], [3, 4096], [2, 1024], [1, 1]];
    for (const [modes, m2] of cases) {
      const count = modes * m2;
      for (const probe of [true, false]) {
        gpu.write(solve.sums, nans(8));
        solve.sumTerms({ terms: buffers.terms, count, m2, probe: probe ? buffers : null });
        const got = await gpu.readF32(solve.sums, 0, 20);
        const { sums: want, magnitudes } = sumsOf(terms, probe ? { d, n, w } : null, count, m2);
        for (const [i, name] of ORDER.entries()) {
          if (!probe && (name === "ab" || name === "bb" || name === "bg")) {
            assertEquals(got[i], 0, `${name} without the probe`);
            continue;
          }
          const scale = magnitudes[name];
          assertLessOrEqual(
            Math.abs(got[i] - want[name]) / scale,
            1e-5,
            `${name} over ${modes} x ${m2}, probe ${probe}: ${got[i]} against ${want[name]}`,
          );
        }
      }
    }
    solve.destroy();
  } finally {
    gpu.destroy();
  }
});

Deno.test("LsqmlStepSolve's solve gives lsqmlSteps' clamped steps on random and edge sums", async () => {
  const gpu = await requestGpu({ label: "lsqml solve test" });
  try {
    const solve = await LsqmlStepSolve.create(gpu, 1);
    const cases: StepSums[] = [
      { aa: 2, ab: 0, bb: 0, ag: 1, bg: 0 },
      { aa: 1, ab: 0, bb: 0, ag: -3, bg: 0 },
      { aa: 1, ab: 0, bb: 0, ag: 30, bg: 0 },
      { aa: 0, ab: 0, bb: 0, ag: 0, bg: 0 },
      { aa: 0, ab: 0, bb: 4, ag: 0, bg: 1 },
      { aa: 1, ab: 0, bb: 4, ag: 0.5, bg: -2 },
      { aa: 1, ab: 0.999, bb: 1, ag: 1, bg: 1 },
    ];
    for (let k = 0; k < 40; k++) {
      // Random normal equations: a Gram matrix of two random vectors and a right-hand side
      // near steps inside the clamp.
      const [u, v] = [randomF32(8), randomF32(8)];
      const dot = (p: Float32Array, q: Float32Array) => p.reduce((s, x, i) => s + x * q[i], 0);
      const [aa, ab, bb] = [dot(u, u), dot(u, v), dot(v, v)];
      const [sO, sP] = [1.2 * testRandom() - 0.1, 1.2 * testRandom() - 0.1];
      cases.push({ aa, ab, bb, ag: sO * aa + sP * ab, bg: sO * ab + sP * bb });
    }
    for (const s of cases) {
      for (const probe of [true, false]) {
        // The device holds float32 sums: the reference solves the same values.
        const f = Float32Array.from(ORDER.map((n) => s[n]));
        const sums = probe
          ? { aa: f[0], ab: f[1], bb: f[2], ag: f[3], bg: f[4] }
          : { aa: f[0], ab: 0, bb: 0, ag: f[3], bg: 0 };
        const want = lsqmlSteps(sums);
        gpu.write(solve.sums, new Float32Array([...f, NaN, NaN, NaN]));
        gpu.write(solve.steps, nans(4));
        solve.solve(probe, LSQML_RULE);
        const [object, p] = await gpu.readF32(solve.steps, 0, 8);
        const label = `${JSON.stringify(sums)}: ${object}, ${p} against ${JSON.stringify(want)}`;
        assertLessOrEqual(Math.abs(object - want.object), 1e-5 * Math.max(1, want.object), label);
        assertLessOrEqual(Math.abs(p - want.probe), 1e-5 * Math.max(1, want.probe), label);
      }
    }
    solve.destroy();
  } finally {
    gpu.destroy();
  }
});

Deno.test("LsqmlStepSolve's apply takes x - step d with the device's step, and leaves x at a zero step", async () => {
  const gpu = await requestGpu({ label: "lsqml apply test" });
  try {
    const solve = await LsqmlStepSolve.create(gpu, 1);
    const n = 3001;
    const [x, d] = [randomF32(2 * n), randomF32(2 * n)];
    for (const [which, index] of [["object", 0], ["probe", 1]] as const) {
      const steps = new Float32Array([0.375, 0.625]);
      gpu.write(solve.steps, steps);
      const xb = gpu.upload(x, "x");
      solve.apply(xb, gpu.upload(d, "d"), n, which);
      const want = x.map((v, i) => v - steps[index] * d[i]);
      assertLessOrEqual(maxRelative(await gpu.readF32(xb), want), 1e-6, which);
      // At a zero step a 0 / 0 direction leaves x as it is.
      steps[index] = 0;
      gpu.write(solve.steps, steps);
      solve.apply(xb, gpu.upload(nans(2 * n), "NaN direction"), n, which);
      assertLessOrEqual(maxRelative(await gpu.readF32(xb), want), 1e-6, `${which} at 0`);
    }
    solve.destroy();
  } finally {
    gpu.destroy();
  }
});
