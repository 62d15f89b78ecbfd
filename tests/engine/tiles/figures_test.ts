/**
 * The live view's tile panel figures: each tile's cost term is the share the collectives add up
 * (their sum in tile order is the run's cost, bit for bit), the halo mismatch is that of the
 * tiles' own copies of their shared bands, and busy fractions lie in [0, 1]; resident and
 * streamed tiles report the same shares.
 */
import { simulateDataset } from "../../../src/simulate/mod.ts";
import { openEngineSession } from "../../../src/engine/mod.ts";
import { haloMismatch } from "../../../src/engine/figures.ts";
import { busyFraction, UnionTimer } from "../../../src/engine/busy.ts";
import { planTiling } from "../../../src/tiling/mod.ts";
import { assert, assertEquals, assertLessOrEqual } from "../../assert.ts";
import { random } from "../../tiling/scans.ts";
import { nearTruth, type Run } from "./fixture.ts";

/** |actual - expected| <= tolerance. */
function assertNear(actual: number, expected: number, tolerance: number, message?: string) {
  assertLessOrEqual(Math.abs(actual - expected), tolerance, message ?? `${actual} vs ${expected}`);
}

async function smallRun(exchange: "sync" | "async"): Promise<Run> {
  const { dataset, truth } = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 120,
    scan: "raster",
    seed: 11,
  });
  return {
    dataset,
    exchange,
    algorithm: "cg",
    slices: 1,
    modes: 1,
    noise: "gaussian",
    initial: nearTruth([truth.object, truth.probe], 0.3),
  };
}

Deno.test("each tile's cost term sums in tile order to the run's cost, bit for bit, and R-factor shares to its R-factor (2 x 2 tiles on 2 workers, resident and streamed)", async () => {
  const run = await smallRun("sync");
  for (const memoryBudget of [null, 64 * 2 ** 20]) {
    const session = await openEngineSession({ ...run, tiles: [2, 2], workers: 2, memoryBudget });
    try {
      assertEquals(session.tileFigures(), null, "nothing before the first step");
      for (let i = 0; i < 3; i++) {
        await session.step();
        const figures = session.tileFigures()!;
        assertEquals(figures.iteration, i);
        assertEquals(figures.tiles.map((t) => t.tile), [0, 1, 2, 3]);
        assertEquals(figures.tiles.map((t) => t.worker), [0, 0, 1, 1]);
        assertEquals(figures.tiles.map((t) => t.rank), [null, null, null, null]);
        const { finalCost, finalRFactor } = await session.result();
        // The step's last evaluation is the accepted trial, whose cost the session keeps.
        const sum = figures.tiles.reduce((s, t) => s + t.cost, 0);
        assertEquals(sum, finalCost, `iteration ${i}: tile terms against the cost`);
        const shares = figures.tiles.reduce((s, t) => s + t.rShare!, 0);
        assertNear(shares, finalRFactor, 1e-12 * finalRFactor);
        for (const t of figures.tiles) assert(t.rFactor! > 0 && t.rFactor! < 1, `${t.rFactor}`);
        assertEquals(figures.workers.map((w) => w.tiles), [[0, 1], [2, 3]]);
        for (const w of figures.workers) assert(w.busy >= 0 && w.busy <= 1, `busy ${w.busy}`);
        // Measured when result() reads the tiles back, and kept until the next read.
        assertEquals(figures.haloIteration, i === 0 ? null : i - 1);
        const measured = session.tileFigures()!;
        assertEquals(measured.haloIteration, i);
        assertEquals(measured.halo!.length, session.tiling.overlaps.length / 2);
        for (const e of measured.halo!) assertEquals([e.max, e.rms], [0, 0]);
      }
    } finally {
      await session.destroy();
    }
  }
});

Deno.test("lsqml's tiles report their terms of the sweep's cost too: they sum in tile order to the run's cost, bit for bit", async () => {
  const run = await smallRun("sync");
  const session = await openEngineSession({
    ...run,
    algorithm: "lsqml",
    tiles: [2, 2],
    workers: 2,
  });
  try {
    for (let i = 0; i < 2; i++) {
      await session.step();
      const figures = session.tileFigures()!;
      const sum = figures.tiles.reduce((s, t) => s + t.cost, 0);
      assertEquals(sum, session.costs[i], `iteration ${i}`);
      for (const t of figures.tiles) assert(t.rFactor! > 0 && t.rFactor! < 1, `${t.rFactor}`);
    }
  } finally {
    await session.destroy();
  }
});

Deno.test("dm's and raar's tiles report their terms of the exit-wave update's cost: they sum in tile order to the run's cost, bit for bit", async () => {
  const run = await smallRun("sync");
  for (const algorithm of ["dm", "raar"] as const) {
    const session = await openEngineSession({ ...run, algorithm, tiles: [2, 2], workers: 2 });
    try {
      for (let i = 0; i < 2; i++) {
        await session.step();
        const figures = session.tileFigures()!;
        const sum = figures.tiles.reduce((s, t) => s + t.cost, 0);
        assertEquals(sum, session.costs[i], `${algorithm}, iteration ${i}`);
        const shares = figures.tiles.reduce((s, t) => s + t.rShare!, 0);
        assertNear(shares, session.rFactors[i], 1e-12 * session.rFactors[i]);
        for (const t of figures.tiles) assert(t.rFactor! > 0 && t.rFactor! < 1, `${t.rFactor}`);
      }
    } finally {
      await session.destroy();
    }
  }
});

Deno.test("with async exchange the tiles' copies of their shared bands drift apart, and the halo mismatch says by how much", async () => {
  const run = await smallRun("async");
  const session = await openEngineSession({ ...run, tiles: [2, 2], workers: 2 });
  try {
    for (let i = 0; i < 3; i++) await session.step();
    await session.result();
    const halo = session.tileFigures()!.halo!;
    assert(halo.some((e) => e.max > 0), JSON.stringify(halo));
    for (const e of halo) assert(e.rms <= e.max && Number.isFinite(e.max), JSON.stringify(e));
  } finally {
    await session.destroy();
  }
});

Deno.test("haloMismatch: the largest and RMS modulus of the difference over each shared band, on seeded random tiles", () => {
  const rand = random(5);
  const positionsY = Float64Array.from({ length: 40 }, () => 16 + rand() * 32);
  const positionsX = Float64Array.from({ length: 40 }, () => 16 + rand() * 32);
  const tiling = planTiling({
    objectShape: [64, 64],
    frame: 16,
    tiles: [2, 2],
    workers: 2,
    positionsY,
    positionsX,
  });
  const slices = 2;
  // One object, each tile's copy of its region, then known changes to some tiles' copies.
  const object = Float32Array.from({ length: 2 * slices * 64 * 64 }, () => rand() - 0.5);
  const copies = new Map(tiling.regions.map((r, t) => {
    const copy = new Float32Array(2 * slices * r.height * r.width);
    for (let s = 0; s < slices; s++) {
      for (let y = 0; y < r.height; y++) {
        for (let x = 0; x < r.width; x++) {
          const from = 2 * ((s * 64 + r.y0 + y) * 64 + r.x0 + x);
          const to = 2 * ((s * r.height + y) * r.width + x);
          copy.set(object.subarray(from, from + 2), to);
        }
      }
    }
    return [t, copy];
  }));
  const none = haloMismatch(tiling, slices, copies);
  assertEquals(none.length, tiling.overlaps.length / 2);
  for (const e of none) assertEquals([e.max, e.rms], [0, 0]);
  // Tile 0's copy changed by (3, 4) at one pixel of slice 1 inside its band with tile 1: every
  // band of tile 0 holding that pixel differs by 5 there, and by nothing elsewhere.
  const pair = none.find((e) => e.tiles[0] === 0 && e.tiles[1] === 1)!;
  const py = pair.band.y0 + 1, px = pair.band.x0 + 2;
  const r0 = tiling.regions[0];
  const at = 2 * ((1 * r0.height + py - r0.y0) * r0.width + px - r0.x0);
  copies.get(0)![at] += 3;
  copies.get(0)![at + 1] += 4;
  for (const e of haloMismatch(tiling, slices, copies)) {
    const { y0, x0, height, width } = e.band;
    const inside = e.tiles[0] === 0 && py >= y0 && py < y0 + height && px >= x0 &&
      px < x0 + width;
    const count = slices * height * width;
    // float32 sums of (re + 3) - re: within rounding of 5.
    assertNear(e.max, inside ? 5 : 0, 1e-6);
    assertNear(e.rms, inside ? Math.sqrt(25 / count) : 0, 1e-6);
  }
});

Deno.test("UnionTimer counts overlapping intervals once; busyFraction stays in [0, 1]", async () => {
  let now = 0;
  const timer = new UnionTimer(() => now);
  let release = () => {};
  const first = timer.time(() => new Promise<void>((resolve) => release = resolve));
  now = 2;
  const second = timer.time(() => {
    now = 5;
    return Promise.resolve();
  });
  await second;
  assertEquals(timer.total(), 5, "still open: counted up to now");
  now = 7;
  release();
  await first;
  now = 20;
  assertEquals(timer.total(), 7);
  assertNear(busyFraction(10, 7), 0.3, 1e-15);
  assertEquals(busyFraction(10, 12), 0);
  assertEquals(busyFraction(10, -1), 1);
  assertEquals(busyFraction(0, 0), 1);
});
