// Tessera's CPU-side tiling, compiled to WebAssembly by `deno task asm` (AssemblyScript).
// `src/tiling/reference.ts` computes the same in plain TypeScript; the tests compare the two.
//
// The host writes inputs into linear memory obtained from `alloc` and reads results back from
// the pointers it passed. Conventions (shared with the reference):
// - the window of a position at (py, px) starts at (floor(py) - M/2, floor(px) - M/2), and its
//   centre pixel (floor(py), floor(px)) decides the owner tile (clamped into the object);
// - the object is cut into R row bands at R + 1 row boundaries, each band into C tiles at C + 1
//   column boundaries of its own (R x (C + 1) i32, row-major), balanced by position count
//   (`cuts`, the rule of `TilingKernels.cuts` in src/tiling/types.ts); tile (r, c) is row-major
//   tile r * C + c;
// - a rectangle is four i32: y0, x0, height, width.

let top: usize = 0;

/** Forgets every allocation: the next `alloc` starts at the heap base again. */
export function reset(): void {
  top = (__heap_base + 15) & ~(<usize> 15);
}

/** Reserves `bytes` bytes (16-byte aligned), growing the memory when needed. */
export function alloc(bytes: i32): usize {
  if (top == 0) reset();
  const start = top;
  top = (start + <usize> bytes + 15) & ~(<usize> 15);
  const pages = <i32> ((top + 0xffff) >> 16);
  const have = memory.size();
  if (pages > have) memory.grow(pages - have);
  return start;
}

function bound(i: i32, n: i32, parts: i32): i32 {
  return <i32> ((<i64> i * <i64> n) / <i64> parts);
}

function partOf(v: i32, bounds: usize, parts: i32): i32 {
  let p = 0;
  while (p < parts - 1 && load<i32>(bounds + (<usize> (p + 1) << 2)) <= v) p++;
  return p;
}

function clampi(v: i32, lo: i32, hi: i32): i32 {
  return v < lo ? lo : v > hi ? hi : v;
}

function centre(v: f64): i32 {
  return <i32> Math.floor(v);
}

function abs64(v: i64): i64 {
  return v < 0 ? -v : v;
}

/** Row (or column) of the position of rank `p` in a histogram of i32 counts per row. */
function rankRow(hist: usize, p: i32): i32 {
  let y = 0;
  let below = 0;
  while (below + load<i32>(hist + (<usize> y << 2)) <= p) {
    below += load<i32>(hist + (<usize> y << 2));
    y++;
  }
  return y;
}

/**
 * `parts + 1` boundaries cutting [0, n) into parts of about equal count, written as i32 to
 * `out`. `hist` counts the `count` positions' centres per row (or column). The histogram walk
 * replaces the reference's sort; `lowest` is scratch of `parts + 1` i32.
 */
function balance(hist: usize, n: i32, count: i32, parts: i32, out: usize, lowest: usize): void {
  store<i32>(out, 0);
  store<i32>(out + (<usize> parts << 2), n);
  if (count == 0) {
    for (let i = 1; i < parts; i++) store<i32>(out + (<usize> i << 2), bound(i, n, parts));
    return;
  }
  for (let i = 1; i < parts; i++) {
    const v = rankRow(hist, bound(i, count, parts));
    let first = 0;
    for (let y = 0; y < v; y++) first += load<i32>(hist + (<usize> y << 2));
    const end = first + load<i32>(hist + (<usize> v << 2));
    const target = <i64> i * <i64> count;
    const missEnd = abs64(<i64> end * <i64> parts - target);
    const above = missEnd <= abs64(<i64> first * <i64> parts - target) ? end : first;
    const at = above < count ? rankRow(hist, above) : n;
    const floor = above > 0 ? rankRow(hist, above - 1) + 1 : 1;
    store<i32>(out + (<usize> i << 2), at);
    store<i32>(lowest + (<usize> i << 2), floor < at ? floor : at);
  }
  for (let i = parts - 1; i >= 1; i--) {
    const next = load<i32>(out + (<usize> (i + 1) << 2)) - 1;
    const at = load<i32>(out + (<usize> i << 2));
    store<i32>(out + (<usize> i << 2), max(load<i32>(lowest + (<usize> i << 2)), min(at, next)));
  }
}

/** Zeroed scratch of `count` i32. */
function zeros(count: i32): usize {
  const at = alloc(count << 2);
  memory.fill(at, 0, <usize> count << 2);
  return at;
}

/**
 * The cuts of `n` positions (py, px) over a height x width object into rows x cols tiles:
 * `outRows` receives rows + 1 i32 row boundaries, `outCols` rows x (cols + 1) i32 column
 * boundaries, those of each row band in turn.
 */
export function cuts(
  n: i32,
  py: usize,
  px: usize,
  height: i32,
  width: i32,
  rows: i32,
  cols: i32,
  outRows: usize,
  outCols: usize,
): void {
  const byRow = zeros(height);
  for (let j = 0; j < n; j++) {
    const at = byRow +
      (<usize> clampi(centre(load<f64>(py + (<usize> j << 3))), 0, height - 1) << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
  const lowest = alloc((max(rows, cols) + 1) << 2);
  balance(byRow, height, n, rows, outRows, lowest);
  const byCol = zeros(rows * width);
  const inBand = zeros(rows);
  for (let j = 0; j < n; j++) {
    const cy = clampi(centre(load<f64>(py + (<usize> j << 3))), 0, height - 1);
    const cx = clampi(centre(load<f64>(px + (<usize> j << 3))), 0, width - 1);
    const r = partOf(cy, outRows, rows);
    const at = byCol + (<usize> (r * width + cx) << 2);
    store<i32>(at, load<i32>(at) + 1);
    store<i32>(inBand + (<usize> r << 2), load<i32>(inBand + (<usize> r << 2)) + 1);
  }
  for (let r = 0; r < rows; r++) {
    const hist = byCol + (<usize> (r * width) << 2);
    const out = outCols + (<usize> (r * (cols + 1)) << 2);
    balance(hist, width, load<i32>(inBand + (<usize> r << 2)), cols, out, lowest);
  }
}

/**
 * Owner tile (row-major index) of each of `n` positions, written as i32 to `out`, for the cuts
 * `rowCuts` and `colCuts` made by {@link cuts}.
 */
export function owners(
  n: i32,
  py: usize,
  px: usize,
  height: i32,
  width: i32,
  rows: i32,
  cols: i32,
  rowCuts: usize,
  colCuts: usize,
  out: usize,
): void {
  for (let j = 0; j < n; j++) {
    const cy = clampi(centre(load<f64>(py + (<usize> j << 3))), 0, height - 1);
    const cx = clampi(centre(load<f64>(px + (<usize> j << 3))), 0, width - 1);
    const r = partOf(cy, rowCuts, rows);
    const c = partOf(cx, colCuts + (<usize> (r * (cols + 1)) << 2), cols);
    store<i32>(out + (<usize> j << 2), r * cols + c);
  }
}

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
