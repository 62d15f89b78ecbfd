/**
 * Tiled checkpoints in process: a session restarted from another's checkpoint continues with
 * the same bits (tiles resident or streamed, on as many workers or others), and a checkpoint of
 * another tile grid is refused.
 */
import { InputError } from "../../../src/data/errors.ts";
import { simulateDataset } from "../../../src/simulate/mod.ts";
import { openEngineSession, tileStatesOf } from "../../../src/engine/mod.ts";
import { tiledCheckpoint } from "../../../src/engine/checkpoint_format.ts";
import { assert, assertEquals, assertLessOrEqual, assertThrows, relativeL2 } from "../../assert.ts";
import { nearTruth, type Run } from "./fixture.ts";

async function smallRun(): Promise<Run> {
  const { dataset, truth } = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 40,
    seed: 6,
  });
  return {
    dataset,
    exchange: "sync",
    algorithm: "cg",
    refineProbeFrom: 2,
    slices: 1,
    modes: 1,
    noise: "poisson",
    initial: nearTruth([truth.object, truth.probe], 0.3),
  };
}

for (const [memoryBudget, how] of [[null, "resident"], [64 * 2 ** 20, "streamed"]] as const) {
  Deno.test(`cg on 2 x 2 tiles (2 workers, ${how}) resumed from a checkpoint after 2 iterations ends bit for bit like 5 iterations straight`, async () => {
    const run = {
      ...await smallRun(),
      tiles: [2, 2] as [number, number],
      workers: 2,
      memoryBudget,
    };
    const first = await openEngineSession(run);
    let checkpoint;
    let straight;
    try {
      for (let i = 0; i < 2; i++) await first.step();
      checkpoint = await first.checkpoint();
      for (let i = 2; i < 5; i++) await first.step();
      straight = await first.result();
    } finally {
      await first.destroy();
    }
    assertEquals(Object.keys(checkpoint.arrays).length, 4 * 3 * 2, "x, direction, gradient");
    const second = await openEngineSession({ ...run, resume: checkpoint });
    try {
      assertEquals(second.iteration, 2);
      for (let i = 2; i < 5; i++) await second.step();
      const resumed = await second.result();
      assertEquals(resumed.object.data, straight.object.data);
      assertEquals(resumed.probe.data, straight.probe.data);
      assertEquals(resumed.finalCost, straight.finalCost);
      assertEquals([...second.costs], [...first.costs]);
    } finally {
      await second.destroy();
    }
  });
}

Deno.test("a checkpoint of 2 x 2 tiles on 2 workers resumes on 4 workers with the same bits, and on 1 worker streaming under a budget", async () => {
  const run = { ...await smallRun(), tiles: [2, 2] as [number, number] };
  const first = await openEngineSession({ ...run, workers: 2 });
  let checkpoint;
  let straight;
  try {
    for (let i = 0; i < 2; i++) await first.step();
    checkpoint = await first.checkpoint();
    for (let i = 2; i < 5; i++) await first.step();
    straight = await first.result();
  } finally {
    await first.destroy();
  }
  for (const [workers, memoryBudget] of [[4, null], [1, 64 * 2 ** 20]] as const) {
    const second = await openEngineSession({ ...run, workers, memoryBudget, resume: checkpoint });
    try {
      assertEquals(second.iteration, 2);
      for (let i = 2; i < 5; i++) await second.step();
      const resumed = await second.result();
      if (memoryBudget === null) {
        // Sums run in tile order whichever worker holds a tile: the same bits.
        assertEquals(resumed.object.data, straight.object.data);
        assertEquals(resumed.probe.data, straight.probe.data);
        assertEquals([...second.costs], [...first.costs]);
      } else {
        // Streamed tiles reduce on the host: the same computation up to float32 rounding.
        assertLessOrEqual(relativeL2(resumed.object.data, straight.object.data), 1e-5, "object");
        assertLessOrEqual(relativeL2(resumed.probe.data, straight.probe.data), 1e-5, "probe");
      }
    } finally {
      await second.destroy();
    }
  }
});

Deno.test("a tiled run refuses a checkpoint of another tile grid or of one device", async () => {
  const run = await smallRun();
  const session = await openEngineSession({ ...run, tiles: [2, 2], workers: 2 });
  let checkpoint;
  try {
    checkpoint = await session.checkpoint();
  } finally {
    await session.destroy();
  }
  const error = assertThrows(() => tileStatesOf(checkpoint, 9), InputError);
  assert(error.message.includes("from a checkpoint of 4 tiles"), error.message);
  const single = assertThrows(() => tileStatesOf({ meta: {}, arrays: {} }, 4), InputError);
  assert(single.message.includes("from a checkpoint of one device"), single.message);
});

Deno.test("a checkpoint whose state lacks a vector its algorithm needs is refused by name", () => {
  const vector = (n: number) => ({ object: new Float32Array(2 * n), probe: new Float32Array(8) });
  const state = (vectors: string[]) => ({
    tile: 0,
    algorithm: "lsqml" as const,
    iteration: 3,
    scalars: {},
    vectors: Object.fromEntries(vectors.map((name) => [name, vector(5)])),
  });
  const whole = tiledCheckpoint({ states: [state(["x", "previous"])], costs: [2], lastCost: 1 });
  assertEquals(tileStatesOf(whole, 1).states[0].vectors.previous.object.length, 10);
  // lsqml's state before its momentum held x alone.
  const older = tiledCheckpoint({ states: [state(["x"])], costs: [], lastCost: null });
  const error = assertThrows(
    () => tileStatesOf({ ...older, dir: "run/checkpoint" }, 1),
    InputError,
  );
  assert(error.message.includes("Cannot resume from run/checkpoint"), error.message);
  assert(error.message.includes("tile 0's lsqml state lacks previous"), error.message);
  assertEquals(error.file, "run/checkpoint");
  // A vector listed in the metadata whose array is gone.
  const damaged = tiledCheckpoint({
    states: [state(["x", "previous"])],
    costs: [],
    lastCost: null,
  });
  delete damaged.arrays["tile 0.previous.probe"];
  const lost = assertThrows(() => tileStatesOf(damaged, 1), InputError);
  assert(lost.message.includes("lacks previous.probe"), lost.message);
});
