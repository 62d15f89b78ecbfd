/**
 * A pool job for the data-plane tests: each worker builds the tiling, fills its tiles'
 * "gradients" with synthetic values, exchanges them round after round and returns what it got.
 */
import type { WorkerContext } from "../../src/parallel/mod.ts";
import { HaloExchange, HostGradients } from "../../src/parallel/mod.ts";
import { planTiling, type Rect, tilesOf, windowStart } from "../../src/tiling/mod.ts";
import type { Case } from "../tiling/scans.ts";

export interface SyntheticPayload {
  scan: Case;
  planes: number;
  mode: "sync" | "async";
  rounds: number;
  /**
   * `patches`: each gradient is the overlap-add of per-position patches (value
   * `patchValue(j, plane, d, round)`, integers / 8 so that every order of summation is exact);
   * `noisy`: the same patches times 0.1, so that the order of summation shows; `rounds`: every
   * pixel of a tile's region holds 2^round.
   */
  fill: "patches" | "noisy" | "rounds";
  /** Values all-reduced each round: `reduceValue(rank, round, i)` for i < reduceLength. */
  reduceLength: number;
  fail?: { rank: number; round: number; how: "throw" | "close" };
}

export interface SyntheticResult {
  tiles: number[];
  /** Exchanged gradient of each tile (region-sized), per round. */
  gradients: Float32Array[][];
  reductions: Float64Array[];
}

/** A pseudo-random value (a multiple of 1/8) of float `d` of plane `plane` of position `j`'s patch. */
export function patchValue(j: number, plane: number, d: number, round: number): number {
  const h = Math.imul(j * 7919 + plane * 104729 + d * 31 + round * 1299709, 2654435761) >>> 0;
  return (h % 2001) / 8 - 125;
}

export function reduceValue(rank: number, round: number, i: number): number {
  return Math.sin(rank * 12.9898 + round * 78.233 + i * 37.719) * 1e3;
}

/** Overlap-add of the patches of `positions` over `region` (planes x h x w complex). */
export function overlapAdd(
  scan: Case,
  positions: ArrayLike<number>,
  region: Rect,
  planes: number,
  round: number,
  scale = 1,
): Float32Array {
  const m = scan.frame;
  const out = new Float32Array(planes * region.height * region.width * 2);
  for (let k = 0; k < positions.length; k++) {
    const j = positions[k];
    const wy = windowStart(scan.positionsY[j], m) - region.y0;
    const wx = windowStart(scan.positionsX[j], m) - region.x0;
    for (let p = 0; p < planes; p++) {
      for (let d = 0; d < 2 * m * m; d++) {
        const y = wy + Math.floor(d / (2 * m));
        const x = wx + Math.floor((d % (2 * m)) / 2);
        out[2 * ((p * region.height + y) * region.width + x) + (d % 2)] += scale *
          patchValue(j, p, d, round);
      }
    }
  }
  return out;
}

export async function run(context: WorkerContext<SyntheticPayload>): Promise<SyntheticResult> {
  const { scan, planes, mode, rounds, fill, reduceLength, fail } = context.payload;
  const tiling = planTiling(scan);
  const tiles = tilesOf(tiling, context.rank);
  const exchange = new HaloExchange({ fabric: context.fabric, tiling, planes, mode });
  const gradients: Float32Array[][] = tiles.map(() => []);
  const reductions: Float64Array[] = [];
  for (let round = 0; round < rounds; round++) {
    if (fail && fail.rank === context.rank && fail.round === round) {
      if (fail.how === "throw") throw new Error(`synthetic failure at round ${round}`);
      (self as unknown as { close(): void }).close();
      await new Promise(() => {});
    }
    const arrays = new Map(tiles.map((t) => {
      const region = tiling.regions[t];
      const values = fill !== "rounds"
        ? overlapAdd(scan, tiling.positionsOf[t], region, planes, round, fill === "noisy" ? 0.1 : 1)
        : new Float32Array(planes * region.height * region.width * 2).fill(2 ** round);
      return [t, values];
    }));
    const store = new HostGradients(tiling.regions, planes, arrays);
    await exchange.exchange(tiles, store);
    tiles.forEach((t, i) => gradients[i].push(arrays.get(t)!));
    const values = Float64Array.from(
      { length: reduceLength },
      (_, i) => reduceValue(context.rank, round, i),
    );
    reductions.push(context.allReduce(values));
    context.progress({ round });
  }
  return { tiles, gradients, reductions };
}
