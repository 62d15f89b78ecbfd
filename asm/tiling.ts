// Tessera's CPU-side tiling, compiled to WebAssembly by `deno task asm` (AssemblyScript).
// `src/tiling/reference.ts` computes the same in plain TypeScript; the tests compare the two.
//
// This entry file holds regions, overlaps, assign and gather; asm/common.ts the allocator and
// asm/cuts.ts the cuts and owners, exported from here too. The host writes inputs into linear
// memory obtained from `alloc` and reads results back from the pointers it passed. Conventions
// (shared with the reference):
// - the window of a position at (py, px) starts at (floor(py) - M/2, floor(px) - M/2), and its
//   centre pixel (floor(py), floor(px)) decides the owner tile (clamped into the object);
// - the object is cut into R row bands at R + 1 row boundaries, each band into C tiles at C + 1
//   column boundaries of its own (R x (C + 1) i32, row-major), balanced by position count
//   (`cuts`, the rule of `TilingKernels.cuts` in src/tiling/types.ts); tile (r, c) is row-major
//   tile r * C + c;
// - a rectangle is four i32: y0, x0, height, width.

import { alloc, centre } from "./common";

export { alloc, reset } from "./common";
export { cuts, owners } from "./cuts";

/**
 * Extended region of each tile: the bounding box of its core and of its positions' M x M
 * windows. `cores` holds the `tiles` cores, `owner` the owner tile of each position; `out`
 * receives `tiles` rectangles.
 */
export function regions(
  n: i32,
  py: usize,
  px: usize,
  owner: usize,
  frame: i32,
  tiles: i32,
  cores: usize,
  out: usize,
): void {
  const half = frame >> 1;
  for (let t = 0; t < tiles; t++) {
    const core = cores + (<usize> t << 4);
    const at = out + (<usize> t << 4);
    store<i32>(at, load<i32>(core));
    store<i32>(at + 4, load<i32>(core + 4));
    store<i32>(at + 8, load<i32>(core) + load<i32>(core + 8));
    store<i32>(at + 12, load<i32>(core + 4) + load<i32>(core + 12));
  }
  for (let j = 0; j < n; j++) {
    const at = out + (<usize> load<i32>(owner + (<usize> j << 2)) << 4);
    const y = centre(load<f64>(py + (<usize> j << 3))) - half;
    const x = centre(load<f64>(px + (<usize> j << 3))) - half;
    if (y < load<i32>(at)) store<i32>(at, y);
    if (x < load<i32>(at + 4)) store<i32>(at + 4, x);
    if (y + frame > load<i32>(at + 8)) store<i32>(at + 8, y + frame);
    if (x + frame > load<i32>(at + 12)) store<i32>(at + 12, x + frame);
  }
  // Corners were kept as (y0, x0, y1, x1) above; rectangles are (y0, x0, height, width).
  for (let t = 0; t < tiles; t++) {
    const at = out + (<usize> t << 4);
    store<i32>(at + 8, load<i32>(at + 8) - load<i32>(at));
    store<i32>(at + 12, load<i32>(at + 12) - load<i32>(at + 4));
  }
}

/**
 * Overlaps between extended regions: for each ordered pair (a, b), a != b, whose regions
 * intersect, six i32 (a, b, y0, x0, height, width) in object coordinates, ordered by a then b.
 * Returns the number of overlaps; `out` may be 0 to count only.
 */
export function overlaps(tiles: i32, rects: usize, out: usize): i32 {
  let count = 0;
  for (let a = 0; a < tiles; a++) {
    const ra = rects + (<usize> a << 4);
    for (let b = 0; b < tiles; b++) {
      if (a == b) continue;
      const rb = rects + (<usize> b << 4);
      const y0 = max(load<i32>(ra), load<i32>(rb));
      const x0 = max(load<i32>(ra + 4), load<i32>(rb + 4));
      const y1 = min(load<i32>(ra) + load<i32>(ra + 8), load<i32>(rb) + load<i32>(rb + 8));
      const x1 = min(
        load<i32>(ra + 4) + load<i32>(ra + 12),
        load<i32>(rb + 4) + load<i32>(rb + 12),
      );
      if (y1 <= y0 || x1 <= x0) continue;
      if (out != 0) {
        const at = out + <usize> count * 24;
        store<i32>(at, a);
        store<i32>(at + 4, b);
        store<i32>(at + 8, y0);
        store<i32>(at + 12, x0);
        store<i32>(at + 16, y1 - y0);
        store<i32>(at + 20, x1 - x0);
      }
      count++;
    }
  }
  return count;
}

/**
 * Contiguous assignment of `tiles` tiles (row-major order) to `workers` workers, each worker
 * getting at least one tile, minimising the largest position count of a worker. Among equally
 * good splits the earliest split point wins. `counts` holds i32 position counts per tile,
 * `out` receives the worker of each tile. Requires 1 <= workers <= tiles.
 */
export function assign(tiles: i32, counts: usize, workers: i32, out: usize): void {
  const prefix = alloc((tiles + 1) << 3);
  store<i64>(prefix, 0);
  for (let t = 0; t < tiles; t++) {
    const sum = load<i64>(prefix + (<usize> t << 3)) + <i64> load<i32>(counts + (<usize> t << 2));
    store<i64>(prefix + (<usize> (t + 1) << 3), sum);
  }
  // best[g][i]: smallest largest load splitting the first i tiles into g groups; cut[g][i]: the
  // start of the last group in that split.
  const stride = <usize> (tiles + 1);
  const best = alloc(<i32> ((<usize> (workers + 1) * stride) << 3));
  const cut = alloc(<i32> ((<usize> (workers + 1) * stride) << 2));
  for (let i = 1; i <= tiles; i++) {
    store<i64>(best + ((stride + <usize> i) << 3), load<i64>(prefix + (<usize> i << 3)));
    store<i32>(cut + ((stride + <usize> i) << 2), 0);
  }
  for (let g = 2; g <= workers; g++) {
    for (let i = g; i <= tiles; i++) {
      let chosen: i64 = -1;
      let at = g - 1;
      for (let s = g - 1; s < i; s++) {
        const head = load<i64>(best + ((<usize> (g - 1) * stride + <usize> s) << 3));
        const last = load<i64>(prefix + (<usize> i << 3)) - load<i64>(prefix + (<usize> s << 3));
        const worst = head > last ? head : last;
        if (chosen < 0 || worst < chosen) {
          chosen = worst;
          at = s;
        }
      }
      store<i64>(best + ((<usize> g * stride + <usize> i) << 3), chosen);
      store<i32>(cut + ((<usize> g * stride + <usize> i) << 2), at);
    }
  }
  let end = tiles;
  for (let g = workers; g >= 1; g--) {
    const start = load<i32>(cut + ((<usize> g * stride + <usize> end) << 2));
    for (let t = start; t < end; t++) store<i32>(out + (<usize> t << 2), g - 1);
    end = start;
  }
}

/**
 * Row starts of the gather index of one region (CSR over the region's pixels, row-major):
 * `rowStart` receives height*width + 1 u32, entry k of pixel p lying in
 * [rowStart[p], rowStart[p + 1]). The `n` windows are the positions (py, px). Returns the
 * number of entries.
 */
export function gatherRows(
  n: i32,
  py: usize,
  px: usize,
  frame: i32,
  y0: i32,
  x0: i32,
  height: i32,
  width: i32,
  rowStart: usize,
): i32 {
  const pixels = height * width;
  for (let p = 0; p <= pixels; p++) store<u32>(rowStart + (<usize> p << 2), 0);
  const half = frame >> 1;
  for (let j = 0; j < n; j++) {
    const wy = centre(load<f64>(py + (<usize> j << 3))) - half - y0;
    const wx = centre(load<f64>(px + (<usize> j << 3))) - half - x0;
    for (let dy = 0; dy < frame; dy++) {
      const row = rowStart + (<usize> ((wy + dy) * width + wx + 1) << 2);
      for (let dx = 0; dx < frame; dx++) {
        const at = row + (<usize> dx << 2);
        store<u32>(at, load<u32>(at) + 1);
      }
    }
  }
  for (let p = 0; p < pixels; p++) {
    const at = rowStart + (<usize> (p + 1) << 2);
    store<u32>(at, load<u32>(at) + load<u32>(at - 4));
  }
  return <i32> load<u32>(rowStart + (<usize> pixels << 2));
}

/**
 * Entries of the gather index made by {@link gatherRows}: for each pixel, the windows covering
 * it in ascending order (`window`, u32) and the pixel's offset inside each window
 * (`offset`, u32, dy * M + dx). `cursor` is scratch of height*width u32.
 */
export function gatherFill(
  n: i32,
  py: usize,
  px: usize,
  frame: i32,
  y0: i32,
  x0: i32,
  width: i32,
  pixels: i32,
  rowStart: usize,
  cursor: usize,
  window: usize,
  offset: usize,
): void {
  memory.copy(cursor, rowStart, <usize> pixels << 2);
  const half = frame >> 1;
  for (let j = 0; j < n; j++) {
    const wy = centre(load<f64>(py + (<usize> j << 3))) - half - y0;
    const wx = centre(load<f64>(px + (<usize> j << 3))) - half - x0;
    for (let dy = 0; dy < frame; dy++) {
      for (let dx = 0; dx < frame; dx++) {
        const at = cursor + (<usize> ((wy + dy) * width + wx + dx) << 2);
        const k = <usize> load<u32>(at);
        store<u32>(at, <u32> (k + 1));
        store<u32>(window + (k << 2), <u32> j);
        store<u32>(offset + (k << 2), <u32> (dy * frame + dx));
      }
    }
  }
}
