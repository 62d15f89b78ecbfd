import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { ReferenceProblem } from "../../src/physics/mod.ts";
import { Random } from "../../src/simulate/mod.ts";

function setup() {
  const rng = new Random(21);
  const frames = rng.uniformArray(4 * 256, 0, 50).map(Math.round);
  const problem = new ReferenceProblem({
    frame: 16,
    objectShape: [30, 30],
    slices: 2,
    modes: 2,
    positionsX: new Float64Array([10, 14.5, 10.25, 19]),
    positionsY: new Float64Array([10, 10.5, 15, 18.75]),
    propagation: { wavelength: 1e-10, sliceThickness: 1e-6, pixelSize: 1e-8 },
    frames,
    noise: "poisson",
  });
  const random = () => {
    const v = problem.create("v");
    v.object.set(rng.uniformArray(v.object.length));
    v.probe.set(rng.uniformArray(v.probe.length));
    return v;
  };
  return { problem, random };
}

Deno.test("ReferenceProblem's vector operations touch only the active parts and dot counts only them", async () => {
  const { problem, random } = setup();
  const [a, b] = [random(), random()];
  const dotOf = (u: Float64Array, v: Float64Array) => u.reduce((s, x, i) => s + x * v[i], 0);
  assertLessOrEqual(Math.abs((await problem.dot(a, b)) - dotOf(a.object, b.object)), 1e-9);
  const probe = a.probe.slice();
  const object = a.object.slice();
  problem.axpy(a, a, 2, b);
  assertEquals(a.probe, probe);
  assertEquals(a.object[5], object[5] + 2 * b.object[5]);

  problem.setActive({ object: false, probe: true });
  const both = dotOf(a.probe, b.probe);
  assertLessOrEqual(Math.abs((await problem.dot(a, b)) - both), 1e-9);
  problem.scale(b, -1, a);
  assertEquals(b.probe[7], -a.probe[7]);
  assert(b.object[7] !== -a.object[7]);
});

Deno.test("ReferenceProblem's gradient of the active probe matches its cost's directional derivative", async () => {
  const { problem, random } = setup();
  problem.setActive({ object: false, probe: true });
  const x = random();
  for (let i = 0; i < x.object.length; i += 2) x.object[i] += 1;
  x.probe.forEach((_, i) => (x.probe[i] *= 3));
  const g = random();
  const objectBefore = g.object.slice();
  await problem.gradient(x, g);
  assertEquals(g.object, objectBefore, "the inactive object part is left alone");
  const d = random();
  const h = 1e-4;
  const at = async (t: number) => {
    const y = problem.create("y");
    y.object.set(x.object);
    y.probe.set(x.probe.map((v, i) => v + t * d.probe[i]));
    return await problem.cost(y);
  };
  const numeric =
    (8 * ((await at(h)) - (await at(-h))) - ((await at(2 * h)) - (await at(-2 * h)))) /
    (12 * h);
  const analytic = 2 * (await problem.dot(g, d));
  assertLessOrEqual(Math.abs(numeric - analytic) / Math.abs(analytic), 1e-6);
});

Deno.test("ReferenceProblem's preconditioner divides by the summed probe intensity", async () => {
  const { problem, random } = setup();
  const x = random();
  const g = random();
  const out = random();
  await problem.precondition(x, g, out);
  // Pixel (0, 0) lies in no window: only the floor (1% of the maximum) divides it.
  const ratio = out.object[0] / g.object[0];
  assert(ratio > 0 && Number.isFinite(ratio));
  // A covered pixel gets a smaller factor than an uncovered one.
  const covered = 2 * (12 * 30 + 12);
  assert(out.object[covered] / g.object[covered] < ratio);
});
