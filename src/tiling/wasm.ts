/**
 * The tiling kernels of `asm/tiling.ts`, compiled to WebAssembly (committed as
 * `asm/tiling.wasm`, rebuilt by `deno task asm`), behind the {@link TilingKernels} interface.
 * The module is imported statically, so `deno compile` embeds it.
 */
import * as asm from "../../asm/tiling.wasm";
import type {
  Cuts,
  GatherIndex,
  GatherOptions,
  Overlap,
  Rect,
  ScanGrid,
  TilingKernels,
} from "./types.ts";

const memory = asm.memory as WebAssembly.Memory;

/** Copies `data` into fresh module memory and returns its address. */
function put(data: Float64Array | Int32Array): number {
  const at = asm.alloc(data.byteLength) as number;
  new Uint8Array(memory.buffer, at, data.byteLength).set(
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  );
  return at;
}

function reserve(bytes: number): number {
  return asm.alloc(bytes) as number;
}

function takeI32(at: number, length: number): Int32Array {
  return new Int32Array(memory.buffer, at, length).slice();
}

function takeU32(at: number, length: number): Uint32Array {
  return new Uint32Array(memory.buffer, at, length).slice();
}

/** Runs `body` with a fresh bump allocator, releasing everything it allocated afterwards. */
function scoped<T>(body: () => T): T {
  asm.reset();
  try {
    return body();
  } finally {
    asm.reset();
  }
}

function rects(at: number, count: number): Rect[] {
  const v = takeI32(at, count * 4);
  return Array.from({ length: count }, (_, t) => ({
    y0: v[4 * t],
    x0: v[4 * t + 1],
    height: v[4 * t + 2],
    width: v[4 * t + 3],
  }));
}

function flatten(list: Rect[]): Int32Array {
  return Int32Array.from(list.flatMap((r) => [r.y0, r.x0, r.height, r.width]));
}

/** The WebAssembly tiling. */
export const wasmKernels: TilingKernels = {
  cuts(scan: ScanGrid): Cuts {
    return scoped(() => {
      const n = scan.positionsY.length;
      const [rows, cols] = scan.tiles;
      const py = put(scan.positionsY);
      const px = put(scan.positionsX);
      const outRows = reserve(4 * (rows + 1));
      const outCols = reserve(4 * rows * (cols + 1));
      asm.cuts(n, py, px, ...scan.objectShape, rows, cols, outRows, outCols);
      return { rows: takeI32(outRows, rows + 1), cols: takeI32(outCols, rows * (cols + 1)) };
    });
  },

  owners(scan: ScanGrid, cuts: Cuts): Int32Array {
    return scoped(() => {
      const n = scan.positionsY.length;
      const py = put(scan.positionsY);
      const px = put(scan.positionsX);
      const rowCuts = put(cuts.rows);
      const colCuts = put(cuts.cols);
      const out = reserve(4 * n);
      asm.owners(n, py, px, ...scan.objectShape, ...scan.tiles, rowCuts, colCuts, out);
      return takeI32(out, n);
    });
  },

  regions(scan: ScanGrid, cores: Rect[], owner: Int32Array): Rect[] {
    return scoped(() => {
      const n = scan.positionsY.length;
      const py = put(scan.positionsY);
      const px = put(scan.positionsX);
      const own = put(owner);
      const at = put(flatten(cores));
      const out = reserve(16 * cores.length);
      asm.regions(n, py, px, own, scan.frame, cores.length, at, out);
      return rects(out, cores.length);
    });
  },

  overlaps(regions: Rect[]): Overlap[] {
    return scoped(() => {
      const at = put(flatten(regions));
      const count = asm.overlaps(regions.length, at, 0) as number;
      const out = reserve(24 * count);
      asm.overlaps(regions.length, at, out);
      const v = takeI32(out, 6 * count);
      return Array.from({ length: count }, (_, k) => ({
        from: v[6 * k],
        to: v[6 * k + 1],
        rect: { y0: v[6 * k + 2], x0: v[6 * k + 3], height: v[6 * k + 4], width: v[6 * k + 5] },
      }));
    });
  },

  assign(counts: Int32Array, workers: number): Int32Array {
    return scoped(() => {
      const at = put(counts);
      const out = reserve(4 * counts.length);
      asm.assign(counts.length, at, workers, out);
      return takeI32(out, counts.length);
    });
  },

  gather({ positionsY, positionsX, frame, region }: GatherOptions): GatherIndex {
    return scoped(() => {
      const n = positionsY.length;
      const pixels = region.height * region.width;
      const py = put(positionsY);
      const px = put(positionsX);
      const rows = reserve(4 * (pixels + 1));
      const { y0, x0, height, width } = region;
      const total = asm.gatherRows(n, py, px, frame, y0, x0, height, width, rows) as number;
      const cursor = reserve(4 * pixels);
      const window = reserve(4 * total);
      const offset = reserve(4 * total);
      asm.gatherFill(n, py, px, frame, y0, x0, width, pixels, rows, cursor, window, offset);
      return {
        region,
        rowStart: takeU32(rows, pixels + 1),
        window: takeU32(window, total),
        offset: takeU32(offset, total),
      };
    });
  },
};
