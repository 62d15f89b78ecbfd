/**
 * Position correction's update: a Gauss-Newton step along minus the cost's gradient with respect
 * to each scan position's shift (as tike and pty-chi refine positions), bounded per iteration and
 * in total, with the common shift removed.
 *
 * @module
 */
import { INTENSITY_EPSILON, type NoiseModel, poissonPixel } from "./model.ts";

/** Most object pixels a position moves in one iteration (DESIGN section 7). */
export const POSITION_STEP_BOUND = 0.5;

/**
 * Most object pixels a refined position may lie from the measured one, along each axis. The
 * object's margin and the tiles' halos are widened by it, so that every window stays inside them.
 */
export const POSITION_SHIFT_LIMIT = 8;

/**
 * The Gauss-Newton curvature of the cost along a shift, per unit of the curvature the kernels
 * sum, sum |psi_0|^2 |dO/dx|^2 = ||d psi / dx||^2 (unitary propagation: the same on the
 * detector). Only the part of dPsi/dx in phase with Psi changes the measured amplitude, taken
 * as half of ||dPsi/dx||^2 (it depends on the object: a smooth weak one in the tests gives less,
 * hence shorter steps than Newton's), and the cost's second derivative in the amplitude A = |Psi|
 * at the fit is 2 for the Gaussian cost (A - sqrt(d))^2 and 4 for the Poisson cost
 * A^2 - d log A^2 (2 + 2 d / A^2): so 1 and 2. With 1 for the Poisson cost the steps were twice the Newton step,
 * at the edge of stability: started from the true positions (frame 64, 400 positions, cg,
 * correction from iteration 10), they random-walked to 0.13 px RMS and the cost rose from
 * iteration 20 on.
 */
export function shiftCurvatureFactor(noise: NoiseModel): number {
  return noise === "poisson" ? 2 : 1;
}

/** Options of {@link proposedMoves} and {@link positionUpdate}. */
export interface PositionUpdateOptions {
  /** dF/dx_j and dF/dy_j of every position, object pixels. */
  gradientX: ArrayLike<number>;
  gradientY: ArrayLike<number>;
  /** The curvature of F along each shift (its Gauss-Newton estimate): the step is -g / c. */
  curvatureX: ArrayLike<number>;
  curvatureY: ArrayLike<number>;
  /** Largest move of one position, object pixels (default {@link POSITION_STEP_BOUND}). */
  bound?: number;
}

/**
 * Each position's own move -g / c along each axis (0 where the curvature is not positive),
 * shortened to `bound` when longer. The first half of {@link positionUpdate}: it needs no other
 * position, so tiles compute it for their own.
 */
export function proposedMoves(o: PositionUpdateOptions): { dx: Float64Array; dy: Float64Array } {
  const n = o.gradientX.length;
  for (const [name, v] of [["y gradients", o.gradientY], ["curvatures", o.curvatureX]] as const) {
    if (v.length !== n || o.curvatureY.length !== n) {
      throw new RangeError(`Expected as many ${name} as x gradients (${n}), got ${v.length}`);
    }
  }
  const bound = boundOf(o.bound);
  const move = (g: number, c: number) => (c > 0 ? -g / c : 0);
  const dx = Float64Array.from({ length: n }, (_, j) => move(o.gradientX[j], o.curvatureX[j]));
  const dy = Float64Array.from({ length: n }, (_, j) => move(o.gradientY[j], o.curvatureY[j]));
  for (let j = 0; j < n; j++) {
    const length = Math.hypot(dx[j], dy[j]);
    if (length > bound) [dx[j], dy[j]] = [dx[j] * bound / length, dy[j] * bound / length];
  }
  return { dx, dy };
}

/**
 * The second half of {@link positionUpdate}, in place: subtracts the mean move (mx, my) of all
 * positions (a common shift of the scan only moves the object, which the data cannot see), then
 * scales every move alike by bound / largest when `largest`, the longest move after the
 * subtraction over all positions, exceeds the bound. Returns that longest move for a caller
 * holding every position (`largest` omitted).
 */
export function finishMoves(
  moves: { dx: Float64Array; dy: Float64Array },
  mean: { x: number; y: number },
  largest?: number,
  bound?: number,
): number {
  const { dx, dy } = moves;
  let longest = 0;
  for (let j = 0; j < dx.length; j++) {
    dx[j] -= mean.x;
    dy[j] -= mean.y;
    longest = Math.max(longest, Math.hypot(dx[j], dy[j]));
  }
  const over = largest ?? longest;
  const limit = boundOf(bound);
  if (over > limit) {
    const s = limit / over;
    for (let j = 0; j < dx.length; j++) [dx[j], dy[j]] = [dx[j] * s, dy[j] * s];
  }
  return longest;
}

/**
 * The moves (dx_j, dy_j) of one iteration: each position's Gauss-Newton step -g / c, shortened to
 * the bound, less the mean over all positions, then scaled down as a whole when the subtraction
 * took a move past the bound. Scaling every move alike keeps the mean at zero.
 *
 * @example
 * ```ts
 * const { dx, dy } = positionUpdate({ gradientX, gradientY, curvatureX, curvatureY });
 * for (let j = 0; j < dx.length; j++) [x[j], y[j]] = [x[j] + dx[j], y[j] + dy[j]];
 * ```
 */
export function positionUpdate(o: PositionUpdateOptions): { dx: Float64Array; dy: Float64Array } {
  const moves = proposedMoves(o);
  const n = moves.dx.length;
  let x = 0, y = 0;
  for (let j = 0; j < n; j++) [x, y] = [x + moves.dx[j], y + moves.dy[j]];
  const mean = n > 0 ? { x: x / n, y: y / n } : { x: 0, y: 0 };
  finishMoves(moves, mean, undefined, o.bound);
  return moves;
}

/**
 * `refined` kept within `limit` object pixels of `measured` along each axis, in place (default
 * {@link POSITION_SHIFT_LIMIT}).
 */
export function withinShiftLimit(
  refined: Float64Array,
  measured: ArrayLike<number>,
  limit = POSITION_SHIFT_LIMIT,
): void {
  for (let j = 0; j < refined.length; j++) {
    refined[j] = Math.min(measured[j] + limit, Math.max(measured[j] - limit, refined[j]));
  }
}

function boundOf(bound: number | undefined): number {
  const b = bound ?? POSITION_STEP_BOUND;
  if (!(b > 0)) throw new RangeError(`Expected a positive bound, got ${b}`);
  return b;
}

/** Arguments of {@link frameCostsReference}. */
export interface FrameCostsInputs {
  /** Far fields count x K x M x M, interleaved complex, stored layout. */
  far: ArrayLike<number>;
  /** Frames, M x M each: far field c is compared with frame c x stride. */
  frames: ArrayLike<number>;
  /** M x M mask weights. */
  weights: ArrayLike<number>;
  m2: number;
  modes: number;
  count: number;
  stride: 0 | 1;
  noise: NoiseModel;
}

/**
 * The float64 twin of `FrameCosts` (`wgsl/position_search.wgsl`): per far field c, with
 * I = sum_k |Psi_k|^2 and d its frame's count, the sums over pixels of weight times the Poisson
 * cost under its floor ({@link poissonPixel}) less d - d log d (I where d = 0), or the Gaussian
 * (sqrt(I + e) - sqrt(d))^2; of weight |sqrt(I) - sqrt(d)|; and of weight sqrt(d); then 0.
 */
export function frameCostsReference(o: FrameCostsInputs): Float64Array {
  const out = new Float64Array(4 * o.count);
  for (let c = 0; c < o.count; c++) {
    for (let q = 0; q < o.m2; q++) {
      let intensity = 0;
      for (let k = 0; k < o.modes; k++) {
        const at = 2 * ((c * o.modes + k) * o.m2 + q);
        intensity += o.far[at] ** 2 + o.far[at + 1] ** 2;
      }
      const d = o.frames[c * o.stride * o.m2 + q];
      const cost = o.noise === "gaussian"
        ? (Math.sqrt(intensity + INTENSITY_EPSILON) - Math.sqrt(d)) ** 2
        : poissonPixel(intensity, d)[0] - (d > 0 ? d - d * Math.log(d) : 0);
      const w = o.weights[q];
      out[4 * c] += w * cost;
      out[4 * c + 1] += w * Math.abs(Math.sqrt(intensity) - Math.sqrt(d));
      out[4 * c + 2] += w * Math.sqrt(d);
    }
  }
  return out;
}
