/** LSQ-ML's step rule, its momentum and its sparse mini-batches. */
import { requestGpu } from "../../src/gpu/mod.ts";
import { Elementwise } from "../../src/kernels/mod.ts";
import { type GpuVariables, type LsqmlSweep, sparseBatchOrder } from "../../src/problem/mod.ts";
import {
  LSQML_MAX_STEP,
  LSQML_MOMENTUM,
  LSQML_RIDGE,
  LsqmlSolver,
  lsqmlSteps,
} from "../../src/solvers/mod.ts";
import { Random } from "../../src/simulate/random.ts";
import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { maxRelative, randomF32 } from "../kernels/random.ts";

Deno.test("lsqmlSteps minimises || G - aO A - aP B ||^2 over random exit waves (ridge aside)", () => {
  const random = new Random(11);
  for (let trial = 0; trial < 20; trial++) {
    const n = 64;
    const wave = () => Float64Array.from({ length: n }, () => random.normal());
    const [a, b] = [wave(), wave()];
    // G near a combination with steps inside the clamp, plus a residual.
    const [sO, sP] = [0.1 + 0.8 * random.uniform(), 0.1 + 0.8 * random.uniform()];
    const g = a.map((v, i) => sO * v + sP * b[i] + 0.1 * random.normal());
    const dot = (u: Float64Array, v: Float64Array) => u.reduce((s, x, i) => s + x * v[i], 0);
    const sums = { aa: dot(a, a), ab: dot(a, b), bb: dot(b, b), ag: dot(a, g), bg: dot(b, g) };
    const steps = lsqmlSteps(sums);
    const r = (o: number, p: number) => {
      const e = g.map((v, i) => v - o * a[i] - p * b[i]);
      return dot(e, e);
    };
    const best = r(steps.object, steps.probe);
    for (const [dO, dP] of [[1e-2, 0], [-1e-2, 0], [0, 1e-2], [0, -1e-2]]) {
      // The ridge moves the optimum by about LSQML_RIDGE relative: a step of 1e-2 is worse.
      assert(best <= r(steps.object + dO, steps.probe + dP), `trial ${trial}: not the minimum`);
    }
    assertLessOrEqual(Math.abs(steps.object - sO), 0.1, "object step near the combination's");
    assertLessOrEqual(Math.abs(steps.probe - sP), 0.1, "probe step near the combination's");
  }
  assert(LSQML_RIDGE < 1e-2);
});

Deno.test("lsqmlSteps keeps steps in [0, LSQML_MAX_STEP] and solves the object alone without probe sums", () => {
  assertEquals(lsqmlSteps({ aa: 2, ab: 0, bb: 0, ag: 1, bg: 0 }), { object: 0.5, probe: 0 });
  assertEquals(lsqmlSteps({ aa: 1, ab: 0, bb: 0, ag: -3, bg: 0 }), { object: 0, probe: 0 });
  assertEquals(lsqmlSteps({ aa: 1, ab: 0, bb: 0, ag: 30, bg: 0 }).object, LSQML_MAX_STEP);
  assertEquals(lsqmlSteps({ aa: 0, ab: 0, bb: 0, ag: 0, bg: 0 }), { object: 0, probe: 0 });
  const steps = lsqmlSteps({ aa: 1, ab: 0, bb: 4, ag: 0.5, bg: -2 });
  assertEquals(steps.probe, 0);
  assertLessOrEqual(Math.abs(steps.object - 0.5 / (1 + LSQML_RIDGE)), 1e-12);
});

Deno.test("sparseBatchOrder deals every position once into batches whose members lie far apart", () => {
  const random = new Random(5);
  // A jittered 20 x 20 raster, 10 px apart: 400 positions into 25 batches of 16.
  const y: number[] = [], x: number[] = [];
  for (let r = 0; r < 20; r++) {
    for (let c = 0; c < 20; c++) {
      y.push(10 * r + random.uniform());
      x.push(10 * c + random.uniform());
    }
  }
  const order = sparseBatchOrder(y, x, 25);
  assertEquals([...order].sort((a, b) => a - b), Array.from({ length: 400 }, (_, i) => i));
  const nearest = (members: number[]) => {
    let least = Infinity;
    for (const i of members) {
      for (const j of members) {
        if (i !== j) least = Math.min(least, Math.hypot(y[i] - y[j], x[i] - x[j]));
      }
    }
    return least;
  };
  for (let b = 0; b < 25; b++) {
    const members = Array.from(order.subarray(16 * b, 16 * b + 16));
    // Raster neighbours sit 9 to 11 px apart (diagonal ones 13 to 15): none share a batch.
    assert(nearest(members) > 12, `batch ${b}: members ${nearest(members).toFixed(1)} px apart`);
  }
  // Batches sized as the scan cuts them: 10 positions into 4 batches of 3, 3, 3, 1.
  const ten = sparseBatchOrder(Array.from({ length: 10 }, (_, i) => i), new Array(10).fill(0), 4);
  assertEquals([...ten].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
  assertEquals(sparseBatchOrder([], [], 3).length, 0);
});

Deno.test("LsqmlSolver moves object and probe on by LSQML_MOMENTUM of their velocity from the second refining sweep, except after a sweep that raised the cost", async () => {
  const gpu = await requestGpu({ label: "lsqml momentum test" });
  try {
    const ew = await Elementwise.create(gpu);
    const sizes = { object: 7, probe: 3 };
    const parts = ["object", "probe"] as const;
    const variables = (label: string) => ({
      object: gpu.buffer(8 * sizes.object, `${label} object`),
      probe: gpu.buffer(8 * sizes.probe, `${label} probe`),
    });
    const problem = {
      gpu,
      ew,
      sizes,
      create: variables,
      destroy: (v: GpuVariables) => gpu.release(v.object, v.probe),
    };
    // A stand-in sweep adding a fixed change d to x, so that the extrapolation shows alone.
    const d = { object: randomF32(2 * sizes.object), probe: randomF32(2 * sizes.probe) };
    const dBuffers = { object: gpu.upload(d.object, "d object"), probe: gpu.upload(d.probe, "d") };
    const refined: boolean[] = [];
    // The sweeps' costs: the fourth rises, so it restarts the momentum.
    const costs = [5, 4, 3, 3.5, 2, 1];
    const sweep = {
      problem,
      sweep: (x: GpuVariables, o: { probe: boolean }) => {
        refined.push(o.probe);
        for (const part of parts) {
          ew.axpy(x[part], x[part], 1, dBuffers[part], 2 * sizes[part]);
        }
        return Promise.resolve({ cost: costs[refined.length - 1], rFactor: 0 });
      },
      destroy: () => {},
    };
    const start = { object: randomF32(2 * sizes.object), probe: randomF32(2 * sizes.probe) };
    const x = variables("x");
    for (const part of parts) gpu.write(x[part], start[part]);
    const solver = new LsqmlSolver(sweep as unknown as LsqmlSweep, x, { refineProbeFrom: 1 });
    // x_k = x_{k-1} + d; from the second refining sweep on, x += gamma (x - the last sweep's x),
    // except after sweep 3, whose cost rose.
    const want = { object: Float64Array.from(start.object), probe: Float64Array.from(start.probe) };
    const last = { object: new Float64Array(0), probe: new Float64Array(0) };
    for (let k = 0; k < costs.length; k++) {
      await solver.step();
      for (const part of parts) {
        const swept = want[part].map((v, i) => v + d[part][i]);
        const moves = k >= 2 && k !== 3;
        want[part] = moves ? swept.map((v, i) => v + LSQML_MOMENTUM * (v - last[part][i])) : swept;
        last[part] = swept;
        const got = await gpu.readF32(x[part]);
        assertLessOrEqual(maxRelative(got, want[part]), 1e-6, `${part} after sweep ${k}`);
      }
    }
    assertEquals(refined, [false, true, true, true, true, true]);
    solver.destroy();
  } finally {
    gpu.destroy();
  }
});
