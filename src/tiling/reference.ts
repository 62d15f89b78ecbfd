import type {
  GatherIndex,
  GatherOptions,
  Overlap,
  Rect,
  ScanGrid,
  TilingKernels,
} from "./types.ts";

/** First row (or column) of part `i` when `n` pixels are cut into `parts` parts. */
export function tileBound(i: number, n: number, parts: number): number {
  return Math.floor((i * n) / parts);
}

/** Top-left pixel of the M x M window of a position coordinate. */
export function windowStart(position: number, frame: number): number {
  return Math.floor(position) - Math.floor(frame / 2);
}

/** The core of tile `t` (row-major) of a [R, C] grid over [H, W]. */
export function tileCore(t: number, objectShape: [number, number], tiles: [number, number]): Rect {
  const [height, width] = objectShape;
  const [rows, cols] = tiles;
  const r = Math.floor(t / cols);
  const c = t % cols;
  const y0 = tileBound(r, height, rows);
  const x0 = tileBound(c, width, cols);
  return {
    y0,
    x0,
    height: tileBound(r + 1, height, rows) - y0,
    width: tileBound(c + 1, width, cols) - x0,
  };
}

function partOf(v: number, n: number, parts: number): number {
  let p = 0;
  while (p < parts - 1 && tileBound(p + 1, n, parts) <= v) p++;
  return p;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** The plain TypeScript tiling: the reference the AssemblyScript module is tested against. */
export const referenceKernels: TilingKernels = {
  owners(scan: ScanGrid): Int32Array {
    const [height, width] = scan.objectShape;
    const [rows, cols] = scan.tiles;
    const out = new Int32Array(scan.positionsY.length);
    for (let j = 0; j < out.length; j++) {
      const cy = clamp(Math.floor(scan.positionsY[j]), 0, height - 1);
      const cx = clamp(Math.floor(scan.positionsX[j]), 0, width - 1);
      out[j] = partOf(cy, height, rows) * cols + partOf(cx, width, cols);
    }
    return out;
  },

  regions(scan: ScanGrid, owner: Int32Array): Rect[] {
    const [rows, cols] = scan.tiles;
    const boxes = Array.from({ length: rows * cols }, (_, t) => {
      const core = tileCore(t, scan.objectShape, scan.tiles);
      return [core.y0, core.x0, core.y0 + core.height, core.x0 + core.width];
    });
    for (let j = 0; j < owner.length; j++) {
      const box = boxes[owner[j]];
      const y = windowStart(scan.positionsY[j], scan.frame);
      const x = windowStart(scan.positionsX[j], scan.frame);
      box[0] = Math.min(box[0], y);
      box[1] = Math.min(box[1], x);
      box[2] = Math.max(box[2], y + scan.frame);
      box[3] = Math.max(box[3], x + scan.frame);
    }
    return boxes.map(([y0, x0, y1, x1]) => ({ y0, x0, height: y1 - y0, width: x1 - x0 }));
  },

  overlaps(regions: Rect[]): Overlap[] {
    const out: Overlap[] = [];
    regions.forEach((a, from) => {
      regions.forEach((b, to) => {
        if (from === to) return;
        const y0 = Math.max(a.y0, b.y0);
        const x0 = Math.max(a.x0, b.x0);
        const y1 = Math.min(a.y0 + a.height, b.y0 + b.height);
        const x1 = Math.min(a.x0 + a.width, b.x0 + b.width);
        if (y1 > y0 && x1 > x0) {
          out.push({ from, to, rect: { y0, x0, height: y1 - y0, width: x1 - x0 } });
        }
      });
    });
    return out;
  },

  assign(counts: Int32Array, workers: number): Int32Array {
    const tiles = counts.length;
    const prefix = [0];
    for (const c of counts) prefix.push(prefix[prefix.length - 1] + c);
    // best[g][i]: smallest largest load splitting the first i tiles into g groups; cut[g][i]:
    // where the last of those groups starts. Earliest split wins ties.
    const best = [[], prefix.map((p) => p)] as number[][];
    const cut = [[], prefix.map(() => 0)] as number[][];
    for (let g = 2; g <= workers; g++) {
      best[g] = [];
      cut[g] = [];
      for (let i = g; i <= tiles; i++) {
        let chosen = -1;
        let at = g - 1;
        for (let s = g - 1; s < i; s++) {
          const worst = Math.max(best[g - 1][s], prefix[i] - prefix[s]);
          if (chosen < 0 || worst < chosen) {
            chosen = worst;
            at = s;
          }
        }
        best[g][i] = chosen;
        cut[g][i] = at;
      }
    }
    const out = new Int32Array(tiles);
    let end = tiles;
    for (let g = workers; g >= 1; g--) {
      const start = cut[g][end];
      out.fill(g - 1, start, end);
      end = start;
    }
    return out;
  },

  gather({ positionsY, positionsX, frame, region }: GatherOptions): GatherIndex {
    const { y0, x0, height, width } = region;
    const lists: number[][] = Array.from({ length: height * width }, () => []);
    for (let j = 0; j < positionsY.length; j++) {
      const wy = windowStart(positionsY[j], frame) - y0;
      const wx = windowStart(positionsX[j], frame) - x0;
      for (let dy = 0; dy < frame; dy++) {
        for (let dx = 0; dx < frame; dx++) {
          lists[(wy + dy) * width + wx + dx].push(j, dy * frame + dx);
        }
      }
    }
    const rowStart = new Uint32Array(height * width + 1);
    lists.forEach((list, p) => rowStart[p + 1] = rowStart[p] + list.length / 2);
    const total = rowStart[height * width];
    const window = new Uint32Array(total);
    const offset = new Uint32Array(total);
    lists.forEach((list, p) => {
      for (let k = 0; k < list.length / 2; k++) {
        window[rowStart[p] + k] = list[2 * k];
        offset[rowStart[p] + k] = list[2 * k + 1];
      }
    });
    return { region, rowStart, window, offset };
  },
};
