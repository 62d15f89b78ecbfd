/**
 * Scan positions in object pixels from translations in metres (DESIGN section 1): position =
 * translation / dx, x from column 0 and y from column 1, plus one offset for the whole scan so
 * that every probe window lies inside the object with a margin.
 */

/** What {@link placeScan} needs. */
export interface PlaceScanOptions {
  /** Translations in metres, N x 2 interleaved (x, y). */
  translations: Float64Array;
  /** Object pixel size dx in metres. */
  objectPixel: number;
  /** Frame (probe window) size M. */
  frame: number;
  /** Free pixels between the outermost windows and the object's edge; default max(4, M / 16). */
  margin?: number;
}

/** Positions in object pixels and the object size that holds every probe window. */
export interface ScanPlacement {
  positionsX: Float64Array;
  positionsY: Float64Array;
  objectShape: [number, number];
}

/**
 * Places a scan on the object grid. The probe's centre pixel (M/2, M/2) sits on each position,
 * so the window of position p spans [p - M/2, p + M/2); one extra pixel on the far side leaves
 * room for the sub-pixel Fourier shift of the probe.
 *
 * @example
 * ```ts
 * const translations = new Float64Array([0, 0, 1e-7, 0, 0, 1e-7]);
 * const { positionsX, objectShape } = placeScan({ translations, objectPixel: 1e-8, frame: 64 });
 * // positionsX = [36, 46, 36], objectShape = [83, 83]
 * ```
 */
export function placeScan(options: PlaceScanOptions): ScanPlacement {
  const { translations, objectPixel, frame } = options;
  const margin = options.margin ?? Math.max(4, Math.round(frame / 16));
  if (!Number.isInteger(margin) || margin < 0) {
    throw new RangeError(`Expected a non-negative integer margin, got ${margin}`);
  }
  const count = translations.length / 2;
  const positionsX = new Float64Array(count);
  const positionsY = new Float64Array(count);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let j = 0; j < count; j++) {
    positionsX[j] = translations[2 * j] / objectPixel;
    positionsY[j] = translations[2 * j + 1] / objectPixel;
    minX = Math.min(minX, positionsX[j]);
    maxX = Math.max(maxX, positionsX[j]);
    minY = Math.min(minY, positionsY[j]);
    maxY = Math.max(maxY, positionsY[j]);
  }
  const half = frame / 2;
  const offsetX = margin + half - minX;
  const offsetY = margin + half - minY;
  for (let j = 0; j < count; j++) {
    positionsX[j] += offsetX;
    positionsY[j] += offsetY;
  }
  const width = Math.ceil(maxX - minX) + frame + 2 * margin + 1;
  const height = Math.ceil(maxY - minY) + frame + 2 * margin + 1;
  return { positionsX, positionsY, objectShape: [height, width] };
}
