import { assert, assertLessOrEqual, assertThrows } from "../assert.ts";
import { type ModelOptions, ReferenceModel } from "../../src/physics/reference.ts";
import { POSITION_STEP_BOUND, positionUpdate } from "../../src/physics/positions.ts";
import { Random } from "../../src/simulate/random.ts";

function complexNear(rng: Random, length: number, base: number, spread: number): Float64Array {
  const out = rng.uniformArray(2 * length, -spread, spread);
  for (let i = 0; i < length; i++) out[2 * i] += base;
  return out;
}

/** 3 x 3 overlapping positions, sub-pixel parts kept away from integers (the FD steps cross none). */
function positions(rng: Random) {
  const xs: number[] = [], ys: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      ys.push(10 + 5 * i + 0.2 + 0.6 * rng.uniform());
      xs.push(10 + 5 * j + 0.2 + 0.6 * rng.uniform());
    }
  }
  return { positionsX: Float64Array.from(xs), positionsY: Float64Array.from(ys) };
}

function checkPositionGradient(
  over: Partial<ModelOptions>,
  noise: "poisson" | "gaussian",
  seed: number,
) {
  const rng = new Random(seed);
  const base: ModelOptions = {
    frame: 16,
    objectShape: [36, 38],
    slices: 1,
    modes: 1,
    ...positions(rng),
    ...over,
  };
  const [h, w] = base.objectShape;
  const object = complexNear(rng, base.slices * h * w, 1, 0.3);
  const probe = complexNear(rng, base.modes * 256, 2, 1.5);
  const truth = complexNear(rng, base.slices * h * w, 1, 0.3);
  const frames = new ReferenceModel(base).intensities(truth, probe).map((v) => rng.poisson(v));
  const n = base.positionsX.length;
  const gradient = { x: new Float64Array(n), y: new Float64Array(n) };
  new ReferenceModel(base).evaluate({ object, probe, frames, noise, positionGradient: gradient });
  const dx = rng.uniformArray(n), dy = rng.uniformArray(n);
  const at = (t: number) =>
    new ReferenceModel({
      ...base,
      positionsX: base.positionsX.map((v, j) => v + t * dx[j]),
      positionsY: base.positionsY.map((v, j) => v + t * dy[j]),
    }).evaluate({ object, probe, frames, noise });
  const eps = 1e-4;
  const numeric = (8 * (at(eps) - at(-eps)) - (at(2 * eps) - at(-2 * eps))) / (12 * eps);
  let analytic = 0;
  for (let j = 0; j < n; j++) analytic += gradient.x[j] * dx[j] + gradient.y[j] * dy[j];
  assert(Math.abs(analytic) > 1, `gradient too small to test: ${analytic}`);
  assertLessOrEqual(Math.abs(numeric - analytic) / Math.abs(analytic), 1e-6, "relative error");
}

Deno.test("the gradient with respect to each position's shift matches central differences (Poisson, 2 modes)", () => {
  checkPositionGradient({ modes: 2 }, "poisson", 21);
});

Deno.test("the position gradient matches central differences for 2 slices in near field (Gaussian)", () => {
  const propagation = { wavelength: 1e-10, sliceThickness: 2e-6, pixelSize: 1e-8 };
  const nearField = { wavelength: 1e-10, distance: 2e-6, pixelSize: 1e-8 };
  checkPositionGradient({ slices: 2, propagation, nearField }, "gaussian", 22);
});

Deno.test("positionUpdate() steps against the gradient, removes the mean shift and bounds every move", () => {
  const rng = new Random(23);
  const n = 50;
  const gradientX = rng.uniformArray(n, -1, 3), gradientY = rng.uniformArray(n, -2, 1);
  for (const step of [1e-3, 10]) {
    const { dx, dy } = positionUpdate({ gradientX, gradientY, step });
    let mx = 0, my = 0, descent = 0;
    for (let j = 0; j < n; j++) {
      mx += dx[j] / n;
      my += dy[j] / n;
      assertLessOrEqual(Math.hypot(dx[j], dy[j]), POSITION_STEP_BOUND * (1 + 1e-12));
      descent += dx[j] * gradientX[j] + dy[j] * gradientY[j];
    }
    assertLessOrEqual(Math.hypot(mx, my), 1e-12, `mean shift (${mx}, ${my})`);
    assert(descent < 0, `a descent direction: ${descent}`);
  }
  // Small steps are not scaled: -step (g - mean g).
  const { dx } = positionUpdate({ gradientX, gradientY, step: 1e-3 });
  const mean = gradientX.reduce((a, b) => a + b, 0) / n;
  assertLessOrEqual(Math.abs(dx[7] + 1e-3 * (gradientX[7] - mean)), 1e-15);
  assertThrows(() => positionUpdate({ gradientX, gradientY: [1], step: 1 }), RangeError);
});
