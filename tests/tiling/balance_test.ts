/**
 * Cores balanced by position count: the cut rule checked against a brute-force statement of it,
 * clamped owners, and the balance reached on the memory benchmark's raster and a Fermat spiral.
 */
import { fermatSpiral, placeScan, raster } from "../../src/simulate/mod.ts";
import { planTiling, referenceKernels, type ScanGrid, tileCores } from "../../src/tiling/mod.ts";
import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { poisoned } from "./poisoned.ts";
import { cases, random } from "./scans.ts";

/**
 * Checks boundaries `b` of [0, n) into `parts` parts over the centre pixels `values`: ordered,
 * each leaving above it the achievable count nearest i N / parts (the larger on a tie), and
 * equal to the next boundary only where the pixel before it holds a position or is pixel 0.
 */
function checkBounds(b: ArrayLike<number>, values: number[], n: number, parts: number): string {
  const count = values.length;
  if (b[0] !== 0 || b[parts] !== n) return `ends ${b[0]}, ${b[parts]}`;
  for (let i = 1; i <= parts; i++) if (b[i] < b[i - 1]) return `boundary ${i} goes back`;
  if (count === 0) {
    for (let i = 0; i <= parts; i++) if (b[i] !== Math.floor(i * n / parts)) return "not even";
    return "";
  }
  const above = (y: number) => values.filter((v) => v < y).length;
  const achievable = [...new Set(Array.from({ length: n + 1 }, (_, y) => above(y)))];
  for (let i = 1; i < parts; i++) {
    const miss = (k: number) => Math.abs(k * parts - i * count);
    const best = achievable.reduce((a, k) =>
      miss(k) < miss(a) || (miss(k) === miss(a) && k > a) ? k : a
    );
    if (above(b[i]) !== best) return `boundary ${i} leaves ${above(b[i])} above, not ${best}`;
    if (b[i] === b[i + 1] && b[i] > 1 && !values.includes(b[i] - 1)) {
      return `boundary ${i} could move below ${b[i]}`;
    }
  }
  return "";
}

function centres(scan: ScanGrid): [number[], number[]] {
  const [h, w] = scan.objectShape;
  const clamp = (v: number, hi: number) => Math.min(Math.max(Math.floor(v), 0), hi);
  return [
    Array.from(scan.positionsY, (y) => clamp(y, h - 1)),
    Array.from(scan.positionsX, (x) => clamp(x, w - 1)),
  ];
}

/** Random scans, many centres outside the object, on grids up to 6 x 6. */
function wildScans(seed: number, count: number): ScanGrid[] {
  const rand = random(seed);
  return Array.from({ length: count }, () => {
    const shape: [number, number] = [8 + Math.floor(rand() * 40), 8 + Math.floor(rand() * 40)];
    const n = Math.floor(rand() * 30);
    // Whole pixels half of the time, so that centres pile up on shared rows and columns.
    const coordinate = (size: number) => {
      const v = -5 + rand() * (size + 10);
      return rand() < 0.5 ? Math.round(v) : v;
    };
    return {
      objectShape: shape,
      frame: 4,
      tiles: [1 + Math.floor(rand() * 6), 1 + Math.floor(rand() * 6)],
      positionsY: Float64Array.from({ length: n }, () => coordinate(shape[0])),
      positionsX: Float64Array.from({ length: n }, () => coordinate(shape[1])),
    };
  });
}

Deno.test("cuts() follows the balancing rule, in WebAssembly as in the reference", () => {
  const scans: ScanGrid[] = [...wildScans(11, 300), ...[1, 2].flatMap((seed) => cases(seed))];
  for (const [k, scan] of scans.entries()) {
    const cuts = poisoned.cuts(scan);
    assertEquals(cuts, referenceKernels.cuts(scan), `scan ${k}`);
    const [rows, cols] = scan.tiles;
    const [height, width] = scan.objectShape;
    const [cy, cx] = centres(scan);
    assertEquals(checkBounds(cuts.rows, cy, height, rows), "", `scan ${k}, rows`);
    for (let r = 0; r < rows; r++) {
      const band = cx.filter((_, j) => cy[j] >= cuts.rows[r] && cy[j] < cuts.rows[r + 1]);
      const bounds = cuts.cols.subarray(r * (cols + 1), (r + 1) * (cols + 1));
      assertEquals(checkBounds(bounds, band, width, cols), "", `scan ${k}, band ${r}`);
    }
  }
});

Deno.test("owners() gives each position, even outside the object, the core of its clamped centre", () => {
  for (const [k, scan] of wildScans(12, 200).entries()) {
    const cuts = referenceKernels.cuts(scan);
    const cores = tileCores(cuts, scan.tiles);
    const [cy, cx] = centres(scan);
    const owner = poisoned.owners(scan, cuts);
    assertEquals(owner, referenceKernels.owners(scan, cuts), `scan ${k}`);
    owner.forEach((t, j) => {
      const c = cores[t];
      const inside = cy[j] >= c.y0 && cy[j] < c.y0 + c.height && cx[j] >= c.x0 &&
        cx[j] < c.x0 + c.width;
      assert(inside, `scan ${k}: position ${j} at (${cy[j]}, ${cx[j]}) outside core ${t}`);
    });
    const inObject = Float64Array.from(cy, (y) => y + 0.5);
    const clamped = { ...scan, positionsY: inObject, positionsX: Float64Array.from(cx) };
    assertEquals(
      poisoned.regions(clamped, cores, owner),
      referenceKernels.regions(clamped, cores, owner),
      `scan ${k}, regions`,
    );
  }
});

/** Positions per tile of a `g` x `g` plan of a placed scan, frame 64. */
function tileCounts(
  scan: { x: Float64Array; y: Float64Array; shape: [number, number] },
  g: number,
) {
  const plan = planTiling({
    objectShape: scan.shape,
    frame: 64,
    tiles: [g, g],
    workers: 1,
    positionsY: scan.y,
    positionsX: scan.x,
  });
  return plan.positionsOf.map((p) => p.length);
}

Deno.test("every tile of the memory benchmark's 40 x 40 raster holds the same number of positions", () => {
  // The placement of `simulateDataset({ frame: 64, positions: 1600, scan: "raster" })`: a step
  // of a third of the probe's diameter (a third of the frame), a 4 px margin.
  const scan = placeScan(raster({ count: 1600, step: 64 / 9 }), 64, 4);
  assertEquals(scan.shape, [349, 349]);
  for (const g of [2, 4, 8]) {
    assertEquals(tileCounts(scan, g), new Array(g * g).fill(1600 / (g * g)), `${g} x ${g}`);
  }
});

Deno.test("no tile of a 1600-point Fermat spiral holds more than 1.15 times the average", () => {
  const scan = placeScan(fermatSpiral({ count: 1600, step: 64 / 18 }), 64, 4);
  for (const g of [2, 4, 8]) {
    const counts = tileCounts(scan, g);
    assertLessOrEqual(Math.max(...counts), 1.15 * 1600 / (g * g), `${g} x ${g}: ${counts}`);
  }
});
