import { assertLessOrEqual } from "../assert.ts";
import type { GpuProblem, GpuVariables } from "../../src/problem/mod.ts";
import { randomF32 } from "../kernels/random.ts";
import { type CaseOptions, withCase } from "../problem/fixture.ts";

/**
 * A random complex direction scaled by |x| elementwise (plus 5% of the largest |x|), so that a
 * step perturbs dark probe pixels no more than bright ones relatively.
 */
function relativeDirection(x: Float32Array): Float32Array {
  const r = randomF32(x.length);
  let peak = 0;
  for (let i = 0; i < x.length; i += 2) peak = Math.max(peak, Math.hypot(x[i], x[i + 1]));
  for (let i = 0; i < x.length; i += 2) {
    const a = Math.hypot(x[i], x[i + 1]) + 0.05 * peak;
    r[i] *= a;
    r[i + 1] *= a;
  }
  return r;
}

/**
 * Central differences of the cost (five-point stencil) along a random complex direction dx of
 * the chosen part, against the Wirtinger prediction 2 Re <g, dx> (the gradient
 * is dF/dconj(x), so dF = 2 Re <g, dx>). Of four random directions the one best aligned with g is
 * used, so that the derivative measured is not lost in float32 rounding of the cost. Returns the
 * relative mismatch.
 */
export async function finiteDifference(
  problem: GpuProblem,
  x: GpuVariables,
  part: "object" | "probe",
  h: number,
): Promise<number> {
  const g = problem.create("gradient");
  const trial = problem.create("x + h dx");
  const dx = problem.create("direction");
  // The inactive part of the trial point must hold x's, since axpy leaves it untouched.
  problem.setActive({ object: true, probe: true });
  problem.copy(x, trial);
  problem.setActive({ object: part === "object", probe: part === "probe" });
  await problem.gradient(x, g);
  const host = await problem.gpu.readF32(x[part]);
  let predicted = 0;
  let best = -1;
  let direction: Float32Array = new Float32Array(0);
  for (let attempt = 0; attempt < 4; attempt++) {
    const candidate = relativeDirection(host);
    problem.gpu.write(dx[part], candidate);
    const slope = 2 * (await problem.dot(g, dx));
    const alignment = Math.abs(slope) / Math.sqrt(await problem.dot(dx, dx));
    if (alignment > best) [best, predicted, direction] = [alignment, slope, candidate];
  }
  problem.gpu.write(dx[part], direction);
  const at = async (t: number) => {
    problem.axpy(trial, x, t, dx);
    return await problem.cost(trial);
  };
  // Five-point stencil: its O(h^4) truncation allows a step large enough for float32 rounding.
  const near = (await at(h)) - (await at(-h));
  const far = (await at(2 * h)) - (await at(-2 * h));
  const measured = (8 * near - far) / (12 * h);
  for (const v of [g, dx, trial]) problem.destroy(v);
  return Math.abs(measured - predicted) / Math.abs(predicted);
}

/**
 * The cost is evaluated in float32 on the device (the forward model and the per-pixel terms),
 * which limits how finely differences resolve its slope; the Poisson term also bends sharply on
 * dim pixels. Measured over 8 runs of each case here: 1e-5 to 3e-3, typically 3e-4. A wrong
 * factor, sign or conjugate, or a missing slice or mode, gives mismatches of order 1e-1 to 1.
 * The float64 reference comparison in tests/problem pins the gradient to 1e-4 (seen: 1e-6).
 */
const FD_TOLERANCE = 1e-2;

const cases: Array<CaseOptions & { h: number }> = [
  { slices: 1, modes: 1, noise: "poisson", mask: true, h: 1e-3 },
  { slices: 1, modes: 1, noise: "gaussian", mask: true, h: 1e-3 },
  { slices: 2, modes: 2, noise: "poisson", h: 1e-3 },
  { slices: 3, modes: 1, noise: "gaussian", h: 1e-3 },
  { slices: 3, modes: 2, noise: "gaussian", mask: true, h: 1e-3 },
  { slices: 1, modes: 2, noise: "poisson", mask: true, nearField: true, h: 1e-3 },
  { slices: 2, modes: 1, noise: "gaussian", nearField: true, h: 1e-3 },
];

for (const c of cases) {
  for (const part of ["object", "probe"] as const) {
    const name = `${c.noise} cost, S=${c.slices} K=${c.modes}${c.mask ? " with a mask" : ""}` +
      (c.nearField ? ", near field" : "");
    Deno.test(`the ${part} gradient of the ${name} matches central differences`, async () => {
      await withCase(c, async ({ problem, x }) => {
        const mismatch = await finiteDifference(problem, x, part, c.h);
        assertLessOrEqual(mismatch, FD_TOLERANCE, `relative mismatch ${mismatch}`);
      });
    });
  }
}
