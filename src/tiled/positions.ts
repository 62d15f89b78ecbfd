/**
 * Position correction on tiles (DESIGN section 7): from iteration `correctPositionsFrom`, each
 * step's first gradient evaluation also gives every position's shift gradient (`GpuProblem`),
 * and after the step every tile moves its own positions. A position stays with the tile that
 * owns it; the tiles share only the sums of the proposed moves (the common shift removed) and
 * the longest move (the bound), so tiled moves equal untiled ones.
 */
import {
  finishMoves,
  POSITION_SHIFT_LIMIT,
  POSITION_STEP_BOUND,
  proposedMoves,
  shiftCurvatureFactor,
  withinShiftLimit,
} from "../physics/positions.ts";
import type { GpuProblem } from "../problem/mod.ts";
import type { TiledPayload } from "./payload.ts";
import type { TileState } from "./tiles.ts";

/** Whether iteration `iteration` (from 0) refines positions. */
export function correctsPositions(p: TiledPayload, iteration: number): boolean {
  return p.correctPositionsFrom !== null && iteration >= p.correctPositionsFrom;
}

/**
 * Before a correcting step: the solvers forget a gradient kept from the last step (the positions
 * moved since), so that their first evaluation is at x, and that evaluation captures the shifts'
 * gradients.
 */
export function beforeCorrection(states: TileState[]): void {
  for (const s of states) {
    const { solver } = s;
    if (!("forget" in solver) || !solver.forget) {
      throw new TypeError("Position correction runs with cg and gd only");
    }
    solver.forget();
    problemOf(s).capturePositionGradient();
  }
}

/** After a correcting step: every tile moves its positions (in step, for the collectives). */
export async function correctPositions(p: TiledPayload, states: TileState[]): Promise<void> {
  await Promise.all(states.map((s) => moveTile(p, s)));
}

/** The tile's positions in object coordinates. */
export function tilePositions(p: TiledPayload, s: TileState): { y: Float64Array; x: Float64Array } {
  const { scan } = problemOf(s);
  const region = p.tiling.regions[s.tile];
  return {
    y: scan.positionsY.map((v) => v + region.y0),
    x: scan.positionsX.map((v) => v + region.x0),
  };
}

/** Puts saved positions (object coordinates) back into a tile. */
export function restorePositions(
  p: TiledPayload,
  s: TileState,
  saved: { y: Float64Array; x: Float64Array },
): void {
  const region = p.tiling.regions[s.tile];
  problemOf(s).movePositions(saved.y.map((v) => v - region.y0), saved.x.map((v) => v - region.x0));
}

async function moveTile(p: TiledPayload, s: TileState): Promise<void> {
  const problem = problemOf(s);
  const reduction = problem.reduction;
  const shifts = await problem.positionGradient();
  const factor = shiftCurvatureFactor(p.noise);
  const moves = proposedMoves({
    ...shifts,
    curvatureX: shifts.curvatureX.map((c) => c * factor),
    curvatureY: shifts.curvatureY.map((c) => c * factor),
  });
  const total = p.positionsY.length;
  const sumX = await reduction.sum(moves.dx.reduce((a, v) => a + v, 0));
  const sumY = await reduction.sum(moves.dy.reduce((a, v) => a + v, 0));
  const longest = finishMoves(moves, { x: sumX / total, y: sumY / total }, 0);
  const largest = reduction.max ? await reduction.max(longest) : longest;
  if (largest > POSITION_STEP_BOUND) finishMoves(moves, { x: 0, y: 0 }, largest);
  const at = tilePositions(p, s);
  const mine = p.tiling.positionsOf[s.tile];
  const y = at.y.map((v, i) => v + moves.dy[i]);
  const x = at.x.map((v, i) => v + moves.dx[i]);
  withinShiftLimit(y, Array.from(mine, (j) => p.positionsY[j]), POSITION_SHIFT_LIMIT);
  withinShiftLimit(x, Array.from(mine, (j) => p.positionsX[j]), POSITION_SHIFT_LIMIT);
  // Windows stay inside the object: floor(v) - M/2 >= 0 and floor(v) + M/2 <= the size.
  const [h, w] = p.tiling.objectShape;
  const half = p.tiling.frame / 2;
  for (let i = 0; i < y.length; i++) {
    y[i] = Math.min(h - half, Math.max(half, y[i]));
    x[i] = Math.min(w - half, Math.max(half, x[i]));
  }
  restorePositions(p, s, { y, x });
}

/** The tile's device problem: position correction refuses streamed tiles up front. */
function problemOf(s: TileState): GpuProblem {
  return s.problem as unknown as GpuProblem;
}
