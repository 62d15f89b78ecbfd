import type {
  Cuts,
  GatherIndex,
  GatherOptions,
  Overlap,
  Rect,
  ScanGrid,
  TilingKernels,
} from "./types.ts";

/** First row (or column) of part `i` when `n` pixels are cut evenly into `parts` parts. */
export function tileBound(i: number, n: number, parts: number): number {
  return Math.floor((i * n) / parts);
}

/** Top-left pixel of the M x M window of a position coordinate. */
export function windowStart(position: number, frame: number): number {
  return Math.floor(position) - Math.floor(frame / 2);
}

/** The core of each tile (row-major) of a grid of `tiles` cut at `cuts`. */
export function tileCores(cuts: Cuts, tiles: [number, number]): Rect[] {
  const [rows, cols] = tiles;
  return Array.from({ length: rows * cols }, (_, t) => {
    const r = Math.floor(t / cols);
    const c = t % cols;
    const x = r * (cols + 1) + c;
    return {
      y0: cuts.rows[r],
      x0: cuts.cols[x],
      height: cuts.rows[r + 1] - cuts.rows[r],
      width: cuts.cols[x + 1] - cuts.cols[x],
    };
  });
}

/**
 * Boundaries cutting [0, n) into `parts` parts of about equal count (see
 * {@link TilingKernels.cuts}): `values` are the positions' centre pixels along the axis.
 */
function balancedBounds(values: number[], n: number, parts: number): number[] {
  const count = values.length;
  if (count === 0) return Array.from({ length: parts + 1 }, (_, i) => tileBound(i, n, parts));
  const sorted = [...values].sort((a, b) => a - b);
  const bounds = [0];
  const lowest = [0];
  for (let i = 1; i < parts; i++) {
    const v = sorted[tileBound(i, count, parts)];
    const first = sorted.indexOf(v);
    const end = sorted.lastIndexOf(v) + 1;
    const miss = (k: number) => Math.abs(k * parts - i * count);
    // How many positions stay above boundary i: all rows up to v's, or those before it.
    const above = miss(end) <= miss(first) ? end : first;
    bounds.push(above < count ? sorted[above] : n);
    lowest.push(Math.min(above > 0 ? sorted[above - 1] + 1 : 1, bounds[i]));
  }
  bounds.push(n);
  // Moving up from the last boundary on keeps them strictly increasing where free rows allow.
  for (let i = parts - 1; i >= 1; i--) {
    bounds[i] = Math.max(lowest[i], Math.min(bounds[i], bounds[i + 1] - 1));
  }
  return bounds;
}

/** Index of the part of `v` among boundaries bounds[from .. from + parts]. */
function partOf(v: number, bounds: ArrayLike<number>, from: number, parts: number): number {
  let p = 0;
  while (p < parts - 1 && bounds[from + p + 1] <= v) p++;
  return p;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** Centre pixel (clamped into the object) of every position: [rows, columns]. */
function centres(scan: ScanGrid): [number[], number[]] {
  const [height, width] = scan.objectShape;
  return [
    Array.from(scan.positionsY, (y) => clamp(Math.floor(y), 0, height - 1)),
    Array.from(scan.positionsX, (x) => clamp(Math.floor(x), 0, width - 1)),
  ];
}

/** The plain TypeScript tiling: the reference the AssemblyScript module is tested against. */
export const referenceKernels: TilingKernels = {
  cuts(scan: ScanGrid): Cuts {
    const [height, width] = scan.objectShape;
    const [rows, cols] = scan.tiles;
    const [cy, cx] = centres(scan);
    const rowBounds = balancedBounds(cy, height, rows);
    const bands: number[][] = Array.from({ length: rows }, () => []);
    cy.forEach((y, j) => bands[partOf(y, rowBounds, 0, rows)].push(cx[j]));
    return {
      rows: Int32Array.from(rowBounds),
      cols: Int32Array.from(bands.flatMap((band) => balancedBounds(band, width, cols))),
    };
  },

  owners(scan: ScanGrid, cuts: Cuts): Int32Array {
    const [rows, cols] = scan.tiles;
    const [cy, cx] = centres(scan);
    return Int32Array.from(cy, (y, j) => {
      const r = partOf(y, cuts.rows, 0, rows);
      return r * cols + partOf(cx[j], cuts.cols, r * (cols + 1), cols);
    });
  },

  regions(scan: ScanGrid, cores: Rect[], owner: Int32Array): Rect[] {
    const boxes = cores.map((core) => [
      core.y0,
      core.x0,
      core.y0 + core.height,
      core.x0 + core.width,
    ]);
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
