/**
 * Scan patterns in object pixels, and their placement inside an object array.
 *
 * @module
 */

/** Scan positions in object pixels, y and x. */
export interface Scan {
  x: Float64Array;
  y: Float64Array;
}

/** The golden angle, radians: successive Fermat-spiral points turn by it. */
const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));

/**
 * Fermat spiral of `count` points around (0, 0): point n at radius `step` sqrt(n), angle n times
 * the golden angle. Each point occupies an area of pi step^2, so neighbours sit about 1.8 step
 * apart, with no periodicity for raster artefacts to lock onto.
 *
 * @example
 * ```ts
 * const scan = fermatSpiral({ count: 400, step: 4 }); // radius 80 px
 * ```
 */
export function fermatSpiral(o: { count: number; step: number }): Scan {
  const x = new Float64Array(o.count);
  const y = new Float64Array(o.count);
  for (let n = 0; n < o.count; n++) {
    const r = o.step * Math.sqrt(n);
    x[n] = r * Math.cos(n * GOLDEN_ANGLE);
    y[n] = r * Math.sin(n * GOLDEN_ANGLE);
  }
  return { x, y };
}

/**
 * Raster of `count` points, row by row, on a square-ish grid of spacing `step` around (0, 0).
 * The last row is partial when `count` is not a product of the grid's sides.
 */
export function raster(o: { count: number; step: number }): Scan {
  const columns = Math.ceil(Math.sqrt(o.count));
  const rows = Math.ceil(o.count / columns);
  const x = new Float64Array(o.count);
  const y = new Float64Array(o.count);
  for (let n = 0; n < o.count; n++) {
    x[n] = ((n % columns) - (columns - 1) / 2) * o.step;
    y[n] = (Math.floor(n / columns) - (rows - 1) / 2) * o.step;
  }
  return { x, y };
}

/** A scan placed in an object array: positions offset so every window lies inside. */
export interface PlacedScan extends Scan {
  /** Object size [H, W]. */
  shape: [number, number];
  /** What was added to the input positions, y and x. */
  offset: [number, number];
}

/**
 * Offsets a scan so that every M x M probe window (centre pixel (M/2, M/2) on the position) lies
 * inside the object with `margin` pixels to spare, and sizes the object to match.
 */
export function placeScan(scan: Scan, frame: number, margin: number): PlacedScan {
  const place = (v: Float64Array) => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const offset = frame / 2 + margin - Math.floor(lo);
    // The window of position p spans floor(p) - M/2 .. floor(p) + M/2 - 1.
    const size = Math.floor(hi + offset) + frame / 2 + margin;
    return { values: v.map((p) => p + offset), offset, size };
  };
  const py = place(scan.y);
  const px = place(scan.x);
  return { x: px.values, y: py.values, shape: [py.size, px.size], offset: [py.offset, px.offset] };
}
