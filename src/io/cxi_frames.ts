/**
 * Frames of a CXI file read on demand as HDF5 hyperslabs, and the streaming scan that validates
 * every frame without holding more than one batch.
 */
import type { FrameSource } from "../data/dataset.ts";
import { InputError } from "../data/errors.ts";
import { type Dataset, type File, readHyperslab, shapeOf, typedView } from "./_h5.ts";

/** The most bytes one hyperslab read asks for; larger requests are split. */
const MAX_READ_BYTES = 16 << 20;

/** Consecutive runs of sorted distinct indices as half-open ranges `[start, end)`. */
export function consecutiveRanges(indices: ArrayLike<number>): [number, number][] {
  const sorted = [...new Set(Array.from(indices))].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const j of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === j) last[1] = j + 1;
    else ranges.push([j, j + 1]);
  }
  return ranges;
}

/**
 * Converts raw frame bytes of the dataset's type into float32 at `out[offset..]`, clipping
 * negative counts to zero when `clip` is set.
 */
function convert(
  dataset: Dataset,
  raw: Uint8Array,
  out: Float32Array,
  offset: number,
  clip: boolean,
): number {
  const { type, size, signed } = dataset.metadata;
  const source = typedView(raw, type, size, signed);
  let bad = -1;
  for (let i = 0; i < source.length; i++) {
    const v = Number(source[i]);
    if (bad < 0 && !Number.isFinite(v)) bad = i;
    out[offset + i] = clip && v < 0 ? 0 : v;
  }
  return bad;
}

/** A {@link FrameSource} over the N x M x M frames dataset of an open CXI file. */
export class CxiFrames implements FrameSource {
  readonly count: number;
  readonly frame: number;

  constructor(
    private readonly file: File,
    private readonly dataset: Dataset,
    private readonly closeFile = true,
  ) {
    const shape = shapeOf(dataset);
    this.count = shape[0];
    this.frame = shape[1];
  }

  /**
   * Frames `[start, end)` as float32, raw (negative counts kept) or clipped, into `out` when
   * given (it must hold them) or a new array.
   */
  async readRange(
    start: number,
    end: number,
    clip = true,
    out?: Float32Array,
  ): Promise<Float32Array> {
    const size = this.frame * this.frame;
    const target = out ?? new Float32Array((end - start) * size);
    const perRead = Math.max(1, Math.floor(MAX_READ_BYTES / (size * this.dataset.metadata.size)));
    for (let j = start; j < end; j += perRead) {
      const n = Math.min(perRead, end - j);
      const region = { start: [j, 0, 0], count: [n, this.frame, this.frame] };
      await readHyperslab(this.dataset, region, (raw) => {
        const bad = convert(this.dataset, raw, target, (j - start) * size, clip);
        if (bad >= 0) this.#notFinite(j + Math.floor(bad / size), bad % size, raw, bad);
      });
    }
    return target;
  }

  /** @throws {InputError} naming the file, the frames' path, the frame and the pixel. */
  #notFinite(frame: number, pixel: number, raw: Uint8Array, at: number): never {
    const { type, size, signed } = this.dataset.metadata;
    const value = Number(typedView(raw, type, size, signed)[at]);
    const y = Math.floor(pixel / this.frame), x = pixel % this.frame;
    throw new InputError(
      `Cannot use ${this.file.filename}: ${this.dataset.path} frame ${frame} has a ${value} ` +
        `count at pixel (y ${y}, x ${x}); expected finite intensities (counts) in every frame.`,
      this.file.filename,
      this.dataset.path,
    );
  }

  async read(indices: ArrayLike<number>): Promise<Float32Array> {
    const size = this.frame * this.frame;
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      if (!Number.isInteger(j) || j < 0 || j >= this.count) {
        throw new RangeError(`Cannot read frame ${j}: the data set has ${this.count} frames`);
      }
    }
    const out = new Float32Array(indices.length * size);
    const slots = new Map<number, number[]>();
    for (let i = 0; i < indices.length; i++) {
      const list = slots.get(indices[i]) ?? [];
      list.push(i);
      slots.set(indices[i], list);
    }
    for (const [start, end] of consecutiveRanges(indices)) {
      const block = await this.readRange(start, end);
      for (let j = start; j < end; j++) {
        const frame = block.subarray((j - start) * size, (j - start + 1) * size);
        for (const slot of slots.get(j)!) out.set(frame, slot * size);
      }
    }
    return out;
  }

  close(): void {
    if (this.closeFile) this.file.close();
  }
}

/** Intensity statistics of every frame, gathered while streaming. */
export interface FrameStatistics {
  frames: number;
  /** Smallest and largest count before clipping. */
  min: number;
  max: number;
  /** Mean counts per frame and per pixel (negative counts clipped). */
  meanPerFrame: number;
  meanPerPixel: number;
  /** Total counts of the weakest and strongest frame, and which frames they are. */
  weakestFrame: { index: number; total: number };
  strongestFrame: { index: number; total: number };
  /** Pixels with negative counts (clipped to zero on reading). */
  negatives: number;
}

/**
 * Reads every frame batch by batch (batches follow the HDF5 chunking so each chunk is
 * decompressed once) and returns statistics. Throws {@link InputError} at the first NaN or
 * infinite count, naming the frame and pixel (as every read of {@link CxiFrames} does).
 */
export async function scanFrames(
  frames: CxiFrames,
  context: { chunkRows?: number },
): Promise<FrameStatistics> {
  const size = frames.frame * frames.frame;
  const chunkRows = Math.max(1, context.chunkRows ?? 1);
  const target = Math.max(1, Math.floor((8 << 20) / (size * 4)));
  const batch = Math.max(chunkRows, Math.floor(target / chunkRows) * chunkRows);
  // One buffer for every batch: the scan's memory stays one batch however large the file.
  const buffer = new Float32Array(batch * size);
  let min = Infinity, max = -Infinity, negatives = 0, sum = 0;
  let weakest = { index: -1, total: Infinity }, strongest = { index: -1, total: -Infinity };
  for (let start = 0; start < frames.count; start += batch) {
    const end = Math.min(frames.count, start + batch);
    const block = await frames.readRange(start, end, false, buffer);
    for (let j = start; j < end; j++) {
      let total = 0;
      const base = (j - start) * size;
      for (let q = 0; q < size; q++) {
        const v = block[base + q];
        if (v < min) min = v;
        if (v > max) max = v;
        if (v < 0) negatives++;
        else total += v;
      }
      sum += total;
      if (total < weakest.total) weakest = { index: j, total };
      if (total > strongest.total) strongest = { index: j, total };
    }
  }
  const n = Math.max(frames.count, 1);
  return {
    frames: frames.count,
    min,
    max,
    meanPerFrame: sum / n,
    meanPerPixel: sum / (n * size),
    weakestFrame: weakest,
    strongestFrame: strongest,
    negatives,
  };
}
