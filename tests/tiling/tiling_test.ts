import {
  planTiling,
  referenceKernels,
  tilesOf,
  wasmKernels,
  windowStart,
} from "../../src/tiling/mod.ts";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { poisoned } from "./poisoned.ts";
import { cases, random } from "./scans.ts";

const SEEDS = [1, 2, 3];

Deno.test("planTiling() in WebAssembly matches the TypeScript reference on varied scans", () => {
  for (const seed of SEEDS) {
    for (const scan of cases(seed)) {
      assertEquals(poisoned.cuts(scan), referenceKernels.cuts(scan), `${scan.name}, seed ${seed}`);
      const fast = planTiling({ ...scan, kernels: poisoned });
      const slow = planTiling({ ...scan, kernels: referenceKernels });
      assertEquals(fast, slow, `${scan.name}, seed ${seed}`);
    }
  }
});

Deno.test("gather() in WebAssembly matches the TypeScript reference for every tile", () => {
  for (const scan of cases(4)) {
    const plan = planTiling(scan);
    plan.regions.forEach((region, t) => {
      const mine = plan.positionsOf[t];
      const options = {
        positionsY: Float64Array.from(mine, (j) => scan.positionsY[j]),
        positionsX: Float64Array.from(mine, (j) => scan.positionsX[j]),
        frame: scan.frame,
        region,
      };
      assertEquals(poisoned.gather(options), referenceKernels.gather(options), scan.name);
    });
  }
});

Deno.test("tile cores partition the object and each extended region holds its windows", () => {
  for (const scan of cases(5)) {
    const plan = planTiling(scan);
    const [height, width] = scan.objectShape;
    const cover = new Int32Array(height * width);
    for (const c of plan.cores) {
      for (let y = c.y0; y < c.y0 + c.height; y++) {
        for (let x = c.x0; x < c.x0 + c.width; x++) cover[y * width + x]++;
      }
    }
    assert(cover.every((v) => v === 1), `${scan.name}: cores do not partition the object`);
    plan.owner.forEach((t, j) => {
      const core = plan.cores[t];
      const cy = Math.floor(scan.positionsY[j]);
      const cx = Math.floor(scan.positionsX[j]);
      assert(
        cy >= core.y0 && cy < core.y0 + core.height && cx >= core.x0 && cx < core.x0 + core.width,
      );
      const r = plan.regions[t];
      const y = windowStart(scan.positionsY[j], scan.frame);
      const x = windowStart(scan.positionsX[j], scan.frame);
      assert(y >= r.y0 && x >= r.x0, `${scan.name}: window ${j} starts outside its region`);
      assert(y + scan.frame <= r.y0 + r.height && x + scan.frame <= r.x0 + r.width);
    });
  }
});

Deno.test("positions centred exactly on a tile border belong to the tile below and right", () => {
  const scan = cases(1).find((c) => c.name === "positions on tile borders")!;
  // Three positions on each of the centre rows 24, 25, 49 and 50: the balanced row cuts are
  // rows 25 and 50. In each band the columns 20, 40, 60 split 2 : 1 or 4 : 2 (nearest the
  // half, the larger part first on a tie), so column 60 starts tile column 1.
  assertEquals(wasmKernels.cuts(scan), {
    rows: Int32Array.of(0, 25, 50, 75),
    cols: Int32Array.of(0, 60, 80, 0, 60, 80, 0, 60, 80),
  });
  // Positions at rows 25, 50, 24.999, 49.5 (each at columns 20, 40, 60), tiles row-major over
  // 3 x 2: rows 25 and 50 start tile rows 1 and 2, 24.999 and 49.5 stay above.
  assertEquals([...planTiling(scan).owner], [2, 2, 3, 4, 4, 5, 0, 0, 1, 2, 2, 3]);
});

Deno.test("tiles without positions keep their core as region and still get a worker", () => {
  const scan = cases(1).find((c) => c.name === "empty tiles")!;
  const plan = planTiling(scan);
  const empty = plan.positionsOf.flatMap((p, t) => p.length === 0 ? [t] : []);
  assert(empty.length >= 2, "the scan should leave tiles empty");
  for (const t of empty) assertEquals(plan.regions[t], plan.cores[t]);
  for (let w = 0; w < scan.workers; w++) assert(tilesOf(plan, w).length > 0, `worker ${w}`);
});

Deno.test("overlaps are the symmetric intersections of extended regions", () => {
  for (const scan of cases(6)) {
    const plan = planTiling(scan);
    const [height, width] = scan.objectShape;
    for (const { from, to, rect } of plan.overlaps) {
      const back = plan.overlaps.find((o) => o.from === to && o.to === from);
      assertEquals(back?.rect, rect, `${scan.name}: overlap ${from} -> ${to}`);
    }
    // Pixel by pixel: a pixel lies in an overlap (a, b) iff it lies in both regions.
    const inside = (t: number, y: number, x: number) => {
      const r = plan.regions[t];
      return y >= r.y0 && y < r.y0 + r.height && x >= r.x0 && x < r.x0 + r.width;
    };
    for (let y = 0; y < height; y += 3) {
      for (let x = 0; x < width; x += 3) {
        for (let a = 0; a < plan.regions.length; a++) {
          for (let b = 0; b < plan.regions.length; b++) {
            if (a === b) continue;
            const listed = plan.overlaps.some((o) =>
              o.from === a && o.to === b && y >= o.rect.y0 && y < o.rect.y0 + o.rect.height &&
              x >= o.rect.x0 && x < o.rect.x0 + o.rect.width
            );
            assertEquals(listed, inside(a, y, x) && inside(b, y, x), `${scan.name} (${y}, ${x})`);
          }
        }
      }
    }
  }
});

Deno.test("assign() gives contiguous runs with the smallest possible largest load", () => {
  const rand = random(7);
  for (let trial = 0; trial < 40; trial++) {
    const tiles = 1 + Math.floor(rand() * 8);
    const workers = 1 + Math.floor(rand() * tiles);
    const counts = Int32Array.from({ length: tiles }, () => Math.floor(rand() * 20));
    const got = poisoned.assign(counts, workers);
    assertEquals(got, referenceKernels.assign(counts, workers));
    for (let t = 1; t < tiles; t++) assert(got[t] === got[t - 1] || got[t] === got[t - 1] + 1);
    assertEquals(got[0], 0);
    assertEquals(got[tiles - 1], workers - 1);
    const load = (w: Int32Array) => {
      const sums = new Array(workers).fill(0);
      w.forEach((worker, t) => sums[worker] += counts[t]);
      return Math.max(...sums);
    };
    assertEquals(load(got), bruteForceBest(counts, workers));
  }
});

Deno.test("gather() lists, for every pixel, exactly the windows covering it", () => {
  const scan = cases(8)[2];
  const plan = planTiling(scan);
  const most = Math.max(...plan.positionsOf.map((p) => p.length));
  assert(most > 2, "the test needs a tile of several positions");
  const t = plan.positionsOf.findIndex((p) => p.length === most);
  const mine = plan.positionsOf[t];
  const region = plan.regions[t];
  const index = wasmKernels.gather({
    positionsY: Float64Array.from(mine, (j) => scan.positionsY[j]),
    positionsX: Float64Array.from(mine, (j) => scan.positionsX[j]),
    frame: scan.frame,
    region,
  });
  // Overlap-add of random patches, once through the index and once window by window.
  const rand = random(9);
  const m = scan.frame;
  const patches = Float64Array.from({ length: mine.length * m * m }, () => rand() - 0.5);
  const direct = new Float64Array(region.height * region.width);
  mine.forEach((j, k) => {
    const wy = windowStart(scan.positionsY[j], m) - region.y0;
    const wx = windowStart(scan.positionsX[j], m) - region.x0;
    for (let d = 0; d < m * m; d++) {
      direct[(wy + Math.floor(d / m)) * region.width + wx + (d % m)] += patches[k * m * m + d];
    }
  });
  const gathered = direct.map((_, p) => {
    let sum = 0;
    for (let e = index.rowStart[p]; e < index.rowStart[p + 1]; e++) {
      sum += patches[index.window[e] * m * m + index.offset[e]];
    }
    return sum;
  });
  assertEquals(gathered, direct);
});

Deno.test("planTiling() rejects grids finer than the object and windows leaving it", () => {
  const base = cases(1)[0];
  assertThrows(() => planTiling({ ...base, tiles: [200, 1] }), RangeError);
  assertThrows(() => planTiling({ ...base, workers: 13 }), RangeError);
  const outside = { ...base, positionsY: Float64Array.of(3), positionsX: Float64Array.of(50) };
  assertThrows(() => planTiling(outside), RangeError);
});

function bruteForceBest(counts: Int32Array, workers: number): number {
  let best = Infinity;
  const walk = (start: number, left: number, worst: number) => {
    if (left === 1) {
      const last = counts.slice(start).reduce((a, b) => a + b, 0);
      best = Math.min(best, Math.max(worst, last));
      return;
    }
    let sum = 0;
    for (let end = start + 1; end <= counts.length - left + 1; end++) {
      sum += counts[end - 1];
      walk(end, left - 1, Math.max(worst, sum));
    }
  };
  walk(0, workers, 0);
  return best;
}
