import { assert, assertEquals, assertLessOrEqual, assertThrows } from "../assert.ts";
import { type ModelOptions, ReferenceModel } from "../../src/physics/reference.ts";
import {
  finishMoves,
  POSITION_SHIFT_LIMIT,
  POSITION_STEP_BOUND,
  positionUpdate,
  proposedMoves,
  withinShiftLimit,
} from "../../src/physics/positions.ts";
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

Deno.test("positionUpdate() takes Gauss-Newton steps, removes the mean shift and bounds every move", () => {
  const rng = new Random(23);
  const n = 50;
  const gradientX = rng.uniformArray(n, -1, 3), gradientY = rng.uniformArray(n, -2, 1);
  for (const scale of [1e3, 0.1]) {
    const curvatureX = rng.uniformArray(n, scale, 2 * scale);
    const curvatureY = rng.uniformArray(n, scale, 2 * scale);
    const { dx, dy } = positionUpdate({ gradientX, gradientY, curvatureX, curvatureY });
    let mx = 0, my = 0, descent = 0;
    for (let j = 0; j < n; j++) {
      mx += dx[j] / n;
      my += dy[j] / n;
      assertLessOrEqual(Math.hypot(dx[j], dy[j]), POSITION_STEP_BOUND * (1 + 1e-12));
      descent += dx[j] * gradientX[j] + dy[j] * gradientY[j];
    }
    assertLessOrEqual(Math.hypot(mx, my), 1e-12, `mean shift (${mx}, ${my})`);
    assert(descent < 0, `a descent direction: ${descent}`);
    if (scale === 1e3) {
      // Short steps are neither shortened nor scaled: -g / c less the mean of -g / c.
      let mean = 0;
      for (let j = 0; j < n; j++) mean -= gradientX[j] / curvatureX[j] / n;
      assertLessOrEqual(Math.abs(dx[7] + gradientX[7] / curvatureX[7] + mean), 1e-15);
    }
  }
  const ones = new Float64Array(n).fill(1);
  assertThrows(
    () => positionUpdate({ gradientX, gradientY: [1], curvatureX: ones, curvatureY: ones }),
    RangeError,
  );
});

Deno.test("proposedMoves() and finishMoves() on parts of the scan give positionUpdate()'s moves", () => {
  const rng = new Random(24);
  const n = 30;
  const o = {
    gradientX: rng.uniformArray(n, -5, 5),
    gradientY: rng.uniformArray(n, -5, 5),
    curvatureX: rng.uniformArray(n, 1, 2),
    curvatureY: rng.uniformArray(n, 1, 2),
  };
  const whole = positionUpdate(o);
  // Two "tiles" of positions 0..11 and 12..29: sums and the largest move are all they share.
  const parts = [[0, 12], [12, 30]].map(([a, b]) =>
    proposedMoves({
      gradientX: o.gradientX.subarray(a, b),
      gradientY: o.gradientY.subarray(a, b),
      curvatureX: o.curvatureX.subarray(a, b),
      curvatureY: o.curvatureY.subarray(a, b),
    })
  );
  const sum = (f: (m: { dx: Float64Array; dy: Float64Array }) => Float64Array) =>
    parts.reduce((s, m) => s + f(m).reduce((t, v) => t + v, 0), 0);
  const mean = { x: sum((m) => m.dx) / n, y: sum((m) => m.dy) / n };
  const longest = parts.map((m) => finishMoves({ dx: m.dx.slice(), dy: m.dy.slice() }, mean, 0));
  const largest = Math.max(...longest);
  assert(largest > POSITION_STEP_BOUND, `the case scales the moves: ${largest}`);
  for (const m of parts) finishMoves(m, mean, largest);
  const joined = [...parts[0].dx, ...parts[1].dx];
  for (let j = 0; j < n; j++) assertLessOrEqual(Math.abs(joined[j] - whole.dx[j]), 1e-15);
});

Deno.test("withinShiftLimit() keeps refined positions within the limit of the measured ones", () => {
  const measured = Float64Array.of(10, 20, 30);
  const refined = Float64Array.of(19, 20.5, 21);
  withinShiftLimit(refined, measured);
  assertEquals(Array.from(refined), [10 + POSITION_SHIFT_LIMIT, 20.5, 30 - POSITION_SHIFT_LIMIT]);
});
