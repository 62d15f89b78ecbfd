import { WorkerFailedError, WorkerPool } from "../../src/parallel/mod.ts";
import { mailboxLengths } from "../../src/parallel/mod.ts";
import { planTiling, type Tiling } from "../../src/tiling/mod.ts";
import { assert, assertEquals, assertLessOrEqual, assertRejects } from "../assert.ts";
import { type Case, cases } from "../tiling/scans.ts";
import {
  overlapAdd,
  reduceValue,
  type SyntheticPayload,
  type SyntheticResult,
} from "./synthetic_job.ts";

const JOB = new URL("./synthetic_job.ts", import.meta.url);

function pool(
  payload: Omit<SyntheticPayload, "scan"> & { scan: Case },
  extra: { silenceMs?: number; onProgress?: () => void } = {},
): { pool: WorkerPool<SyntheticPayload, SyntheticResult>; tiling: Tiling } {
  const tiling = planTiling(payload.scan);
  const p = new WorkerPool<SyntheticPayload, SyntheticResult>({
    workers: payload.scan.workers,
    job: JOB,
    payload: () => payload,
    fabric: {
      reduceCapacity: Math.max(1, payload.reduceLength),
      mailboxes: mailboxLengths(tiling, payload.planes),
      tiles: tiling.regions.length,
    },
    describe: (rank) => `tiles ${[...tiling.workerOf].flatMap((w, t) => w === rank ? [t] : [])}`,
    ...extra,
  });
  return { pool: p, tiling };
}

function scan(name: string, workers?: number): Case {
  const c = cases(11).find((c) => c.name === name)!;
  return workers ? { ...c, workers } : c;
}

Deno.test("sync exchange gives every tile exactly the untiled overlap-add of integer patches", async () => {
  for (const c of [scan("Fermat spiral", 3), scan("probe wider than a tile", 3)]) {
    const planes = 2;
    const rounds = 2;
    const { pool: p, tiling } = pool({
      scan: c,
      planes,
      mode: "sync",
      rounds,
      fill: "patches",
      reduceLength: 0,
    });
    const results = await p.run();
    const all = Array.from({ length: c.positionsY.length }, (_, j) => j);
    const whole = { y0: 0, x0: 0, height: c.objectShape[0], width: c.objectShape[1] };
    for (let round = 0; round < rounds; round++) {
      const untiled = overlapAdd(c, all, whole, planes, round);
      for (const r of results) {
        r.tiles.forEach((t, i) => {
          const region = tiling.regions[t];
          const got = r.gradients[i][round];
          const want = new Float32Array(got.length);
          for (let pl = 0; pl < planes; pl++) {
            for (let y = 0; y < region.height; y++) {
              const from = 2 * ((pl * whole.height + region.y0 + y) * whole.width + region.x0);
              const to = 2 * (pl * region.height + y) * region.width;
              want.set(untiled.subarray(from, from + 2 * region.width), to);
            }
          }
          assertEquals(got, want, `${c.name}, tile ${t}, round ${round}`);
        });
      }
    }
  }
});

Deno.test("sync exchange sums each pixel in tile order, so every copy is bitwise the same", async () => {
  const c = scan("probe wider than a tile", 3);
  const planes = 1;
  const { pool: p, tiling } = pool({
    scan: c,
    planes,
    mode: "sync",
    rounds: 1,
    fill: "noisy",
    reduceLength: 0,
  });
  const results = await p.run();
  const own = tiling.regions.map((region, t) =>
    overlapAdd(c, tiling.positionsOf[t], region, planes, 0, 0.1)
  );
  const at = (t: number, y: number, x: number, k: number) => {
    const r = tiling.regions[t];
    const inside = y >= r.y0 && y < r.y0 + r.height && x >= r.x0 && x < r.x0 + r.width;
    return inside ? 2 * ((y - r.y0) * r.width + x - r.x0) + k : -1;
  };
  let shared = 0;
  for (const r of results) {
    r.tiles.forEach((t, i) => {
      const region = tiling.regions[t];
      const got = r.gradients[i][0];
      for (let y = region.y0; y < region.y0 + region.height; y++) {
        for (let x = region.x0; x < region.x0 + region.width; x++) {
          for (let k = 0; k < 2; k++) {
            const sum = new Float32Array(1);
            let holders = 0;
            own.forEach((values, s) => {
              const index = at(s, y, x, k);
              if (index >= 0) {
                sum[0] += values[index];
                holders++;
              }
            });
            if (holders >= 3) shared++;
            assertEquals(got[at(t, y, x, k)], sum[0], `tile ${t}, pixel (${y}, ${x})`);
          }
        }
      }
    });
  }
  assert(shared > 0, "no pixel was held by three tiles or more");
});

Deno.test("allReduce() sums in rank order, bitwise the same on every worker", async () => {
  const c = scan("irregular", 4);
  const rounds = 30;
  const { pool: p } = pool({
    scan: c,
    planes: 1,
    mode: "sync",
    rounds,
    fill: "rounds",
    reduceLength: 5,
  });
  const results = await p.run();
  for (let round = 0; round < rounds; round++) {
    const want = Float64Array.from({ length: 5 }, (_, i) => {
      let sum = 0;
      for (let rank = 0; rank < c.workers; rank++) sum += reduceValue(rank, round, i);
      return sum;
    });
    for (const r of results) assertEquals(r.reductions[round], want, `round ${round}`);
  }
});

/** The rounds whose contributions a value 2^r-coded sum holds, as a bit mask. */
function rounds(value: number, own: number): number {
  return value - own;
}

Deno.test("async exchange applies each contribution once, at most one round late, never early", async () => {
  const c = scan("raster", 3);
  const total = 14;
  const { pool: p, tiling } = pool({
    scan: c,
    planes: 1,
    mode: "async",
    rounds: total,
    fill: "rounds",
    reduceLength: 0,
  });
  const results = await p.run();
  let checked = 0;
  for (const r of results) {
    r.tiles.forEach((t, i) => {
      // Pixels shared with exactly one neighbour: what arrives there is a sum of 2^round.
      for (const o of tiling.overlaps.filter((o) => o.to === t)) {
        const region = tiling.regions[t];
        const y = o.rect.y0 + Math.floor(o.rect.height / 2);
        const x = o.rect.x0 + Math.floor(o.rect.width / 2);
        const holders = tiling.regions.filter((g) =>
          y >= g.y0 && y < g.y0 + g.height && x >= g.x0 && x < g.x0 + g.width
        );
        if (holders.length !== 2) continue;
        const at = 2 * ((y - region.y0) * region.width + x - region.x0);
        let seen = 0;
        for (let round = 0; round < total; round++) {
          const got = rounds(r.gradients[i][round][at], 2 ** round);
          assertEquals(got & seen, 0, `tile ${t} got a contribution twice at round ${round}`);
          assertEquals(got & ~((2 ** (round + 1)) - 1), 0, `tile ${t} got a future round`);
          seen |= got;
          // Every earlier round's contribution is in by now.
          const due = 2 ** round - 1;
          assertEquals(seen & due, due, `tile ${t}, round ${round}: late by more than one`);
          checked++;
        }
      }
    });
  }
  assert(checked > 0, "no pixel shared by exactly two tiles was checked");
});

Deno.test("a worker that throws at round k fails the run naming it and its tiles", async () => {
  const c = scan("raster", 3);
  const { pool: p } = pool({
    scan: c,
    planes: 1,
    mode: "sync",
    rounds: 50,
    fill: "rounds",
    reduceLength: 1,
    fail: { rank: 1, round: 3, how: "throw" },
  });
  const error = await assertRejects(() => p.run(), WorkerFailedError);
  assertEquals(error.rank, 1);
  assert(/^Worker 1 \(tiles [\d,]+\) threw: synthetic failure at round 3/.test(error.message));
});

Deno.test("a worker that closes itself is declared dead within the silence limit", async () => {
  const c = scan("raster", 2);
  const { pool: p } = pool({
    scan: c,
    planes: 1,
    mode: "sync",
    rounds: 50,
    fill: "rounds",
    reduceLength: 1,
    fail: { rank: 0, round: 2, how: "close" },
  }, { silenceMs: 1500 });
  const started = Date.now();
  const error = await assertRejects(() => p.run(), WorkerFailedError);
  assertEquals(error.rank, 0);
  assert(error.message.includes("stopped responding"), error.message);
  assertLessOrEqual(Date.now() - started, 15_000);
});

Deno.test("a worker terminated from outside fails the run, the others are stopped", async () => {
  const c = scan("raster", 3);
  let killed = false;
  const holder: { pool?: WorkerPool<SyntheticPayload, SyntheticResult> } = {};
  const { pool: p } = pool({
    scan: c,
    planes: 1,
    mode: "sync",
    rounds: 100_000,
    fill: "rounds",
    reduceLength: 1,
  }, {
    onProgress: () => {
      if (!killed) holder.pool?.kill(2);
      killed = true;
    },
  });
  holder.pool = p;
  const error = await assertRejects(() => p.run(), WorkerFailedError);
  assertEquals(error.rank, 2);
  assert(/^Worker 2 \(tiles [\d,]+\) was terminated/.test(error.message), error.message);
});
