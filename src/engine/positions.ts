/**
 * Position correction on tiles (DESIGN section 7): from iteration `correctPositionsFrom`, each
 * step's first gradient evaluation also gives every position's shift gradient (`GpuProblem`),
 * and after the step every tile moves its own positions. A position stays with the tile that
 * owns it; the tiles share only the sums of the proposed moves (the common shift removed) and
 * the longest move (the bound), so tiled moves equal untiled ones. Before the object's restart,
 * the positions that fit their frames worst are searched over whole-pixel offsets
 * ({@link searchPositions}).
 */
import {
  finishMoves,
  POSITION_SHIFT_LIMIT,
  POSITION_STEP_BOUND,
  proposedMoves,
  shiftCurvatureFactor,
  withinShiftLimit,
} from "../physics/positions.ts";
import type { NoiseModel } from "../physics/model.ts";
import {
  type GpuProblem,
  type GpuVariables,
  PositionSearch,
  type SearchCall,
} from "../problem/mod.ts";
import type { TiledPayload } from "./payload.ts";
import { problemOrder, restartObject, type TileState } from "./tiles.ts";

/**
 * Iterations of position correction before the object restarts. The object built while the
 * positions were wrong keeps their imprint, which cg leaves slowly: from 2 px RMS errors (frame
 * 64, 400 positions, correction from iteration 10) the positions reached 0.061 px RMS in 100
 * iterations, where a run from fixed positions that far off gives 40.4 dB, but the object only
 * 31.2 dB, its R-factor still falling. So after this many correcting iterations the object starts
 * again from the initial guess on the refined positions; they stay as they are for
 * {@link POSITION_REST_AFTER_RESTART} iterations, then correction resumes until the end.
 */
export const POSITION_RESTART_AFTER = 20;

/**
 * Iterations after the object's restart in which the positions stay as they are (one step of the
 * solver from the initial guess gives their gradients something to go by). The positions come
 * out of the restart (and the search) about 0.2 px RMS off, and every iteration the object is
 * built on them costs it: resting as many iterations as the run waited before its first
 * correction (10) left `--seed 0` of the acceptance set 1.9 dB below the run with true positions
 * (40.27 against 42.20 dB), resting 3 left it 0.81 dB below, resting 1 0.25 dB (frame 64, 400
 * positions, 2 px RMS, cg, 100 iterations, correction from 10).
 */
export const POSITION_REST_AFTER_RESTART = 1;

/**
 * A position is searched (see {@link searchTile}) when its own amplitude R-factor exceeds this
 * many times the mean over all positions.
 */
export const SEARCH_RESIDUAL_FACTOR = 2;

/** Whether iteration `iteration` (from 0) refines positions (see {@link POSITION_RESTART_AFTER}). */
export function correctsPositions(p: TiledPayload, iteration: number): boolean {
  const from = p.correctPositionsFrom;
  if (from === null || iteration < from) return false;
  const restart = from + POSITION_RESTART_AFTER;
  return iteration < restart || iteration >= restart + POSITION_REST_AFTER_RESTART;
}

/** Whether iteration `iteration` starts with the object's restart (see {@link POSITION_RESTART_AFTER}). */
export function restartsObject(p: TiledPayload, iteration: number): boolean {
  return p.correctPositionsFrom !== null &&
    iteration === p.correctPositionsFrom + POSITION_RESTART_AFTER;
}

/**
 * Before a correcting step: `cg` and `gd` forget a gradient kept from the last step (the
 * positions moved since), so that their first evaluation is at x, and that evaluation captures
 * the shifts' gradients; `lsqml`'s sweep captures them batch by batch.
 */
export function beforeCorrection(states: TileState[]): void {
  for (const s of states) {
    const { solver } = s;
    if ("forget" in solver) solver.forget?.();
    problemOf(s).capturePositionGradient();
  }
}

/** Restarts every tile's object (see {@link POSITION_RESTART_AFTER}). */
export async function restartObjects(p: TiledPayload, states: TileState[]): Promise<void> {
  for (const s of states) await restartObject(p, s);
}

/** After a correcting step: every tile moves its positions (in step, for the collectives). */
export async function correctPositions(p: TiledPayload, states: TileState[]): Promise<void> {
  await Promise.all(states.map((s) => moveTile(p, s)));
}

/**
 * Where each of the tile's problem positions sits among the tile's planned ones
 * (`tiling.positionsOf`): the problem takes them in another order for `lsqml` (its sparse
 * mini-batches), while results and checkpoints keep the planned order.
 */
function plannedIndex(p: TiledPayload, s: TileState): Int32Array {
  const planned = p.tiling.positionsOf[s.tile];
  const at = new Map(Array.from(planned, (j, i) => [j, i]));
  return Int32Array.from(problemOrder(p, s.tile), (j) => at.get(j)!);
}

/** The tile's positions in object coordinates, in the tile's planned order. */
export function tilePositions(p: TiledPayload, s: TileState): { y: Float64Array; x: Float64Array } {
  const { scan } = problemOf(s);
  const region = p.tiling.regions[s.tile];
  const index = plannedIndex(p, s);
  const y = new Float64Array(index.length), x = new Float64Array(index.length);
  for (const [i, k] of index.entries()) {
    y[k] = scan.positionsY[i] + region.y0;
    x[k] = scan.positionsX[i] + region.x0;
  }
  return { y, x };
}

/** Puts saved positions (object coordinates, the tile's planned order) back into a tile. */
export function restorePositions(
  p: TiledPayload,
  s: TileState,
  saved: { y: Float64Array; x: Float64Array },
): void {
  const region = p.tiling.regions[s.tile];
  const index = plannedIndex(p, s);
  problemOf(s).movePositions(
    Float64Array.from(index, (k) => saved.y[k] - region.y0),
    Float64Array.from(index, (k) => saved.x[k] - region.x0),
  );
}

async function moveTile(p: TiledPayload, s: TileState): Promise<void> {
  const problem = problemOf(s);
  const { reduced } = problem;
  const shifts = await problem.positionGradient();
  const factor = shiftCurvatureFactor(searchNoise(p));
  const moves = proposedMoves({
    ...shifts,
    curvatureX: shifts.curvatureX.map((c) => c * factor),
    curvatureY: shifts.curvatureY.map((c) => c * factor),
  });
  const total = p.positionsY.length;
  const [sumX, sumY] = await reduced.sums(moveSums(moves));
  const longest = finishMoves(moves, { x: sumX / total, y: sumY / total }, 0);
  const largest = await reduced.max(longest);
  if (largest > POSITION_STEP_BOUND) finishMoves(moves, { x: 0, y: 0 }, largest);
  applyMoves(p, s, moves);
}

/** The tile's sums of its moves along x and y, for one all-reduce. */
function moveSums(moves: { dx: Float64Array; dy: Float64Array }): number[] {
  return [moves.dx.reduce((a, v) => a + v, 0), moves.dy.reduce((a, v) => a + v, 0)];
}

/**
 * Moves the tile's positions by `moves` (the problem's order, object pixels), each kept within
 * {@link POSITION_SHIFT_LIMIT} of where it was measured and its window inside the object.
 */
function applyMoves(
  p: TiledPayload,
  s: TileState,
  moves: { dx: Float64Array; dy: Float64Array },
): void {
  // In the problem's order (moves, positions) throughout; the measured ones by global index.
  const problem = problemOf(s);
  const { scan } = problem;
  const region = p.tiling.regions[s.tile];
  const order = problemOrder(p, s.tile);
  const y = scan.positionsY.map((v, i) => v + region.y0 + moves.dy[i]);
  const x = scan.positionsX.map((v, i) => v + region.x0 + moves.dx[i]);
  withinShiftLimit(y, Array.from(order, (j) => p.positionsY[j]), POSITION_SHIFT_LIMIT);
  withinShiftLimit(x, Array.from(order, (j) => p.positionsX[j]), POSITION_SHIFT_LIMIT);
  // Windows stay inside the object: floor(v) - M/2 >= 0 and floor(v) + M/2 <= the size.
  const [h, w] = p.tiling.objectShape;
  const half = p.tiling.frame / 2;
  for (let i = 0; i < y.length; i++) {
    y[i] = Math.min(h - half, Math.max(half, y[i])) - region.y0;
    x[i] = Math.min(w - half, Math.max(half, x[i])) - region.x0;
  }
  problem.movePositions(y, x);
}

/**
 * The cost position correction follows: `lsqml`'s sweep captures the shifts' gradients along its
 * exit-wave update, the amplitude cost's, or the Poisson step's, alpha (1 - d / J) ~ 1 - sqrt(d / J)
 * near the fit alike; the others the run's cost.
 */
function searchNoise(p: TiledPayload): NoiseModel {
  return p.algorithm === "lsqml" ? "gaussian" : p.noise;
}

/**
 * Before the object's restart: every tile searches its positions whose own R-factor exceeds
 * {@link SEARCH_RESIDUAL_FACTOR} times the mean over all positions (see {@link searchTile}).
 */
export async function searchPositions(p: TiledPayload, states: TileState[]): Promise<void> {
  await Promise.all(states.map((s) => searchTile(p, s)));
}

/**
 * One tile's search: each of its positions that fits its frame much worse than the rest tries
 * every whole-pixel offset that keeps it within {@link POSITION_SHIFT_LIMIT} of where it was
 * measured (so the tile's halo still covers its window) and moves to the one of lowest cost, if
 * lower than where it stands. The tiles share the positions' R-factor sum and the moves' sums
 * (the common shift is removed, as after a gradient step), in tile order: the same bits whatever
 * the ranks and workers.
 */
async function searchTile(p: TiledPayload, s: TileState): Promise<void> {
  const problem = problemOf(s);
  const { reduced, scan } = problem;
  const propagation = p.propagation && p.slices > 1
    ? {
      wavelength: p.propagation.wavelength,
      sliceThickness: p.propagation.sliceDistance,
      pixelSize: p.propagation.pixelSize,
    }
    : undefined;
  const search = await PositionSearch.create(problem, { noise: searchNoise(p), propagation });
  try {
    const x = s.x as GpuVariables;
    const r = await search.rFactors(x);
    const total = p.positionsY.length;
    const [sum] = await reduced.sums([r.reduce((a, v) => a + v, 0)]);
    const mean = sum / total;
    const region = p.tiling.regions[s.tile];
    const order = problemOrder(p, s.tile);
    const [h, w] = p.tiling.objectShape;
    const calls: SearchCall[] = [];
    for (let i = 0; i < scan.count; i++) {
      if (!(r[i] > SEARCH_RESIDUAL_FACTOR * mean)) continue;
      const dy = offsets(scan.positionsY[i] + region.y0, p.positionsY[order[i]], h, p.tiling.frame);
      const dx = offsets(scan.positionsX[i] + region.x0, p.positionsX[order[i]], w, p.tiling.frame);
      // Every pair, y major.
      const tries = dy.length * dx.length;
      calls.push({
        position: i,
        dy: Int32Array.from({ length: tries }, (_, t) => dy[Math.floor(t / dx.length)]),
        dx: Int32Array.from({ length: tries }, (_, t) => dx[t % dx.length]),
      });
    }
    const costs = await search.costs(x, calls);
    const moves = { dx: new Float64Array(scan.count), dy: new Float64Array(scan.count) };
    for (const [k, c] of calls.entries()) {
      const here = c.dy.findIndex((v, t) => v === 0 && c.dx[t] === 0);
      let best = here;
      for (let t = 0; t < c.dy.length; t++) if (costs[k][t] < costs[k][best]) best = t;
      moves.dy[c.position] = c.dy[best];
      moves.dx[c.position] = c.dx[best];
    }
    const [sumX, sumY] = await reduced.sums(moveSums(moves));
    finishMoves(moves, { x: sumX / total, y: sumY / total }, 0);
    applyMoves(p, s, moves);
  } finally {
    search.destroy();
  }
}

/**
 * The whole-pixel offsets from `at` (one axis, object pixels) that stay within
 * {@link POSITION_SHIFT_LIMIT} of `measured` and keep a window of `frame` inside the object's
 * `size` as {@link applyMoves} does: inside the tile's region too, which its halo makes as wide.
 */
function offsets(at: number, measured: number, size: number, frame: number): number[] {
  // Where it stands is always a try (a bound the position sits on may round either way).
  const low = Math.min(0, Math.ceil(Math.max(measured - POSITION_SHIFT_LIMIT, frame / 2) - at));
  const high = Math.max(
    0,
    Math.floor(Math.min(measured + POSITION_SHIFT_LIMIT, size - frame / 2) - at),
  );
  return Array.from({ length: Math.max(0, high - low + 1) }, (_, i) => low + i);
}

/** The tile's device problem: position correction refuses streamed tiles up front. */
function problemOf(s: TileState): GpuProblem {
  return s.problem as unknown as GpuProblem;
}
