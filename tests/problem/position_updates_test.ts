import { assertLessOrEqual, relativeL2 } from "../assert.ts";
import { PositionUpdates } from "../../src/problem/mod.ts";
import { type CaseOptions, M, SHAPE, withCase } from "./fixture.ts";

/** The update of src/solvers/pie.ts for one position, in float64. */
function referenceStep(
  t: { model: import("../../src/physics/reference.ts").ReferenceModel; frames: Float32Array },
  x: { object: Float64Array; probe: Float64Array },
  j: number,
  o: { variant: "epie" | "rpie"; alpha: number; beta: number; slices: number },
) {
  const [h, w] = SHAPE;
  const m2 = M * M;
  const g = { object: new Float64Array(x.object.length), probe: new Float64Array(x.probe.length) };
  t.model.evaluate({
    ...x,
    frames: t.frames,
    noise: "gaussian",
    positions: [j],
    objectGradient: g.object,
    probeGradient: g.probe,
  });
  const win = t.model.windows[j];
  const pPower = new Float64Array(m2);
  for (let i = 0; i < x.probe.length / 2; i++) {
    pPower[i % m2] += x.probe[2 * i] ** 2 + x.probe[2 * i + 1] ** 2;
  }
  const oPower = new Float64Array(m2).fill(1);
  for (let s = 0; s < o.slices; s++) {
    for (let p = 0; p < m2; p++) {
      const i = 2 * ((s * h + win.top + Math.floor(p / M)) * w + win.left + (p % M));
      oPower[p] *= x.object[i] ** 2 + x.object[i + 1] ** 2;
    }
  }
  const pMax = Math.max(...pPower), oMax = Math.max(...oPower);
  const factor = (a: number, local: number, max: number) =>
    o.variant === "epie" ? a / max : 1 / ((1 - a) * local + a * max);
  const object = x.object.slice(), probe = x.probe.slice();
  for (let s = 0; s < o.slices; s++) {
    for (let p = 0; p < m2; p++) {
      const i = 2 * ((s * h + win.top + Math.floor(p / M)) * w + win.left + (p % M));
      const f = factor(o.alpha, pPower[p], pMax) / o.slices;
      object[i] -= f * g.object[i];
      object[i + 1] -= f * g.object[i + 1];
    }
  }
  for (let i = 0; i < probe.length / 2; i++) {
    const f = factor(o.beta, oPower[i % m2], oMax);
    probe[2 * i] -= f * g.probe[2 * i];
    probe[2 * i + 1] -= f * g.probe[2 * i + 1];
  }
  return { object, probe };
}

for (const variant of ["epie", "rpie"] as const) {
  for (const c of [{ slices: 1, modes: 1 }, { slices: 2, modes: 2 }]) {
    const options: CaseOptions = { ...c, noise: "poisson", mask: true };
    Deno.test(`PositionUpdates.step() matches the float64 ${variant} update (S=${c.slices} K=${c.modes})`, async () => {
      await withCase(options, async (t) => {
        const pie = await PositionUpdates.create(t.problem);
        const o = { variant, alpha: variant === "epie" ? 0.9 : 0.2, beta: 0.5, probe: true };
        const j = 3;
        pie.step(t.x, j, o);
        const got = await t.problem.download(t.x);
        const want = referenceStep(t, t, j, { ...o, slices: c.slices });
        const change = (a: Float32Array, b: Float64Array, base: Float64Array) =>
          relativeL2(
            Array.from(a, (v, i) => v - base[i]),
            Array.from(b, (v, i) => v - base[i]),
          );
        assertLessOrEqual(change(got.object, want.object, t.object), 1e-4);
        assertLessOrEqual(change(got.probe, want.probe, t.probe), 1e-4);
        pie.destroy();
      });
    });
  }
}
