import { mailboxLengths, WorkerPool } from "../../src/parallel/mod.ts";
import { planTiling } from "../../src/tiling/mod.ts";
import { assertEquals } from "../assert.ts";
import { cases } from "../tiling/scans.ts";
import { probeOf, type ReductionPayload, scalarOf, type TileOutcome } from "./reduction_job.ts";
import { overlapAdd } from "./synthetic_job.ts";

Deno.test("TileReductions sum (one scalar or several at once), max, exchange and probe-sum correctly with several tiles per worker", async () => {
  const scan = { ...cases(12).find((c) => c.name === "Fermat spiral")!, workers: 2 };
  const rounds = 3;
  const probeLength = 50;
  const tiling = planTiling(scan);
  const pool = new WorkerPool<ReductionPayload, TileOutcome[]>({
    workers: scan.workers,
    job: new URL("./reduction_job.ts", import.meta.url),
    payload: () => ({ scan, rounds, probeLength }),
    fabric: {
      reduceCapacity: probeLength,
      mailboxes: mailboxLengths(tiling, 1, 2),
      tiles: tiling.regions.length,
    },
  });
  const outcomes = (await pool.run()).flat();
  assertEquals(outcomes.map((o) => o.tile), tiling.regions.map((_, t) => t));
  const all = Array.from({ length: scan.positionsY.length }, (_, j) => j);
  const whole = { y0: 0, x0: 0, height: scan.objectShape[0], width: scan.objectShape[1] };
  for (let round = 0; round < rounds; round++) {
    // All tiles in tile order, whichever worker holds them.
    let scalar = 0;
    let next = 0;
    tiling.regions.forEach((_, t) => {
      scalar += scalarOf(t, round);
      next += scalarOf(t, round + 1);
    });
    const largest = Math.max(...tiling.regions.map((_, t) => scalarOf(t, round)));
    const probe = new Float32Array(probeLength);
    tiling.regions.forEach((_, t) => {
      const part = probeOf(t, round, probeLength);
      for (let i = 0; i < probeLength; i++) probe[i] += part[i];
    });
    const untiled = overlapAdd(scan, all, whole, 1, round);
    const untiledWeight = overlapAdd(scan, all, whole, 1, round + 100);
    for (const o of outcomes) {
      assertEquals(o.sums[round], scalar, `tile ${o.tile}, round ${round}`);
      assertEquals(o.pairs[round], [scalar, next], `sums of tile ${o.tile}, round ${round}`);
      assertEquals(o.probes[round], probe, `probe of tile ${o.tile}, round ${round}`);
      const region = tiling.regions[o.tile];
      const want = new Float32Array(region.height * region.width * 2);
      for (let y = 0; y < region.height; y++) {
        const from = 2 * ((region.y0 + y) * whole.width + region.x0);
        want.set(untiled.subarray(from, from + 2 * region.width), 2 * y * region.width);
      }
      assertEquals(o.objects[round], want, `object of tile ${o.tile}, round ${round}`);
      assertEquals(o.maxima[round], largest, `max of tile ${o.tile}, round ${round}`);
      for (let y = 0; y < region.height; y++) {
        const from = 2 * ((region.y0 + y) * whole.width + region.x0);
        want.set(untiledWeight.subarray(from, from + 2 * region.width), 2 * y * region.width);
      }
      assertEquals(o.weights[round], want, `weight of tile ${o.tile}, round ${round}`);
    }
  }
});
