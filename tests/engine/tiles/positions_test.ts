/**
 * Position correction on the engine's tiles: 2 x 2 tiles compute what one untiled device
 * computes with positions moving, the positions' error falls well below its start, and a run
 * resumed from a checkpoint keeps the refined positions and its bits.
 */
import { positionErrorRms } from "../../../src/engine/metrics.ts";
import { simulateDataset } from "../../../src/simulate/mod.ts";
import { openEngineSession } from "../../../src/engine/mod.ts";
import type { TiledPayload } from "../../../src/engine/payload.ts";
import {
  correctsPositions,
  POSITION_REST_AFTER_RESTART,
  POSITION_RESTART_AFTER,
  restartsObject,
} from "../../../src/engine/positions.ts";
import { assert, assertEquals, assertLessOrEqual, relativeL2 } from "../../assert.ts";
import { nearTruth, reconstructTiled, type Run } from "./fixture.ts";

/** Frame 64, 100 positions recorded with 2 px RMS errors; a start near the true object. */
async function shakyRun(): Promise<Run> {
  const { dataset, truth } = await simulateDataset({
    preset: "siemens",
    frame: 64,
    positions: 100,
    seed: 8,
    positionError: 2,
  });
  return {
    dataset,
    exchange: "sync",
    algorithm: "cg",
    slices: 1,
    modes: 1,
    noise: "gaussian",
    correctPositionsFrom: 1,
    initial: nearTruth([truth.object, truth.probe], 0.3),
  };
}

Deno.test("cg with position correction on 2 x 2 tiles (2 workers) equals the untiled run after 20 iterations, and the positions' error falls below a quarter of its start", async () => {
  const run = await shakyRun();
  const truth = run.dataset.truePositions!;
  const whole = await reconstructTiled(run, [1, 1], 1, 20);
  const tiled = await reconstructTiled(run, [2, 2], 2, 20);
  assertLessOrEqual(relativeL2(tiled.object.data, whole.object.data), 1e-5, "object");
  assertLessOrEqual(relativeL2(tiled.probe.data, whole.probe.data), 1e-5, "probe");
  const [a, b] = [whole.positions!, tiled.positions!];
  for (let j = 0; j < run.dataset.count; j++) {
    assertLessOrEqual(Math.abs(a.y[j] - b.y[j]) + Math.abs(a.x[j] - b.x[j]), 1e-4, `position ${j}`);
  }
  const measured = { y: run.dataset.positionsY, x: run.dataset.positionsX };
  const start = positionErrorRms(measured, truth);
  assertLessOrEqual(Math.abs(start - 2), 1e-9, "the recorded error");
  for (const [what, positions] of [["untiled", a], ["tiled", b]] as const) {
    const error = positionErrorRms(positions, truth);
    assertLessOrEqual(error, start / 4, `${what}: RMS error ${error} px from ${start} px`);
  }
});

Deno.test("lsqml with position correction on 2 x 2 tiles (2 workers) brings the positions' error below a quarter of its start in 15 iterations", async () => {
  const run: Run = { ...await shakyRun(), algorithm: "lsqml" };
  const truth = run.dataset.truePositions!;
  const tiled = await reconstructTiled(run, [2, 2], 2, 15);
  const start = positionErrorRms({ y: run.dataset.positionsY, x: run.dataset.positionsX }, truth);
  const error = positionErrorRms(tiled.positions!, truth);
  assertLessOrEqual(error, start / 4, `RMS error ${error} px from ${start} px`);
  assert(tiled.object.data.every(Number.isFinite));
});

Deno.test("the search before the object's restart brings back a position recorded 8.5 px off, farther than gradient steps reach (2 x 2 tiles, 2 workers)", async () => {
  const run = await shakyRun();
  const { dataset } = run;
  const truth = dataset.truePositions!;
  // The position nearest the scan's centre, recorded 6 px off on each axis (8.5 px away).
  const n = dataset.count;
  const cy = truth.y.reduce((a, v) => a + v, 0) / n, cx = truth.x.reduce((a, v) => a + v, 0) / n;
  const j = Array.from({ length: n }, (_, i) => i)
    .sort((a, b) =>
      Math.hypot(truth.y[a] - cy, truth.x[a] - cx) - Math.hypot(truth.y[b] - cy, truth.x[b] - cx)
    )[0];
  const positionsY = dataset.positionsY.slice(), positionsX = dataset.positionsX.slice();
  for (const [recorded, exact] of [[positionsY, truth.y], [positionsX, truth.x]]) {
    recorded[j] = exact[j] + (recorded[j] < exact[j] ? -6 : 6);
  }
  const pushed = { ...run, dataset: { ...dataset, positionsY, positionsX } };
  // The error of position j with the common shift of all positions removed.
  const errorOf = (p: { y: Float64Array; x: Float64Array }) => {
    const mean = (v: Float64Array, t: Float64Array) => v.reduce((a, w, i) => a + w - t[i], 0) / n;
    const [my, mx] = [mean(p.y, truth.y), mean(p.x, truth.x)];
    return Math.hypot(p.y[j] - truth.y[j] - my, p.x[j] - truth.x[j] - mx);
  };
  assert(errorOf({ y: positionsY, x: positionsX }) > 8, "the recorded position's error");
  // Correction from iteration 1: the search and the restart start iteration 1 + POSITION_RESTART_AFTER.
  const session = await openEngineSession({ ...pushed, tiles: [2, 2], workers: 2 });
  try {
    for (let i = 0; i <= POSITION_RESTART_AFTER; i++) await session.step();
    const before = errorOf((await session.result()).positions!);
    await session.step();
    const after = errorOf((await session.result()).positions!);
    // A step moves a position 0.5 px at most: from 1.5 px off it would end 1 px off at least.
    // The search moves by whole pixels, keeping the sub-pixel part: within half a pixel per axis.
    assert(before > 1.5, `before the search: ${before} px`);
    assertLessOrEqual(after, 0.75, `after the search: ${after} px (before: ${before} px)`);
  } finally {
    await session.destroy();
  }
});

Deno.test("position correction runs from N for POSITION_RESTART_AFTER iterations, rests POSITION_REST_AFTER_RESTART after the object's restart, then runs to the end", () => {
  const p = { correctPositionsFrom: 10 } as TiledPayload;
  const restart = 10 + POSITION_RESTART_AFTER;
  for (let i = 0; i < restart + 40; i++) {
    const expected = (i >= 10 && i < restart) || i >= restart + POSITION_REST_AFTER_RESTART;
    assertEquals(correctsPositions(p, i), expected, `iteration ${i}`);
    assertEquals(restartsObject(p, i), i === restart, `iteration ${i}`);
  }
  const off = { correctPositionsFrom: null } as TiledPayload;
  assert(!correctsPositions(off, 50) && !restartsObject(off, POSITION_RESTART_AFTER));
});

Deno.test("a run with position correction on 2 x 2 tiles resumed from a checkpoint before the object's restart keeps its refined positions and its bits", async () => {
  const run = { ...await shakyRun(), tiles: [2, 2] as [number, number], workers: 2 };
  // Correction from iteration 1: the object restarts at 1 + POSITION_RESTART_AFTER.
  const stop = POSITION_RESTART_AFTER - 1, end = POSITION_RESTART_AFTER + 3;
  const first = await openEngineSession(run);
  let checkpoint, straight;
  try {
    for (let i = 0; i < stop; i++) await first.step();
    checkpoint = await first.checkpoint();
    for (let i = stop; i < end; i++) await first.step();
    straight = await first.result();
  } finally {
    await first.destroy();
  }
  assert(Object.keys(checkpoint.arrays).some((name) => name.endsWith(".positions.y")));
  const second = await openEngineSession({ ...run, resume: checkpoint });
  try {
    assertEquals(second.iteration, stop);
    for (let i = stop; i < end; i++) await second.step();
    const resumed = await second.result();
    assertEquals(resumed.object.data, straight.object.data);
    assertEquals(resumed.probe.data, straight.probe.data);
    assertEquals(resumed.positions, straight.positions);
    assertEquals([...second.costs], [...first.costs]);
  } finally {
    await second.destroy();
  }
});
