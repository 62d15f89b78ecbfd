import type { StripStore } from "../distributed/collectives.ts";
import type { Rect } from "../tiling/mod.ts";

/** Where the gradients of a worker's tiles live (see `StripStore`). */
export type GradientStore = StripStore;

/** Float32 values in a strip of `rect` with `planes` planes of complex values. */
export function stripLength(rect: Rect, planes: number): number {
  return planes * rect.height * rect.width * 2;
}

/** Copies `rect` out of (or, with `into`, into) a region-sized array, plane by plane. */
export function copyRect(options: {
  region: Rect;
  rect: Rect;
  planes: number;
  array: Float32Array;
  strip: Float32Array;
  into?: boolean;
}): void {
  const { region, rect, planes, array, strip, into = false } = options;
  const row = 2 * rect.width;
  let s = 0;
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < rect.height; y++) {
      const at = 2 * ((p * region.height + rect.y0 - region.y0 + y) * region.width +
        rect.x0 - region.x0);
      if (into) array.set(strip.subarray(s, s + row), at);
      else strip.set(array.subarray(at, at + row), s);
      s += row;
    }
  }
}

/** Gradients held in host arrays, one per tile: the data plane's test bed. */
export class HostGradients implements GradientStore {
  constructor(
    readonly regions: Rect[],
    readonly planes: number,
    readonly arrays: Map<number, Float32Array>,
  ) {}

  read(tile: number, rect: Rect): Promise<Float32Array> {
    const strip = new Float32Array(stripLength(rect, this.planes));
    copyRect({ ...this.#where(tile, rect), strip });
    return Promise.resolve(strip);
  }

  readMany(tile: number, rects: Rect[]): Promise<Float32Array[]> {
    return Promise.all(rects.map((rect) => this.read(tile, rect)));
  }

  write(tile: number, rect: Rect, strip: Float32Array): Promise<void> {
    copyRect({ ...this.#where(tile, rect), strip, into: true });
    return Promise.resolve();
  }

  #where(tile: number, rect: Rect) {
    const array = this.arrays.get(tile);
    if (!array) throw new RangeError(`Cannot access tile ${tile}: this worker does not hold it`);
    return { region: this.regions[tile], rect, planes: this.planes, array };
  }
}
