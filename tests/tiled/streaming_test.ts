/**
 * `--memory-budget`: a worker with more tiles than fit streams them through its device one at a
 * time and computes what the resident run computes, under the budget.
 */
import { InputError } from "../../src/data/errors.ts";
import { simulateDataset } from "../../src/simulate/mod.ts";
import { openTiledSession } from "../../src/tiled/mod.ts";
import { assert, assertLessOrEqual, assertRejects, relativeL2 } from "../assert.ts";
import { nearTruth, type Run } from "./fixture.ts";

const ITERATIONS = 6;

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
  const session = await openTiledSession({ ...run, tiles: [3, 3], workers: 2, memoryBudget });
  try {
    for (let i = 0; i < ITERATIONS; i++) await session.step();
    return { ...await session.result(), peaks: session.deviceBytesPeak(), costs: session.costs };
  } finally {
    await session.destroy();
  }
}

Deno.test("cg on 3 x 3 tiles (2 workers) streamed under a memory budget equals the resident run, each worker's device peak under the budget", async () => {
  const run = await smallRun();
  const resident = await reconstruct(run, null);
  // Half of what the lighter worker needs with its tiles resident: both workers must stream.
  const budget = Math.floor(Math.min(...resident.peaks) / 2);
  const streamed = await reconstruct(run, budget);
  for (const peak of streamed.peaks) assertLessOrEqual(peak, budget, "streamed worker's peak");
  assertLessOrEqual(relativeL2(streamed.object.data, resident.object.data), 1e-5, "object");
  assertLessOrEqual(relativeL2(streamed.probe.data, resident.probe.data), 1e-5, "probe");
});

Deno.test("a memory budget that cannot hold one tile is an InputError saying how many bytes one tile needs", async () => {
  const run = await smallRun();
  const error = await assertRejects(
    () => openTiledSession({ ...run, tiles: [3, 3], workers: 2, memoryBudget: 100_000 }),
    InputError,
  );
  assert(
    /--memory-budget 100000 cannot hold one tile: a worker needs \d+ device bytes/.test(
      error.message,
    ),
    error.message,
  );
});
