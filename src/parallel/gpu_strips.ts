import type { Gpu } from "../gpu/mod.ts";
import type { Rect } from "../tiling/mod.ts";
import { profile } from "./profile.ts";
import { copyRect, type GradientStore, stripLength } from "./strips.ts";

/** Where a tile's gradient lies on the device: a buffer and the byte offset of its first value. */
export interface DeviceGradient {
  buffer: GPUBuffer;
  offset?: number;
}

/**
 * Tile gradients on a device (`planes` x height x width complex float32 per tile region). Only
 * the strips the exchange asks for cross the bus: rows are gathered on the device into one packed
 * mappable buffer for a single readback, and received strips are uploaded packed and scattered
 * row by row with buffer copies (no kernel, so no pipeline to compile).
 */
export class GpuGradients implements GradientStore {
  constructor(
    readonly gpu: Gpu,
    readonly regions: Rect[],
    readonly planes: number,
    readonly gradients: Map<number, DeviceGradient>,
  ) {}

  async read(tile: number, rect: Rect): Promise<Float32Array> {
    return (await this.readMany(tile, [rect]))[0];
  }

  /**
   * Reads all `rects` in as few readbacks as a budget of the largest strip's bytes allows (a
   * readback costs a device round trip; the budget keeps the peak of one strip at a time). When
   * the rectangles' bounding box holds no more pixels than they do together (fine grids, whose
   * strips overlap), the box is read once and the strips cut from it on the host.
   */
  async readMany(tile: number, rects: Rect[]): Promise<Float32Array[]> {
    if (rects.length === 0) return [];
    const planes = this.planes;
    const box = boundingBox(rects);
    const budget = 4 * Math.max(...rects.map((r) => stripLength(r, planes)), 2 * box.width);
    if (box.height * box.width <= rects.reduce((n, r) => n + r.height * r.width, 0)) {
      const whole = await this.#readRects(tile, [box], budget);
      return rects.map((rect) => {
        const strip = new Float32Array(stripLength(rect, planes));
        copyRect({ region: box, rect, planes, array: whole, strip });
        return strip;
      });
    }
    const all = await this.#readRects(tile, rects, budget);
    let at = 0;
    return rects.map((rect) => {
      const length = stripLength(rect, planes);
      at += length;
      return all.subarray(at - length, at);
    });
  }

  /** The strips of `rects`, packed one after another, read in chunks of at most `budget` bytes. */
  async #readRects(tile: number, rects: Rect[], budget: number): Promise<Float32Array> {
    const rows: Array<{ at: number; bytes: number }> = [];
    for (const rect of rects) {
      this.#rows(tile, rect, (device, _, bytes) => rows.push({ at: device.at, bytes }));
    }
    const out = new Float32Array(rows.reduce((n, r) => n + r.bytes, 0) / 4);
    let done = 0;
    for (let first = 0; first < rows.length;) {
      let last = first;
      let bytes = 0;
      while (last < rows.length && (last === first || bytes + rows[last].bytes <= budget)) {
        bytes += rows[last++].bytes;
      }
      out.set(await this.#readback(tile, rows.slice(first, last), bytes), done / 4);
      done += bytes;
      first = last;
    }
    return out;
  }

  /** One readback of device rows, copied straight into a mappable buffer (no packed copy). */
  async #readback(
    tile: number,
    rows: Array<{ at: number; bytes: number }>,
    bytes: number,
  ): Promise<Float32Array> {
    const gpu = this.gpu;
    const source = this.gradients.get(tile)!.buffer;
    const staging = gpu.memory.create(
      bytes,
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      "exchange strip readback",
    );
    try {
      let packedAt = 0;
      for (const row of rows) {
        gpu.copy(source, row.at, staging, packedAt, row.bytes);
        packedAt += row.bytes;
      }
      gpu.flush();
      await staging.mapAsync(GPUMapMode.READ);
      return new Float32Array(staging.getMappedRange().slice(0));
    } finally {
      gpu.memory.release(staging);
    }
  }

  write(tile: number, rect: Rect, strip: Float32Array): Promise<void> {
    profile.timeSync("strip write", () => this.#write(tile, rect, strip));
    return Promise.resolve();
  }

  #write(tile: number, rect: Rect, strip: Float32Array): void {
    const gpu = this.gpu;
    const packed = gpu.upload(strip, "exchange strip in");
    try {
      this.#rows(
        tile,
        rect,
        (device, packedAt, bytes) => gpu.copy(packed, packedAt, device.buffer, device.at, bytes),
      );
      // The copies must be submitted before the packed buffer is destroyed.
      gpu.flush();
    } finally {
      gpu.release(packed);
    }
  }

  /** Calls `visit` for each row of `rect`: its place on the device and in the packed strip. */
  #rows(
    tile: number,
    rect: Rect,
    visit: (device: { buffer: GPUBuffer; at: number }, packedAt: number, bytes: number) => void,
  ): void {
    const target = this.gradients.get(tile);
    if (!target) throw new RangeError(`Cannot access tile ${tile}: this worker does not hold it`);
    const region = this.regions[tile];
    const base = target.offset ?? 0;
    const bytes = 8 * rect.width;
    let packedAt = 0;
    for (let p = 0; p < this.planes; p++) {
      for (let y = 0; y < rect.height; y++) {
        const pixel = (p * region.height + rect.y0 - region.y0 + y) * region.width +
          rect.x0 - region.x0;
        visit({ buffer: target.buffer, at: base + 8 * pixel }, packedAt, bytes);
        packedAt += bytes;
      }
    }
  }
}

/** The smallest rectangle holding all of `rects`. */
function boundingBox(rects: Rect[]): Rect {
  const y0 = Math.min(...rects.map((r) => r.y0));
  const x0 = Math.min(...rects.map((r) => r.x0));
  const y1 = Math.max(...rects.map((r) => r.y0 + r.height));
  const x1 = Math.max(...rects.map((r) => r.x0 + r.width));
  return { y0, x0, height: y1 - y0, width: x1 - x0 };
}
