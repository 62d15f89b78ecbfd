// The balanced cuts of the object into tiles and the owner tile of each position (see the
// conventions in asm/tiling.ts).
import { alloc, centre } from "./common";

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

function abs64(v: i64): i64 {
  return v < 0 ? -v : v;
}

/**
 * Row (or column) of the position of rank `p` (0-based, ascending) among those counted by a
 * histogram of i32 counts per row.
 */
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
    // Positions sharing a row stay together: of the counts left above when the row of rank
    // floor(i N / parts) goes below or above the boundary, the one nearer i N / parts wins, the
    // larger on a tie. The boundary then sits on the first row below it, and may move up to
    // the row after the last one above it.
    const v = rankRow(hist, bound(i, count, parts));
    let first = 0;
    for (let y = 0; y < v; y++) first += load<i32>(hist + (<usize> y << 2));
    const end = first + load<i32>(hist + (<usize> v << 2));
    const target = <i64> i * <i64> count;
    const missEnd = abs64(<i64> end * <i64> parts - target);
    const above = missEnd <= abs64(<i64> first * <i64> parts - target) ? end : first;
    const at = above < count ? rankRow(hist, above) : n;
    const low = above > 0 ? rankRow(hist, above - 1) + 1 : 1;
    store<i32>(out + (<usize> i << 2), at);
    store<i32>(lowest + (<usize> i << 2), low < at ? low : at);
  }
  // Moving boundaries up, from the last one on, keeps them strictly increasing wherever rows
  // free of positions allow, and leaves the parts without positions thin.
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
