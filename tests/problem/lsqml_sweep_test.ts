/**
 * LSQ-ML's sweep on the device against the same batch updates written in float64 on the
 * reference model: directions from each batch's gradients and illuminations, step sums from its
 * far fields, steps from `lsqmlSteps`.
 */
import { LsqmlSweep } from "../../src/problem/mod.ts";
import { ReferenceModel } from "../../src/physics/reference.ts";
import { PRECONDITIONER_FLOOR } from "../../src/physics/model.ts";
import { poissonStepReference } from "../../src/physics/projection_reference.ts";
import {
  POISSON_STEP_FLOOR,
  POISSON_STEP_ITERATIONS,
  POISSON_STEP_START,
} from "../../src/cost/mod.ts";
import { LSQML_WINDOW_RIDGE } from "../../src/problem/mod.ts";
import { LSQML_RULE, lsqmlSteps } from "../../src/solvers/mod.ts";
import { assertEquals, assertLessOrEqual, relativeL2 } from "../assert.ts";
import { type CaseOptions, withCase } from "./fixture.ts";

/** Re sum conj(a) b over interleaved complex arrays. */
function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 2) s += a[i] * b[i] + a[i + 1] * b[i + 1];
  return s;
}

/** g / (Re d + eps max Re f), d broadcast over frames of d's length. */
function divided(g: Float64Array, d: Float64Array, f: ArrayLike<number>): Float64Array {
  let peak = 0;
  for (let i = 0; i < f.length; i++) peak = Math.max(peak, f[i]);
  const floor = PRECONDITIONER_FLOOR * peak;
  const n = d.length / 2;
  return g.map((v, i) => v / (d[2 * (Math.floor(i / 2) % n)] + floor));
}

/**
 * The sweep of `LsqmlSweep` in float64: batches of `batchSize` consecutive positions, the
 * amplitude cost's gradient (Gaussian) or the Poisson step's update (Poisson) as the exit-wave
 * residual, the amplitude cost reported.
 */
function referenceSweep(
  model: ReferenceModel,
  frames: Float32Array,
  start: { object: Float64Array; probe: Float64Array },
  o: { batchSize: number; probe: boolean; noise: "poisson" | "gaussian" },
): { object: Float64Array; probe: Float64Array; cost: number } {
  const { frame: m, modes, objectShape: [, w] } = model.options;
  const m2 = m * m;
  const whole = new ReferenceModel({
    ...model.options,
    positionsY: Float64Array.from(model.windows, (win) => win.top + m / 2),
    positionsX: Float64Array.from(model.windows, (win) => win.left + m / 2),
  });
  const object = start.object.slice();
  const probe = start.probe.slice();
  let cost = 0;
  for (let first = 0; first < model.count; first += o.batchSize) {
    const count = Math.min(o.batchSize, model.count - first);
    const positions = Array.from({ length: count }, (_, i) => first + i);
    const gO = new Float64Array(object.length);
    const gP = new Float64Array(probe.length);
    const mask = model.options.mask;
    const weights = Float64Array.from({ length: m2 }, (_, q) => mask && mask[q] !== 0 ? 0 : 1);
    const step = (_: number, intensity: Float64Array, frame: ArrayLike<number>) =>
      poissonStepReference({
        intensity,
        frame,
        weights,
        floor: POISSON_STEP_FLOOR,
        iterations: POISSON_STEP_ITERATIONS,
        start: POISSON_STEP_START,
      }).factor;
    cost += model.evaluate({
      object,
      probe,
      frames,
      noise: "gaussian",
      factors: o.noise === "poisson" ? step : undefined,
      objectGradient: gO,
      probeGradient: o.probe ? gP : undefined,
      positions,
    });
    // sum_k |P_k|^2 under every window of the batch; sum_j |O_j|^2 over the probe's frame.
    const intensity = new Float64Array(m2);
    for (let i = 0; i < modes * m2; i++) {
      intensity[i % m2] += probe[2 * i] ** 2 + probe[2 * i + 1] ** 2;
    }
    const weight = new Float64Array(object.length);
    const probeWeight = new Float64Array(2 * m2);
    for (const j of positions) {
      const { top, left } = model.windows[j];
      for (let y = 0; y < m; y++) {
        for (let x = 0; x < m; x++) {
          const p = (top + y) * w + left + x;
          weight[2 * p] += intensity[y * m + x] + LSQML_WINDOW_RIDGE;
          probeWeight[2 * (y * m + x)] += object[2 * p] ** 2 + object[2 * p + 1] ** 2;
        }
      }
    }
    // The object's floor from the probe's peak intensity, the probe's from its weight's peak.
    const dO = divided(gO, weight, intensity);
    const dP = divided(gP, probeWeight, probeWeight.filter((_, i) => i % 2 === 0));
    const a = model.farFields(dO, probe, positions);
    const sums = { aa: dot(a, a), ab: 0, bb: 0, ag: dot(dO, gO), bg: 0 };
    if (o.probe) {
      // B = O_j dP on each window, without the probe's sub-pixel shift (the sweep's B; bg is
      // the exact Re <dP, N>): the same windows at whole positions.
      const b = whole.farFields(object, dP, positions);
      Object.assign(sums, { ab: dot(a, b), bb: dot(b, b), bg: dot(dP, gP) });
    }
    const steps = lsqmlSteps(sums);
    for (let i = 0; i < object.length; i++) object[i] -= steps.object * dO[i];
    if (o.probe) { for (let i = 0; i < probe.length; i++) probe[i] -= steps.probe * dP[i]; }
  }
  return { object, probe, cost };
}

for (
  const c of [
    { slices: 1, modes: 2, noise: "poisson", mask: true, positions: 10, batchSize: 4 },
    // One mode in far field: the FFT's stores keep the far fields and sum the cost.
    { slices: 1, modes: 1, noise: "poisson", positions: 9, batchSize: 3 },
    { slices: 1, modes: 1, noise: "gaussian", positions: 9, batchSize: 3, nearField: true },
  ] as CaseOptions[]
) {
  for (const refine of [false, true]) {
    const name = `K=${c.modes} ${c.noise}${c.mask ? " with a mask" : ""}` +
      `${c.nearField ? ", near field" : ""}, probe ${refine ? "refined" : "fixed"}`;
    Deno.test(`LsqmlSweep equals the float64 batch updates (${name})`, async () => {
      await withCase(c, async ({ problem, model, frames, object, probe, x }) => {
        const want = referenceSweep(model, frames, { object, probe }, {
          batchSize: c.batchSize!,
          probe: refine,
          noise: c.noise,
        });
        const sweep = new LsqmlSweep(problem, problem.scan.batches.length);
        try {
          const { cost, rFactor } = await sweep.sweep(x, { probe: refine, rule: LSQML_RULE });
          const got = await problem.download(x);
          assertLessOrEqual(Math.abs(cost - want.cost) / Math.abs(want.cost), 1e-5, "cost");
          assertLessOrEqual(relativeL2(new Float64Array(got.object), want.object), 1e-5);
          assertLessOrEqual(relativeL2(new Float64Array(got.probe), want.probe), 1e-5);
          assertEquals(Number.isFinite(rFactor) && rFactor > 0, true);
        } finally {
          sweep.destroy();
        }
      });
    });
  }
}

Deno.test("LsqmlSweep's empty batches past the problem's (a tile with fewer) change nothing", async () => {
  const c: CaseOptions = { slices: 1, modes: 1, noise: "poisson", positions: 8, batchSize: 4 };
  await withCase(c, async ({ problem, x, object, probe }) => {
    const y = problem.upload(new Float32Array(object), new Float32Array(probe), "y");
    const results = [];
    for (const [v, batches] of [[x, 2], [y, 5]] as const) {
      const sweep = new LsqmlSweep(problem, batches);
      try {
        await sweep.sweep(v, { probe: true, rule: LSQML_RULE });
        results.push(await problem.download(v));
      } finally {
        sweep.destroy();
      }
    }
    assertEquals(results[1].object, results[0].object);
    assertEquals(results[1].probe, results[0].probe);
  });
});
