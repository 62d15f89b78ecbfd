import type { Rect } from "../tiling/mod.ts";

/** The `region` of every slice of an S x H x W complex array, packed S x h x w. */
export function extractRegion(
  array: Float32Array,
  shape: [number, number],
  slices: number,
  region: Rect,
): Float32Array {
  const [h, w] = shape;
  const out = new Float32Array(2 * slices * region.height * region.width);
  for (let s = 0; s < slices; s++) {
    for (let y = 0; y < region.height; y++) {
      const from = 2 * ((s * h + region.y0 + y) * w + region.x0);
      out.set(
        array.subarray(from, from + 2 * region.width),
        2 * (s * region.height + y) * region.width,
      );
    }
  }
  return out;
}

/**
 * Writes the `core` of a tile's extended-region values (S x region) into the S x H x W object:
 * stitching keeps each tile's core and drops its halo.
 */
export function stitchCore(options: {
  object: Float32Array;
  shape: [number, number];
  slices: number;
  region: Rect;
  core: Rect;
  values: Float32Array;
}): void {
  const { object, shape: [h, w], slices, region, core, values } = options;
  for (let s = 0; s < slices; s++) {
    for (let y = 0; y < core.height; y++) {
      const from = 2 * ((s * region.height + core.y0 - region.y0 + y) * region.width +
        core.x0 - region.x0);
      object.set(
        values.subarray(from, from + 2 * core.width),
        2 * ((s * h + core.y0 + y) * w + core.x0),
      );
    }
  }
}
