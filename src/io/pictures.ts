/**
 * The pictures a person looks at first: object phase and amplitude in grey, the probe in a
 * complex colouring (hue = phase, brightness = amplitude), slices or modes as a montage, and a
 * scale bar labelled in µm, nm or Å.
 */
import type { ComplexArray } from "../data/dataset.ts";
import { drawText, fillRect, GLYPH_HEIGHT, textWidth } from "./_font.ts";
import type { Image } from "./png.ts";

/** An RGB image being composed. */
interface Canvas {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Splits an S x H x W (or H x W) complex array into its 2D planes. */
function planes(array: ComplexArray): { h: number; w: number; data: Float32Array[] } {
  const [h, w] = array.shape.slice(-2);
  const n = array.shape.length === 3 ? array.shape[0] : 1;
  const data = Array.from(
    { length: n },
    (_, s) => array.data.subarray(2 * s * h * w, 2 * (s + 1) * h * w),
  );
  return { h, w, data };
}

/** Values at the given quantiles (0..1), from at most ~1e6 evenly strided samples. */
function quantiles(values: Float64Array, qs: number[]): number[] {
  const stride = Math.max(1, Math.floor(values.length / 1e6));
  const sample = new Float64Array(Math.ceil(values.length / stride));
  for (let i = 0, k = 0; i < values.length; i += stride) sample[k++] = values[i];
  sample.sort();
  return qs.map((q) => sample[Math.min(sample.length - 1, Math.floor(q * sample.length))]);
}

/** Grey levels of real planes, stretched between the 0.5 % and 99.5 % quantiles of all. */
function greyPlanes(values: Float64Array[]): Uint8Array[] {
  const all = new Float64Array(values.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of values) {
    all.set(v, at);
    at += v.length;
  }
  const [lo, hi] = quantiles(all, [0.005, 0.995]);
  const span = hi > lo ? hi - lo : 1;
  return values.map((v) => {
    const out = new Uint8Array(3 * v.length);
    for (let i = 0; i < v.length; i++) {
      const g = Math.round(255 * Math.min(1, Math.max(0, (v[i] - lo) / span)));
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = g;
    }
    return out;
  });
}

/**
 * Phase of each slice after removing the global phase (the mean complex value is turned real
 * and positive), so a uniform phase offset of the reconstruction does not wrap the picture.
 */
function phases(array: ComplexArray): Float64Array[] {
  let sr = 0, si = 0;
  for (let i = 0; i < array.data.length; i += 2) {
    sr += array.data[i];
    si += array.data[i + 1];
  }
  const norm = Math.hypot(sr, si) || 1;
  const cr = sr / norm, ci = -si / norm;
  return planes(array).data.map((p) => {
    const out = new Float64Array(p.length / 2);
    for (let i = 0; i < out.length; i++) {
      const re = p[2 * i] * cr - p[2 * i + 1] * ci;
      const im = p[2 * i] * ci + p[2 * i + 1] * cr;
      out[i] = Math.atan2(im, re);
    }
    return out;
  });
}

function amplitudes(array: ComplexArray): Float64Array[] {
  return planes(array).data.map((p) => {
    const out = new Float64Array(p.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = Math.hypot(p[2 * i], p[2 * i + 1]);
    return out;
  });
}

/** Hue from phase, value from amplitude (each plane normalised to its own maximum). */
function complexColour(array: ComplexArray): Uint8Array[] {
  return planes(array).data.map((p) => {
    const n = p.length / 2;
    let max = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, Math.hypot(p[2 * i], p[2 * i + 1]));
    const out = new Uint8Array(3 * n);
    for (let i = 0; i < n; i++) {
      const value = max > 0 ? Math.hypot(p[2 * i], p[2 * i + 1]) / max : 0;
      const hue = (Math.atan2(p[2 * i + 1], p[2 * i]) / (2 * Math.PI) + 1) % 1;
      const [r, g, b] = hsv(hue, value);
      out[3 * i] = r;
      out[3 * i + 1] = g;
      out[3 * i + 2] = b;
    }
    return out;
  });
}

/** Fully saturated HSV to RGB bytes, hue in [0, 1). */
function hsv(hue: number, value: number): [number, number, number] {
  const h = hue * 6, sector = Math.floor(h) % 6, f = h - Math.floor(h);
  const v = 255 * value, q = v * (1 - f), t = v * f;
  const rgb = [[v, t, 0], [q, v, 0], [0, v, t], [0, q, v], [t, 0, v], [v, 0, q]][sector];
  return rgb.map(Math.round) as [number, number, number];
}

/** The largest 1, 2 or 5 x 10^k not above `limit`. */
function niceLength(limit: number): number {
  const decade = 10 ** Math.floor(Math.log10(limit));
  return [5, 2, 1].map((m) => m * decade).find((v) => v <= limit * (1 + 1e-9)) ?? decade;
}

/** A length in metres as a label in µm, nm or Å. */
export function lengthLabel(metres: number): string {
  const [value, unit] = metres >= 1e-6 - 1e-15
    ? [metres * 1e6, "µm"]
    : metres >= 1e-9 - 1e-18
    ? [metres * 1e9, "nm"]
    : [metres * 1e10, "Å"];
  return `${Number(value.toPrecision(3))} ${unit}`;
}

/**
 * The factor a picture of h x w planes is enlarged by (the object pictures' first slice fills
 * their top-left `zoom * h` x `zoom * w` pixels).
 */
export function montageZoom(h: number, w: number): number {
  return Math.min(8, Math.max(1, Math.ceil(256 / Math.min(h, w))));
}

/**
 * Lays RGB planes out in a grid (columns = ceil(sqrt(n))), each enlarged by an integer factor
 * so small arrays stay readable, and draws a scale bar on the first tile.
 */
function montage(tiles: Uint8Array[], h: number, w: number, pixelSize: number): Image {
  const zoom = montageZoom(h, w);
  const th = h * zoom, tw = w * zoom, gap = tiles.length > 1 ? 4 : 0;
  const columns = Math.ceil(Math.sqrt(tiles.length));
  const rows = Math.ceil(tiles.length / columns);
  const canvas: Canvas = {
    width: columns * tw + (columns - 1) * gap,
    height: rows * th + (rows - 1) * gap,
    data: new Uint8Array(0),
  };
  canvas.data = new Uint8Array(3 * canvas.width * canvas.height).fill(40);
  tiles.forEach((tile, t) => {
    const ox = (t % columns) * (tw + gap), oy = Math.floor(t / columns) * (th + gap);
    for (let y = 0; y < th; y++) {
      const src = Math.floor(y / zoom) * w;
      for (let x = 0; x < tw; x++) {
        const s = 3 * (src + Math.floor(x / zoom));
        canvas.data.set(tile.subarray(s, s + 3), 3 * ((oy + y) * canvas.width + ox + x));
      }
    }
  });
  scaleBar(canvas, { tileWidth: tw, tileHeight: th, metresPerPixel: pixelSize / zoom });
  return { width: canvas.width, height: canvas.height, channels: 3, data: canvas.data };
}

function scaleBar(
  canvas: Canvas,
  tile: { tileWidth: number; tileHeight: number; metresPerPixel: number },
): void {
  const metres = niceLength((tile.tileWidth / 4) * tile.metresPerPixel);
  const bar = Math.max(1, Math.round(metres / tile.metresPerPixel));
  const label = lengthLabel(metres);
  const scale = Math.max(2, Math.round(tile.tileWidth / 200));
  const pad = 3 * scale, barHeight = 3 * scale;
  const textHeight = GLYPH_HEIGHT * scale;
  const boxW = Math.max(bar, textWidth(label, scale)) + 2 * pad;
  const boxH = textHeight + pad + barHeight + 2 * pad;
  const x = 2 * pad, y = tile.tileHeight - boxH - 2 * pad;
  fillRect(canvas, x, y, boxW, boxH, [0, 0, 0]);
  drawText(canvas, label, { x: x + pad, y: y + pad, scale, colour: [255, 255, 255] });
  fillRect(canvas, x + pad, y + 2 * pad + textHeight, bar, barHeight, [255, 255, 255]);
}

/**
 * Object phase in grey (global phase removed, contrast stretched), one tile per slice.
 *
 * @example
 * ```ts
 * await Deno.writeFile("phase.png", await encodePng(objectPhaseImage(object, 1e-8)));
 * ```
 */
export function objectPhaseImage(object: ComplexArray, pixelSize: number): Image {
  const { h, w } = planes(object);
  return montage(greyPlanes(phases(object)), h, w, pixelSize);
}

/** Object amplitude in grey (contrast stretched), one tile per slice. */
export function objectAmplitudeImage(object: ComplexArray, pixelSize: number): Image {
  const { h, w } = planes(object);
  return montage(greyPlanes(amplitudes(object)), h, w, pixelSize);
}

/** Probe modes in complex colouring: hue = phase, brightness = amplitude; one tile per mode. */
export function probeImage(probe: ComplexArray, pixelSize: number): Image {
  const { h, w } = planes(probe);
  return montage(complexColour(probe), h, w, pixelSize);
}
