import { openSession } from "../../../src/engine/open.ts";
import { DEFAULT_OPTIONS } from "../../../src/engine/options.ts";
import { requestGpu } from "../../../src/gpu/mod.ts";
import { simulateDataset } from "../../../src/simulate/mod.ts";
import { planTiling } from "../../../src/tiling/mod.ts";
import { assert, assertEquals, assertLessOrEqual, relativeL2 } from "../../assert.ts";
import { nearTruth, reconstructTiled, type Run } from "./fixture.ts";

// Tile cores are balanced by position count, so only a scan with fewer distinct centre rows than
// tile rows leaves tiles empty: a raster with fewer rows than the grid leaves a band empty.
Deno.test("3 x 3 tiles of a 2 x 3 raster, the middle band holding no position, reconstruct as 1 x 1 does", async () => {
  const simulated = await simulateDataset({
    preset: "siemens",
    frame: 64,
    positions: 6,
    scan: "raster",
  });
  const { dataset } = simulated;
  const truth = [simulated.truth.object, simulated.truth.probe];
  const tiling = planTiling({ ...dataset, tiles: [3, 3], workers: 2 });
  const empty = tiling.positionsOf.filter((p) => p.length === 0).length;
  assert(empty > 0, "the raster leaves some tile without positions");
  const run: Run = {
    dataset,
    exchange: "sync",
    algorithm: "cg",
    slices: 1,
    modes: 1,
    noise: "gaussian",
    initial: nearTruth(truth, 0.3),
  };
  const whole = await reconstructTiled(run, [1, 1], 1, 4);
  const tiled = await reconstructTiled(run, [3, 3], 2, 4);
  assertLessOrEqual(relativeL2(tiled.object.data, whole.object.data), 1e-5);
});

Deno.test("the engine runs 4 x 3 tiles over a 3 x 4 raster, a band empty, and reports its workers' adapter", async () => {
  const { dataset } = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 12,
    scan: "raster",
  });
  const tiling = planTiling({ ...dataset, tiles: [4, 3], workers: 2 });
  assert(tiling.positionsOf.some((p) => p.length === 0), "some tile holds no position");
  const gpu = await requestGpu({ label: "adapter of this machine" });
  const expected = gpu.info;
  gpu.destroy();
  const session = await openSession({
    options: { ...DEFAULT_OPTIONS, algorithm: "cg", tiles: [4, 3], workers: 2, iterations: 2 },
    dataset,
    checkpoint: null,
    log: () => {},
  });
  try {
    const costs = [await session.step(), await session.step()];
    assert(costs[1] < costs[0], `the cost decreases: ${costs}`);
    const { object } = await session.result();
    assert(object.data.every(Number.isFinite), "the stitched object is finite");
    assertEquals(session.adapter.fallback, expected.fallback);
    assert(
      session.adapter.description.startsWith(`${expected.description} (2 workers`),
      session.adapter.description,
    );
  } finally {
    await session.destroy();
  }
});
