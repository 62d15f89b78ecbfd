import { assert, assertEquals, assertGreaterOrEqual, assertRejects } from "../assert.ts";
import { ReferenceProblem, type ReferenceVector } from "../../src/physics/mod.ts";
import {
  cg,
  gd,
  GradientSolver,
  type Problem,
  secantMinimum,
  type SolverState,
} from "../../src/solvers/mod.ts";
import { blurredDisk, Random, simulateDataset } from "../../src/simulate/mod.ts";
import { phasePsnr, scannedArea } from "../../src/metrics/mod.ts";

/** A small Siemens-star problem on the float64 reference: frame 32, 60 positions. */
async function smallProblem(knownProbe: boolean) {
  const { dataset, truth, model } = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 60,
    counts: 1e5,
  });
  const frames = await dataset.frames.read(Array.from({ length: dataset.count }, (_, i) => i));
  const problem = new ReferenceProblem({ ...model, frames, noise: "poisson" });
  const x = problem.create("x");
  for (let i = 0; i < x.object.length; i += 2) x.object[i] = 1;
  x.probe.set(
    knownProbe ? truth.probe : blurredDisk({ frame: 32, radius: 9, blur: 2, counts: 1e5 }),
  );
  const mask = scannedArea({ ...model, probe: truth.probe });
  const psnr = () =>
    phasePsnr({ reconstruction: x.object, truth: truth.object, shape: model.objectShape, mask });
  return { problem, x, psnr };
}

function isNonIncreasing(costs: number[]): boolean {
  return costs.every((c, i) => i === 0 || c <= costs[i - 1]);
}

Deno.test("cg() lowers the Poisson cost monotonically and recovers a small phase object", async () => {
  const { problem, x, psnr } = await smallProblem(true);
  const { costs } = await cg(problem, x, { iterations: 40 });
  assertEquals(costs.length, 41);
  assert(isNonIncreasing(costs), `costs ${costs}`);
  assertGreaterOrEqual(psnr(), 25);
});

Deno.test("gd() lowers the cost monotonically with the line search, and overall with a fixed step", async () => {
  for (const fixedStep of [undefined, 0.5]) {
    const { problem, x, psnr } = await smallProblem(true);
    const before = psnr();
    const { costs } = await gd(problem, x, { iterations: 15, fixedStep });
    // A fixed step guarantees no monotone descent (it may overshoot early), only progress.
    if (fixedStep === undefined) assert(isNonIncreasing(costs), `costs ${costs}`);
    assert(costs[15] < costs[0], `fixed step ${fixedStep}: costs ${costs}`);
    assertGreaterOrEqual(psnr(), fixedStep ? before + 5 : 18, `fixed step ${fixedStep}`);
  }
});

Deno.test("the probe stays untouched before refineProbeFrom and is refined after it", async () => {
  const { problem, x } = await smallProblem(false);
  const start = x.probe.slice();
  const probes: Float64Array[] = [];
  const { costs } = await cg(problem, x, {
    iterations: 6,
    refineProbeFrom: 3,
    onIteration: () => {
      probes.push(x.probe.slice());
    },
  });
  assert(isNonIncreasing(costs), `costs ${costs}`);
  assertEquals(probes[2], start);
  assert(probes[3].some((v, i) => v !== start[i]), "the probe changed at iteration 3");
});

Deno.test("a solver restored from its state continues with identical bits, across the start of probe refinement", async () => {
  for (const conjugate of [true, false]) {
    const { problem, x } = await smallProblem(false);
    const options = { conjugate, refineProbeFrom: 3 };
    const solver = new GradientSolver(problem, x, options);
    for (let i = 0; i < 2; i++) await solver.step();
    const saved = snapshot(solver.state());
    for (let i = 0; i < 3; i++) await solver.step();
    solver.destroy();

    const y = problem.create("resumed");
    const resumed = new GradientSolver(problem, y, options);
    resumed.restore(saved);
    assertEquals(resumed.iteration, 2);
    for (let i = 0; i < 3; i++) await resumed.step();
    resumed.destroy();
    assertEquals(y.object, x.object, `${conjugate ? "cg" : "gd"} object`);
    assertEquals(y.probe, x.probe, `${conjugate ? "cg" : "gd"} probe`);
  }
});

Deno.test("cg() resumes from a state through its options and rejects a gd state", async () => {
  const { problem, x } = await smallProblem(true);
  const solver = new GradientSolver(problem, x, { conjugate: false });
  await solver.step();
  const state = snapshot(solver.state());
  solver.destroy();
  const error = await assertRejects(
    () => cg(problem, problem.create("y"), { iterations: 1, resume: state }),
    TypeError,
  );
  assert(error.message.includes("Cannot resume cg"), error.message);
  const { costs } = await gd(problem, problem.create("y"), { iterations: 2, resume: state });
  assertEquals(costs.length, 3);
});

/** A deep copy of a state, as a checkpoint would hold it. */
function snapshot(s: SolverState<ReferenceVector>): SolverState<ReferenceVector> {
  const vectors: Record<string, ReferenceVector> = {};
  for (const [name, v] of Object.entries(s.vectors)) {
    vectors[name] = { object: v.object.slice(), probe: v.probe.slice() };
  }
  return { ...s, vectors, scalars: { ...s.scalars } };
}

Deno.test("secantMinimum() finds the minimum of a parabola from its slopes at 0 and at one more step", () => {
  // phi(gamma) = 3 (gamma - 0.7)^2 - 1: phi'(gamma) = 6 (gamma - 0.7), passed halved.
  const half = (gamma: number) => 3 * (gamma - 0.7);
  for (const gamma of [0.1, 0.7, 2.5]) {
    const found = secantMinimum(half(0), gamma, half(gamma));
    assert(Math.abs(found - 0.7) < 1e-12, `from ${gamma}: ${found}`);
  }
  // phi' falling or flat along the step: no minimum ahead.
  assertEquals(secantMinimum(-1, 1, -1.5), Infinity);
  assertEquals(secantMinimum(-1, 1, -1), Infinity);
});

Deno.test("cg() and gd() average at most 1.3 evaluations of F per iteration by default, with and without probe refinement", async () => {
  for (const conjugate of [true, false]) {
    for (const knownProbe of [true, false]) {
      const { problem, x } = await smallProblem(knownProbe);
      const solver = new GradientSolver(problem, x, {
        conjugate,
        refineProbeFrom: knownProbe ? undefined : 2,
      });
      let evaluations = 0;
      const iterations = 30;
      for (let i = 0; i < iterations; i++) evaluations += (await solver.step()).evaluations;
      solver.destroy();
      const label = `${conjugate ? "cg" : "gd"}, ${knownProbe ? "known" : "refined"} probe`;
      assert(evaluations / iterations <= 1.3, `${label}: ${evaluations / iterations}`);
    }
  }
});

/**
 * A problem on real vectors with F(x) = sum_i w_i (x_i^2 - 1)^2 / 4 (gradient dF/dconj(x) =
 * w_i (x_i^2 - 1) x_i / 2 in the Wirtinger convention dF = 2 Re<g, dx>), no preconditioning:
 * far from a parabola, so the first trial often fails and the fallback must work.
 */
function quarticProblem(weights: number[]): Problem<Float64Array> {
  const n = weights.length;
  const cost = (x: Float64Array) =>
    weights.reduce((sum, w, i) => sum + (w * (x[i] ** 2 - 1) ** 2) / 4, 0);
  return {
    create: () => new Float64Array(n),
    destroy: () => {},
    copy: (src, dst) => dst.set(src),
    axpy: (dst, x, a, y) => dst.set(x.map((v, i) => v + a * y[i])),
    scale: (dst, a, x) => dst.set(x.map((v) => a * v)),
    dot: (a, b) => Promise.resolve(a.reduce((sum, v, i) => sum + v * b[i], 0)),
    cost: (x) => Promise.resolve(cost(x)),
    gradient: (x, g) => {
      g.set(x.map((v, i) => (weights[i] * (v * v - 1) * v) / 2));
      return Promise.resolve(cost(x));
    },
    precondition: (_x, g, out) => Promise.resolve(out.set(g)),
    setActive: () => {},
  };
}

Deno.test("the step falls back to the secant's minimum and to halving when the first trial raises F, and F never rises", async () => {
  const rng = new Random(5);
  const weights = Array.from({ length: 20 }, () => 1 + 40 * rng.uniform());
  const problem = quarticProblem(weights);
  const x = Float64Array.from(weights, () => 2 + rng.uniform());
  const solver = new GradientSolver(problem, x, {
    conjugate: true,
    steps: "predicted",
    direction: "hybrid",
  });
  const counts: number[] = [];
  let last = Infinity;
  for (let i = 0; i < 25; i++) {
    const { cost, newCost, evaluations } = await solver.step();
    assert(cost <= last && newCost! <= cost, `iteration ${i}: ${last} -> ${cost} -> ${newCost}`);
    last = newCost!;
    counts.push(evaluations);
  }
  solver.destroy();
  // The first step from 1 is far too long for weights up to 41 at |x| near 3.
  assert(counts[0] >= 3, `evaluations ${counts}`);
  assert(last < 1e-3 * (await problem.cost(Float64Array.from(weights, () => 2.5))), `${last}`);
});

/**
 * F(x) = sum_i w_i (x_i - b_i)^2 (gradient w_i (x_i - b_i)) with the preconditioner 1 / (s w_i):
 * the direction -M g points at b, and F along it is least at the step s, exactly.
 */
function quadraticProblem(weights: Float64Array, b: Float64Array, s: number) {
  const n = weights.length;
  const cost = (x: Float64Array) => weights.reduce((sum, w, i) => sum + w * (x[i] - b[i]) ** 2, 0);
  const problem: Problem<Float64Array> = {
    create: () => new Float64Array(n),
    destroy: () => {},
    copy: (src, dst) => dst.set(src),
    axpy: (dst, x, a, y) => dst.set(x.map((v, i) => v + a * y[i])),
    scale: (dst, a, x) => dst.set(x.map((v) => a * v)),
    dot: (a, c) => Promise.resolve(a.reduce((sum, v, i) => sum + v * c[i], 0)),
    cost: (x) => Promise.resolve(cost(x)),
    gradient: (x, g) => {
      g.set(x.map((v, i) => weights[i] * (v - b[i])));
      return Promise.resolve(cost(x));
    },
    precondition: (_x, g, out) => Promise.resolve(out.set(g.map((v, i) => v / (s * weights[i])))),
    setActive: () => {},
  };
  return { problem, cost };
}

function randomQuadratic(seed: number, s: number) {
  const rng = new Random(seed);
  const weights = Float64Array.from({ length: 16 }, () => 0.5 + 10 * rng.uniform());
  const b = Float64Array.from(weights, () => rng.uniform() - 0.5);
  const x = Float64Array.from(weights, () => 2 * rng.uniform() - 1);
  return { ...quadraticProblem(weights, b, s), x };
}

Deno.test("gd() and cg() never step further than maxStep (1 by default): with the line's minimum at 2, every iteration takes 1 in one evaluation and quarters F", async () => {
  for (
    const [conjugate, maxStep] of [[false, undefined], [false, 0.5], [true, undefined]] as const
  ) {
    const { problem, cost, x } = randomQuadratic(7, 2);
    const solver = new GradientSolver(problem, x, { conjugate, maxStep });
    const step = maxStep ?? 1;
    for (let i = 0; i < 6; i++) {
      const before = cost(x);
      const result = await solver.step();
      assertEquals(result.step, step, `iteration ${i}`);
      assertEquals(result.evaluations, i === 0 ? 2 : 1, `iteration ${i}`);
      // The error shrinks by 1 - step / 2 along the line, F by its square.
      const ratio = cost(x) / before;
      assert(Math.abs(ratio - (1 - step / 2) ** 2) < 1e-12, `iteration ${i}: ${ratio}`);
    }
    solver.destroy();
  }
});

Deno.test("gd()'s next trial is half the decrease the last secant promised over the new slope (0.7 for cg), on the 2^(1/4) grid", async () => {
  // The line's minimum is at 3: the first trial, 1, is accepted and the secant finds 3 exactly.
  // The promised decrease is Re<g, eta> min(2 * 1, f * 3), and the error falls by 1 - 1/3, so the
  // next slope is (2/3)^2 of the first: the next trial is min(2, 3 f) * 9 / 4 on the grid.
  const grid = (v: number) => 2 ** (Math.round(4 * Math.log2(v)) / 4);
  for (const [conjugate, f] of [[false, 0.5], [true, 0.7]] as const) {
    const { problem, x } = randomQuadratic(8, 3);
    const solver = new GradientSolver(problem, x, { conjugate, maxStep: Infinity });
    const first = await solver.step();
    assertEquals(first.step, 1);
    const second = await solver.step();
    const expected = grid((Math.min(2, 3 * f) * 9) / 4);
    assert(Math.abs(second.step - expected) < 1e-12, `${second.step} against ${expected}`);
    assertEquals(second.evaluations, 1);
    solver.destroy();
  }
});
