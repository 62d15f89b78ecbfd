/**
 * `--memory-budget`: a worker with more tiles than fit streams them through its device one at a
 * time and computes what the resident run computes, under the budget.
 */
import { InputError } from "../../../src/data/errors.ts";
import { simulateDataset } from "../../../src/simulate/mod.ts";
import { openEngineSession } from "../../../src/engine/mod.ts";
import { assert, assertLessOrEqual, assertRejects, relativeL2 } from "../../assert.ts";
import { nearTruth, type Run, twoSliceTwoModeRun } from "./fixture.ts";

const ITERATIONS = 4;

async function smallRun(): Promise<Run> {
  const { dataset, truth } = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 120,
    scan: "raster",
    seed: 7,
  });
  return {
    dataset,
    exchange: "sync",
    algorithm: "cg",
    refineProbeFrom: 2,
    slices: 1,
    modes: 1,
    noise: "gaussian",
    initial: nearTruth([truth.object, truth.probe], 0.3),
    // Small batches, so that a tile's device bytes are mostly its own (frames, vectors) rather
    // than batch work buffers of the same size on every tile.
    batchSize: 8,
  };
}

async function reconstruct(run: Run, memoryBudget: number | null) {
  const session = await openEngineSession({ ...run, tiles: [3, 3], workers: 2, memoryBudget });
  try {
    for (let i = 0; i < ITERATIONS; i++) await session.step();
    return { ...await session.result(), peaks: session.deviceBytesPeak(), costs: session.costs };
  } finally {
    await session.destroy();
  }
}

Deno.test("a memory budget below one tile is an InputError naming the bytes one tile needs; with that many, cg on 3 x 3 tiles (2 workers) streams tiles one at a time, equals the resident run and stays under the budget", async () => {
  const run = await smallRun();
  const error = await assertRejects(
    () => openEngineSession({ ...run, tiles: [3, 3], workers: 2, memoryBudget: 100_000 }),
    InputError,
  );
  const need = /^--memory-budget 100000 cannot hold one tile: a worker needs (\d+) device bytes/
    .exec(error.message);
  assert(need !== null, error.message);
  // The bytes of the largest tile's pass: a worker then holds one tile at a time.
  const budget = Number(need[1]);
  const resident = await reconstruct(run, null);
  const streamed = await reconstruct(run, budget);
  for (const peak of streamed.peaks) assertLessOrEqual(peak, budget, "streamed worker's peak");
  for (const peak of resident.peaks) {
    assert(peak > budget, "the budget is below the resident run's");
  }
  assertLessOrEqual(relativeL2(streamed.object.data, resident.object.data), 1e-5, "object");
  assertLessOrEqual(relativeL2(streamed.probe.data, resident.probe.data), 1e-5, "probe");
});

Deno.test("gd on 2 slices and 2 probe modes with probe refinement, 2 x 2 tiles (2 workers) streamed under a memory budget, equals the resident run", async () => {
  const data = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 60,
    slices: 2,
    scan: "raster",
    seed: 8,
  });
  const run: Run = {
    ...twoSliceTwoModeRun(data, { algorithm: "gd", refineProbeFrom: 1 }),
    batchSize: 8,
  };
  const tiled = async (memoryBudget: number | null) => {
    const session = await openEngineSession({ ...run, tiles: [2, 2], workers: 2, memoryBudget });
    try {
      for (let i = 0; i < 4; i++) await session.step();
      return { ...await session.result(), peaks: session.deviceBytesPeak() };
    } finally {
      await session.destroy();
    }
  };
  const resident = await tiled(null);
  const budget = Math.floor(Math.min(...resident.peaks) * 0.75);
  const streamed = await tiled(budget);
  for (const peak of streamed.peaks) assertLessOrEqual(peak, budget, "streamed worker's peak");
  assertLessOrEqual(relativeL2(streamed.object.data, resident.object.data), 1e-5, "object");
  assertLessOrEqual(relativeL2(streamed.probe.data, resident.probe.data), 1e-5, "probe");
});

Deno.test("the complete tiled gradient (object and probe) of streamed tiles equals the resident tiles'", async () => {
  const run = await smallRun();
  const gradient = async (memoryBudget: number | null) => {
    const session = await openEngineSession({ ...run, tiles: [3, 3], workers: 2, memoryBudget });
    try {
      return await session.gradient();
    } finally {
      await session.destroy();
    }
  };
  const resident = await gradient(null);
  const streamed = await gradient(64 * 2 ** 20);
  assertLessOrEqual(relativeL2(streamed.object.data, resident.object.data), 1e-6, "object");
  assertLessOrEqual(relativeL2(streamed.probe.data, resident.probe.data), 1e-6, "probe");
  assertLessOrEqual(Math.abs(streamed.cost - resident.cost), 1e-9 * Math.abs(resident.cost));
});

Deno.test("one tile on one device (the untiled run, in process) streams under a memory budget and equals the resident run", async () => {
  const run = await smallRun();
  const untiled = async (memoryBudget: number | null) => {
    const session = await openEngineSession({ ...run, tiles: [1, 1], workers: 1, memoryBudget });
    try {
      for (let i = 0; i < ITERATIONS; i++) await session.step();
      return { ...await session.result(), peaks: session.deviceBytesPeak() };
    } finally {
      await session.destroy();
    }
  };
  const error = await assertRejects(() => untiled(100_000), InputError);
  const need = /a worker needs (\d+) device bytes/.exec(error.message);
  assert(need !== null, error.message);
  const budget = Number(need[1]);
  const resident = await untiled(null);
  const streamed = await untiled(budget);
  assertLessOrEqual(streamed.peaks[0], budget, "streamed device's peak");
  assert(resident.peaks[0] > budget, "the budget is below the resident run's");
  assertLessOrEqual(relativeL2(streamed.object.data, resident.object.data), 1e-5, "object");
  assertLessOrEqual(relativeL2(streamed.probe.data, resident.probe.data), 1e-5, "probe");
});
