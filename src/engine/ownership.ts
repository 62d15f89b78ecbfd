import type { Dataset } from "../data/mod.ts";
import { POSITION_SHIFT_LIMIT } from "../physics/positions.ts";
import { planTiling, type Rect, type Tiling, wasmKernels } from "../tiling/mod.ts";

/**
 * The tiling a tiled run of `dataset` computes with: `tiles` over its object and scan, shared
 * among `workers`, empty tiles dropped (see {@link withoutEmptyTiles}). With `reach` > 0 (position
 * correction) every tile's region grows by that many pixels on each side, within the object, so
 * that the windows of its positions stay inside it however far within `reach` they move.
 *
 * @throws {RangeError} when the grid or worker count does not suit the data set.
 */
export function planDatasetTiling(
  dataset: Pick<Dataset, "objectShape" | "frame" | "positionsY" | "positionsX">,
  tiles: [number, number],
  workers: number,
  reach = 0,
): ComputeTiling {
  const { objectShape, frame, positionsY, positionsX } = dataset;
  const plan = planTiling({ objectShape, frame, tiles, workers, positionsY, positionsX });
  return withoutEmptyTiles(reach > 0 ? widened(plan, reach) : plan);
}

/** The plan with every region grown by `reach` pixels on each side, within the object. */
function widened(plan: Tiling, reach: number): Tiling {
  const [h, w] = plan.objectShape;
  const regions = plan.regions.map((r) => {
    const y0 = Math.max(0, r.y0 - reach), x0 = Math.max(0, r.x0 - reach);
    const y1 = Math.min(h, r.y0 + r.height + reach), x1 = Math.min(w, r.x0 + r.width + reach);
    return { y0, x0, height: y1 - y0, width: x1 - x0 };
  });
  return { ...plan, regions, overlaps: wasmKernels.overlaps(regions) };
}

/** A tiling without its empty tiles, and the pixels each kept tile owns besides its core. */
export interface ComputeTiling {
  tiling: Tiling;
  /** For each kept tile, disjoint rectangles (object coordinates) of empty tiles' cores. */
  alsoOwned: Rect[][];
}

/**
 * Drops the tiles that hold no scan position: they compute nothing, and their cores' pixels are
 * either in the extended region of a kept tile (which computes them, and the first such tile in
 * tile order owns them for dot products and stitching) or touched by no window at all (their
 * gradient is zero, so they keep their initial value). Workers are then balanced over the kept
 * tiles.
 *
 * @throws {RangeError} when fewer tiles hold positions than there are workers.
 */
export function withoutEmptyTiles(plan: Tiling): ComputeTiling {
  const kept = plan.positionsOf.flatMap((p, t) => p.length > 0 ? [t] : []);
  if (kept.length === plan.positionsOf.length) {
    return { tiling: plan, alsoOwned: kept.map(() => []) };
  }
  if (kept.length < plan.workers) {
    throw new RangeError(
      `Cannot share ${kept.length} tiles holding scan positions (of ${plan.tiles.join(" x ")}) ` +
        `among ${plan.workers} workers: choose at most ${kept.length} workers or fewer tiles`,
    );
  }
  const index = new Map(kept.map((t, i) => [t, i]));
  const regions = kept.map((t) => plan.regions[t]);
  const alsoOwned: Rect[][] = kept.map(() => []);
  plan.positionsOf.forEach((p, t) => {
    if (p.length > 0) return;
    let left: Rect[] = [plan.cores[t]];
    regions.forEach((region, i) => {
      const next: Rect[] = [];
      for (const piece of left) {
        const shared = intersect(piece, region);
        if (!shared) {
          next.push(piece);
          continue;
        }
        alsoOwned[i].push(shared);
        next.push(...minus(piece, shared));
      }
      left = next;
    });
  });
  const owner = Int32Array.from(plan.owner, (t) => index.get(t)!);
  const positionsOf = kept.map((t) => plan.positionsOf[t]);
  return {
    tiling: {
      ...plan,
      cores: kept.map((t) => plan.cores[t]),
      regions,
      owner,
      positionsOf,
      overlaps: wasmKernels.overlaps(regions),
      workerOf: wasmKernels.assign(Int32Array.from(positionsOf, (p) => p.length), plan.workers),
    },
    alsoOwned,
  };
}

function intersect(a: Rect, b: Rect): Rect | null {
  const y0 = Math.max(a.y0, b.y0);
  const x0 = Math.max(a.x0, b.x0);
  const y1 = Math.min(a.y0 + a.height, b.y0 + b.height);
  const x1 = Math.min(a.x0 + a.width, b.x0 + b.width);
  return y1 > y0 && x1 > x0 ? { y0, x0, height: y1 - y0, width: x1 - x0 } : null;
}

/** `a` without `b` (b inside a), as up to four disjoint rectangles. */
function minus(a: Rect, b: Rect): Rect[] {
  const out: Rect[] = [];
  const [ay1, ax1, by1, bx1] = [a.y0 + a.height, a.x0 + a.width, b.y0 + b.height, b.x0 + b.width];
  if (b.y0 > a.y0) out.push({ y0: a.y0, x0: a.x0, height: b.y0 - a.y0, width: a.width });
  if (by1 < ay1) out.push({ y0: by1, x0: a.x0, height: ay1 - by1, width: a.width });
  if (b.x0 > a.x0) out.push({ y0: b.y0, x0: a.x0, height: b.height, width: b.x0 - a.x0 });
  if (bx1 < ax1) out.push({ y0: b.y0, x0: bx1, height: b.height, width: ax1 - bx1 });
  return out;
}

/** How far a tile's positions may move: its regions' extra halo (0 without correction). */
export function positionReach(correctPositionsFrom: number | null | undefined): number {
  return correctPositionsFrom === null || correctPositionsFrom === undefined
    ? 0
    : POSITION_SHIFT_LIMIT;
}
