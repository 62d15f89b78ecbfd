/**
 * LSQ-ML's device step solve (`wgsl/lsqml_steps.wgsl`) against float64: the five sums of random
 * exit-wave changes, the clamped 2 x 2 solve against `lsqmlSteps`, and the update reading the step
 * from the device; outputs poisoned with NaN before every call.
 */
import { requestGpu } from "../../src/gpu/mod.ts";
import { LsqmlStepSolve } from "../../src/problem/mod.ts";
import { LSQML_RULE, lsqmlSteps } from "../../src/solvers/mod.ts";
import type { StepSums } from "../../src/problem/mod.ts";
import { assertEquals, assertLessOrEqual } from "../assert.ts";
import { maxRelative, nans, randomF32, testRandom } from "../kernels/random.ts";

/** The five sums in float64 over `count` complex elements (B absent: its sums are 0). */
function sumsOf(a: Float32Array, b: Float32Array | null, g: Float32Array, count: number) {
  const s = { aa: 0, ab: 0, bb: 0, ag: 0, bg: 0 };
  const re = (u: Float32Array, v: Float32Array, i: number) => u[i] * v[i] + u[i + 1] * v[i + 1];
  for (let i = 0; i < 2 * count; i += 2) {
    s.aa += re(a, a, i);
    s.ag += re(a, g, i);
    if (b) {
      s.ab += re(a, b, i);
      s.bb += re(b, b, i);
      s.bg += re(b, g, i);
    }
  }
  return s;
}

const ORDER = ["aa", "ab", "bb", "ag", "bg"] as const;

Deno.test("LsqmlStepSolve sums aa, ab, bb, ag, bg of random waves as float64 does, with and without probe terms", async () => {
  const gpu = await requestGpu({ label: "lsqml steps test" });
  try {
    // Over 64 x 64 slots, so that the fold's runs and a partial last run are exercised.
    const max = 300_000;
    const solve = await LsqmlStepSolve.create(gpu, max);
    const [a, b, g] = [randomF32(2 * max), randomF32(2 * max), randomF32(2 * max)];
    // G leans on A and B so that ag and bg stand clear of their rounding.
    for (let i = 0; i < g.length; i++) g[i] += 0.5 * a[i] + 0.25 * b[i];
    const buffers = { a: gpu.upload(a, "a"), b: gpu.upload(b, "b"), g: gpu.upload(g, "g") };
    // The largest first: a smaller call that left any slot unwritten would add a stale one.
    for (const count of [max, 5000, 2048, 1]) {
      for (const probe of [true, false]) {
        gpu.write(solve.sums, nans(8));
        solve.sum({ ...buffers, b: probe ? buffers.b : null, count });
        const got = await gpu.readF32(solve.sums, 0, 20);
        const want = sumsOf(a, probe ? b : null, g, count);
        for (const [i, name] of ORDER.entries()) {
          if (!probe && (name === "ab" || name === "bb" || name === "bg")) {
            assertEquals(got[i], 0, `${name} without the probe`);
            continue;
          }
          // Relative to the sum of magnitudes its terms could cancel down from.
          const scale = name === "ab" ? Math.sqrt(want.aa * want.bb) : Math.abs(want[name]);
          assertLessOrEqual(
            Math.abs(got[i] - want[name]) / scale,
            1e-5,
            `${name} over ${count}, probe ${probe}: ${got[i]} against ${want[name]}`,
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
