import type { GatherIndex, GatherOptions, Rect } from "../tiling/types.ts";

/** Builds a {@link GatherIndex}: the TypeScript builder or the tiling's WebAssembly one. */
export type GatherBuilder = (options: GatherOptions) => GatherIndex;

/** Top-left object pixel of the window of a position: the probe centre (M/2, M/2) sits on it. */
export function windowOrigin(position: number, frame: number): number {
  return Math.floor(position) - frame / 2;
}

/** The bounding box of the windows of the given positions. */
export function windowsBoundingBox(
  positionsY: ArrayLike<number>,
  positionsX: ArrayLike<number>,
  frame: number,
): Rect {
  let y0 = Infinity, x0 = Infinity, y1 = -Infinity, x1 = -Infinity;
  for (let j = 0; j < positionsY.length; j++) {
    const top = windowOrigin(positionsY[j], frame);
    const left = windowOrigin(positionsX[j], frame);
    y0 = Math.min(y0, top);
    x0 = Math.min(x0, left);
    y1 = Math.max(y1, top + frame);
    x1 = Math.max(x1, left + frame);
  }
  return { y0, x0, height: y1 - y0, width: x1 - x0 };
}

/**
 * For each pixel of `region`, the windows covering it in increasing position order with the
 * pixel's offset in the window (dy M + dx): a CSR index whose per-pixel sums do not depend on
 * scheduling. Same contract as the tiling's `gather` (WebAssembly), which can replace it.
 * Counting sort over typed arrays: O(N M^2) time, no per-pixel allocation.
 */
export function buildGatherIndex(
  { positionsY, positionsX, frame, region }: GatherOptions,
): GatherIndex {
  const { y0, x0, height, width } = region;
  const n = positionsY.length;
  const rowStart = new Uint32Array(height * width + 1);
  const tops = new Int32Array(n);
  const lefts = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    tops[j] = windowOrigin(positionsY[j], frame) - y0;
    lefts[j] = windowOrigin(positionsX[j], frame) - x0;
    if (tops[j] < 0 || lefts[j] < 0 || tops[j] + frame > height || lefts[j] + frame > width) {
      throw new RangeError(
        `Cannot index position ${j} (${positionsY[j]}, ${
          positionsX[j]
        }): its ${frame} x ${frame} ` +
          `window leaves the region ${JSON.stringify(region)}`,
      );
    }
    for (let dy = 0; dy < frame; dy++) {
      const row = (tops[j] + dy) * width + lefts[j] + 1;
      for (let dx = 0; dx < frame; dx++) rowStart[row + dx]++;
    }
  }
  for (let p = 0; p < height * width; p++) rowStart[p + 1] += rowStart[p];
  const cursor = rowStart.slice(0, height * width);
  const window = new Uint32Array(rowStart[height * width]);
  const offset = new Uint32Array(window.length);
  for (let j = 0; j < n; j++) {
    for (let dy = 0; dy < frame; dy++) {
      const row = (tops[j] + dy) * width + lefts[j];
      for (let dx = 0; dx < frame; dx++) {
        const k = cursor[row + dx]++;
        window[k] = j;
        offset[k] = dy * frame + dx;
      }
    }
  }
  return { region, rowStart, window, offset };
}

/** Side of the square pixel blocks of a {@link BlockLists} index (one workgroup each). */
export const BLOCK = 16;

/**
 * For each 16 x 16 block of an index's region (row-major, ceil(height / 16) x ceil(width / 16)),
 * the windows that cover at least one of its pixels, ascending: `windows[start[b] ..
 * start[b + 1])`. The device walks a block's list for each of its pixels, so a pixel adds its
 * windows in the same ascending order as the per-pixel index, at a fraction of the memory
 * (a few entries per window instead of one per window pixel).
 */
export interface BlockLists {
  blocksY: number;
  blocksX: number;
  start: Uint32Array;
  windows: Uint32Array;
}

/** The block lists of a per-pixel {@link GatherIndex} (from either builder). */
export function blockLists(index: GatherIndex): BlockLists {
  const { height, width } = index.region;
  const blocksY = Math.ceil(height / BLOCK);
  const blocksX = Math.ceil(width / BLOCK);
  const stamp = new Int32Array(windowCount(index)).fill(-1);
  const lists: number[][] = [];
  for (let b = 0; b < blocksY * blocksX; b++) {
    const y0 = Math.floor(b / blocksX) * BLOCK;
    const x0 = (b % blocksX) * BLOCK;
    const list: number[] = [];
    for (let y = y0; y < Math.min(y0 + BLOCK, height); y++) {
      for (let x = x0; x < Math.min(x0 + BLOCK, width); x++) {
        const p = y * width + x;
        for (let k = index.rowStart[p]; k < index.rowStart[p + 1]; k++) {
          const w = index.window[k];
          if (stamp[w] !== b) {
            stamp[w] = b;
            list.push(w);
          }
        }
      }
    }
    lists.push(list.sort((a, c) => a - c));
  }
  const start = new Uint32Array(lists.length + 1);
  lists.forEach((list, b) => start[b + 1] = start[b] + list.length);
  const windows = new Uint32Array(Math.max(1, start[lists.length]));
  lists.forEach((list, b) => windows.set(list, start[b]));
  return { blocksY, blocksX, start, windows };
}

function windowCount(index: GatherIndex): number {
  let n = 0;
  for (const w of index.window) n = Math.max(n, w + 1);
  return n;
}
