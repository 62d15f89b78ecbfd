/** Scans the tiling tests run on: each a scan grid plus a worker count. */
import type { ScanGrid } from "../../src/tiling/mod.ts";

/** A small deterministic generator (mulberry32), so a failing case can be replayed by seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Case extends ScanGrid {
  name: string;
  workers: number;
}

function grid(
  name: string,
  shape: [number, number],
  frame: number,
  tiles: [number, number],
  workers: number,
  points: Array<[number, number]>,
): Case {
  return {
    name,
    objectShape: shape,
    frame,
    tiles,
    workers,
    positionsY: Float64Array.from(points, (p) => p[0]),
    positionsX: Float64Array.from(points, (p) => p[1]),
  };
}

/**
 * Raster, Fermat spiral, irregular, on-border, wide-probe, empty-tile and clustered scans for
 * one seed.
 */
export function cases(seed: number): Case[] {
  const rand = random(seed);
  const out: Case[] = [];
  const raster: Array<[number, number]> = [];
  const step = 6 + Math.floor(rand() * 5);
  for (let y = 8; y <= 88; y += step) {
    for (let x = 8; x <= 120; x += step) raster.push([y + rand() * 0.9, x + rand() * 0.9]);
  }
  out.push(grid("raster", [96, 128], 16, [3, 4], 5, raster));
  const spiral: Array<[number, number]> = [];
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let k = 0; k < 150; k++) {
    const r = 3.5 * Math.sqrt(k);
    spiral.push([60 + r * Math.sin(k * golden), 60 + r * Math.cos(k * golden)]);
  }
  out.push(grid("Fermat spiral", [120, 120], 12, [4, 3], 4, spiral));
  const irregular = Array.from({ length: 80 }, () => [5 + rand() * 60, 5 + rand() * 90]);
  out.push(grid("irregular", [70, 100], 10, [5, 7], 6, irregular as Array<[number, number]>));
  // Centres exactly on tile borders (rows 25 and 50 of a 75-row, 3-row grid) and just below.
  const border: Array<[number, number]> = [];
  for (const y of [25, 50, 24.999, 49.5]) for (const x of [20, 40, 60]) border.push([y, x]);
  out.push(grid("positions on tile borders", [75, 80], 8, [3, 2], 3, border));
  const wide = Array.from({ length: 30 }, () => [20 + rand() * 40, 20 + rand() * 40]);
  out.push(
    grid("probe wider than a tile", [80, 80], 40, [4, 4], 3, wide as Array<[number, number]>),
  );
  // More row bands than distinct centre rows (20 and 40): bands without positions, so empty
  // tiles, whatever the cuts.
  const twoRows = Array.from({ length: 25 }, () => [rand() < 0.5 ? 20.3 : 40.7, 6 + rand() * 20]);
  out.push(grid("empty tiles", [62, 90], 12, [4, 3], 4, twoRows as Array<[number, number]>));
  // Whole-pixel positions in a few tight clusters: many positions share centre rows and
  // columns, and cuts fall on rows and columns that hold positions.
  const clusters = Array.from({ length: 4 }, () => [20 + rand() * 60, 20 + rand() * 80]);
  const clustered = Array.from({ length: 60 }, (_, k) => {
    const [y, x] = clusters[k % clusters.length];
    return [Math.floor(y + rand() * 4), Math.floor(x + rand() * 4)];
  });
  const tiles: [number, number] = [2 + Math.floor(rand() * 4), 2 + Math.floor(rand() * 4)];
  out.push(grid("clustered", [100, 120], 16, tiles, 3, clustered as Array<[number, number]>));
  return out;
}
