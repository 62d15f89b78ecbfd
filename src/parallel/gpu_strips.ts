import type { Gpu } from "../gpu/mod.ts";
import type { Rect } from "../tiling/mod.ts";
import { profile } from "./profile.ts";
import { type GradientStore, stripLength } from "./strips.ts";

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
    const gpu = this.gpu;
    // Rows are copied straight into the mappable buffer: one strip-sized buffer, not two.
    const staging = gpu.memory.create(
      4 * stripLength(rect, this.planes),
      GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      "exchange strip readback",
    );
    try {
      this.#rows(
        tile,
        rect,
        (device, packedAt, bytes) => gpu.copy(device.buffer, device.at, staging, packedAt, bytes),
      );
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
