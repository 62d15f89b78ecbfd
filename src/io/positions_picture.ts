/**
 * `positions.png`: the scan positions as measured (blue) and as refined by position correction
 * (orange), each pair joined by a grey line, at true scale over the scanned area (a few pixels
 * around every position) enlarged by an integer factor, so that moves of a pixel or two show.
 */
import { fillRect } from "./_font.ts";
import type { Image } from "./png.ts";

/** What {@link positionsImage} draws; positions in object pixels, (y, x) in scan order. */
export interface PositionsPicture {
  measured: { y: ArrayLike<number>; x: ArrayLike<number> };
  refined: { y: ArrayLike<number>; x: ArrayLike<number> };
}

const MEASURED: [number, number, number] = [70, 140, 255];
const REFINED: [number, number, number] = [255, 150, 30];
const LINE: [number, number, number] = [150, 150, 150];
/** The longer side of the picture is enlarged to about this many pixels. */
const TARGET = 1024;
/** Object pixels shown beyond the outermost positions. */
const BORDER = 4;

/**
 * The picture of measured against refined positions.
 *
 * @example
 * ```ts
 * const image = positionsImage({ measured, refined });
 * await Deno.writeFile("positions.png", await encodePng(image));
 * ```
 */
export function positionsImage(p: PositionsPicture): Image {
  const n = p.measured.y.length;
  if (
    n === 0 || p.measured.x.length !== n || p.refined.y.length !== n || p.refined.x.length !== n
  ) {
    throw new RangeError(
      `Cannot draw ${n} measured against ${p.refined.y.length} refined positions`,
    );
  }
  const all = (
    axis: "x" | "y",
  ) => [...Array.from(p.measured[axis]), ...Array.from(p.refined[axis])];
  const y0 = Math.min(...all("y")) - BORDER, x0 = Math.min(...all("x")) - BORDER;
  const h = Math.max(...all("y")) + BORDER - y0, w = Math.max(...all("x")) + BORDER - x0;
  const zoom = Math.max(1, Math.min(16, Math.floor(TARGET / Math.max(h, w))));
  const width = Math.ceil(w * zoom), height = Math.ceil(h * zoom);
  const image = { width, height, data: new Uint8Array(3 * width * height).fill(40) };
  const at = (v: number, origin: number) => Math.round((v - origin) * zoom);
  const { measured: m, refined: r } = p;
  for (let j = 0; j < n; j++) {
    line(image, at(m.x[j], x0), at(m.y[j], y0), at(r.x[j], x0), at(r.y[j], y0));
  }
  const dot = Math.max(3, Math.round(zoom / 2));
  for (const [set, colour] of [[m, MEASURED], [r, REFINED]] as const) {
    for (let j = 0; j < n; j++) {
      const x = at(set.x[j], x0) - (dot >> 1), y = at(set.y[j], y0) - (dot >> 1);
      fillRect(image, x, y, dot, dot, colour);
    }
  }
  return { width: image.width, height: image.height, channels: 3, data: image.data };
}

/** A one-pixel line from (x0, y0) to (x1, y1), clipped to the image. */
function line(
  image: { width: number; height: number; data: Uint8Array },
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): void {
  const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let i = 0; i <= steps; i++) {
    const x = Math.round(x0 + ((x1 - x0) * i) / steps);
    const y = Math.round(y0 + ((y1 - y0) * i) / steps);
    fillRect(image, x, y, 1, 1, LINE);
  }
}
