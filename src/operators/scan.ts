import type { Gpu } from "../gpu/mod.ts";
import { frequency } from "../physics/fourier.ts";
import type { Rect } from "../tiling/types.ts";
import {
  blockLists,
  buildGatherIndex,
  type GatherBuilder,
  windowOrigin,
  windowsBoundingBox,
} from "./gather_index.ts";

/** Options of {@link Scan.create}. */
export interface ScanOptions {
  /** Scan positions in object pixels: the probe centre (M/2, M/2) sits on (y, x). */
  positionsY: Float64Array;
  positionsX: Float64Array;
  /** Frame (probe window) size M, even. */
  frame: number;
  /** Object slice size [H, W]; every window must lie inside it. */
  objectShape: [number, number];
  /** Largest number of positions processed together (bounds the work buffers). */
  batchSize: number;
  /** Builder of the overlap-add gather index (default {@link buildGatherIndex}). */
  gather?: GatherBuilder;
  /** A position index no batch straddles: batches end there and start again (default none). */
  breakAt?: number;
}

/** Positions first .. first + count - 1 with the overlap index of their windows on the device. */
export interface Batch {
  first: number;
  count: number;
  /** Region of the object the batch's windows cover, and its {@link BlockLists} index. */
  region: Rect;
  blockStart: GPUBuffer;
  blockWindows: GPUBuffer;
}

/**
 * A scan on the device: window origins (integer part of each position, floor) and the Fourier
 * ramps of the sub-pixel shifts (the remainder in [0, 1)), cut into batches of at most `batchSize` positions (none across `breakAt`), each with
 * the gather index its overlap-add uses. Shared by the operators of one problem; position
 * correction moves it in place ({@link move}).
 */
export class Scan {
  private constructor(
    private readonly gpu: Gpu,
    /** The positions, object pixels (as given, or as last moved). */
    readonly positionsY: Float64Array,
    readonly positionsX: Float64Array,
    readonly frame: number,
    readonly objectShape: [number, number],
    readonly count: number,
    /** (top, left) int32 pairs per position. */
    readonly origins: GPUBuffer,
    /**
     * The separable sub-pixel shift ramps, 2 M complex per position: exp(-2 pi i ky fy) for the
     * M rows, then exp(-2 pi i kx fx) for the M columns (k in numpy fftfreq order).
     */
    readonly ramps: GPUBuffer,
    readonly batches: Batch[],
    readonly maxBatch: number,
    private readonly gather: GatherBuilder,
  ) {}

  /**
   * Uploads the scan and builds its batches' gather indices.
   *
   * @throws {RangeError} when a window leaves the object or the frame size is odd.
   */
  static create(gpu: Gpu, o: ScanOptions): Scan {
    const { frame, positionsY, positionsX } = o;
    const n = positionsY.length;
    if (frame % 2 !== 0 || frame < 16) {
      throw new RangeError(`Cannot scan with frame ${frame}: expected an even size of 16 or more`);
    }
    if (positionsX.length !== n || n === 0) {
      throw new RangeError(`Cannot scan: got ${n} y and ${positionsX.length} x positions`);
    }
    const { origins, ramps } = layout(positionsY, positionsX, frame, o.objectShape);
    const gather = o.gather ?? buildGatherIndex;
    const batchSize = Math.max(1, Math.min(o.batchSize, n));
    const batches: Batch[] = [];
    const ends = o.breakAt !== undefined && o.breakAt > 0 && o.breakAt < n ? [o.breakAt, n] : [n];
    let first = 0;
    for (const end of ends) {
      while (first < end) {
        const size = Math.min(batchSize, end - first);
        batches.push(batchOf(gpu, gather, positionsY, positionsX, frame, first, size));
        first += size;
      }
    }
    return new Scan(
      gpu,
      positionsY.slice(),
      positionsX.slice(),
      frame,
      o.objectShape,
      n,
      gpu.upload(origins, "scan origins"),
      gpu.upload(ramps, "scan shift ramps"),
      batches,
      batchSize,
      gather,
    );
  }

  /**
   * Moves every position (position correction): new origins, ramps and batch indices, in the
   * same buffers where their sizes allow, recorded after the work so far.
   *
   * @throws {RangeError} when a window would leave the object; the scan is then unchanged.
   */
  move(positionsY: Float64Array, positionsX: Float64Array): void {
    if (positionsY.length !== this.count || positionsX.length !== this.count) {
      throw new RangeError(
        `Cannot move ${this.count} positions to ${positionsY.length} y and ` +
          `${positionsX.length} x positions`,
      );
    }
    const { origins, ramps } = layout(positionsY, positionsX, this.frame, this.objectShape);
    this.positionsY.set(positionsY);
    this.positionsX.set(positionsX);
    this.gpu.write(this.origins, origins);
    this.gpu.write(this.ramps, ramps);
    for (const [i, old] of this.batches.entries()) {
      this.gpu.release(old.blockStart, old.blockWindows);
      const { first, count } = old;
      this.batches[i] = batchOf(
        this.gpu,
        this.gather,
        this.positionsY,
        this.positionsX,
        this.frame,
        first,
        count,
      );
    }
  }

  /** Frees the scan's buffers. */
  destroy(): void {
    this.gpu.release(this.origins, this.ramps);
    for (const b of this.batches) this.gpu.release(b.blockStart, b.blockWindows);
  }
}

/**
 * Window origins and shift ramps of every position.
 *
 * @throws {RangeError} naming the first position whose window leaves the object.
 */
function layout(
  positionsY: Float64Array,
  positionsX: Float64Array,
  frame: number,
  [h, w]: [number, number],
): { origins: Int32Array; ramps: Float32Array } {
  const n = positionsY.length;
  const origins = new Int32Array(2 * n);
  const ramps = new Float32Array(4 * frame * n);
  for (let j = 0; j < n; j++) {
    origins[2 * j] = windowOrigin(positionsY[j], frame);
    origins[2 * j + 1] = windowOrigin(positionsX[j], frame);
    writeRamp(ramps, 4 * frame * j, positionsY[j] - Math.floor(positionsY[j]), frame);
    writeRamp(ramps, 4 * frame * j + 2 * frame, positionsX[j] - Math.floor(positionsX[j]), frame);
    if (
      origins[2 * j] < 0 || origins[2 * j + 1] < 0 || origins[2 * j] + frame > h ||
      origins[2 * j + 1] + frame > w
    ) {
      throw new RangeError(
        `Cannot place position ${j} (${positionsY[j]}, ${positionsX[j]}): its window leaves ` +
          `the ${h} x ${w} object`,
      );
    }
  }
  return { origins, ramps };
}

/** The batch of up to `size` positions from `first`, with its gather index on the device. */
function batchOf(
  gpu: Gpu,
  gather: GatherBuilder,
  positionsY: Float64Array,
  positionsX: Float64Array,
  frame: number,
  first: number,
  size: number,
): Batch {
  const count = Math.min(size, positionsY.length - first);
  const ys = positionsY.subarray(first, first + count);
  const xs = positionsX.subarray(first, first + count);
  const region = windowsBoundingBox(ys, xs, frame);
  const lists = blockLists(gather({ positionsY: ys, positionsX: xs, frame, region }));
  return {
    first,
    count,
    region,
    blockStart: gpu.upload(lists.start, `scan batch ${first} block starts`),
    blockWindows: gpu.upload(lists.windows, `scan batch ${first} block windows`),
  };
}

/** exp(-2 pi i k f) for the M frequencies k of numpy's fftfreq order, interleaved at `at`. */
function writeRamp(out: Float32Array, at: number, f: number, frame: number): void {
  for (let i = 0; i < frame; i++) {
    const phase = -2 * Math.PI * f * frequency(i, frame);
    out[at + 2 * i] = Math.cos(phase);
    out[at + 2 * i + 1] = Math.sin(phase);
  }
}
