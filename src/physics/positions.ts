/**
 * Position correction's update: a step along minus the cost's gradient with respect to each scan
 * position's shift (as tike and pty-chi refine positions), bounded, with the common shift removed.
 *
 * @module
 */

/** Most object pixels a position moves in one iteration (DESIGN section 7). */
export const POSITION_STEP_BOUND = 0.5;

/** Options of {@link positionUpdate}. */
export interface PositionUpdateOptions {
  /** dF/dx_j and dF/dy_j of every position, object pixels. */
  gradientX: ArrayLike<number>;
  gradientY: ArrayLike<number>;
  /** Pixels per unit gradient: the move is -step times the gradient before the bound. */
  step: number;
  /** Largest move of one position, object pixels (default {@link POSITION_STEP_BOUND}). */
  bound?: number;
}

/**
 * The moves (dx_j, dy_j) of one iteration: -step times the gradient, less its mean over all
 * positions (a common shift of the scan only moves the object, which the data cannot see), then
 * scaled down as a whole, when needed, so that no position moves more than `bound`. Scaling every
 * move alike keeps the mean at zero and the direction of descent.
 *
 * @example
 * ```ts
 * const { dx, dy } = positionUpdate({ gradientX, gradientY, step: 1e-3 });
 * for (let j = 0; j < dx.length; j++) [x[j], y[j]] = [x[j] + dx[j], y[j] + dy[j]];
 * ```
 */
export function positionUpdate(o: PositionUpdateOptions): { dx: Float64Array; dy: Float64Array } {
  const n = o.gradientX.length;
  if (o.gradientY.length !== n) {
    throw new RangeError(
      `Expected as many y gradients as x ones, got ${o.gradientY.length} and ${n}`,
    );
  }
  const bound = o.bound ?? POSITION_STEP_BOUND;
  if (!(bound > 0) || !(o.step >= 0)) {
    throw new RangeError(`Expected a positive bound and a step >= 0, got ${bound} and ${o.step}`);
  }
  const dx = Float64Array.from(o.gradientX, (g) => -o.step * g);
  const dy = Float64Array.from(o.gradientY, (g) => -o.step * g);
  let mx = 0, my = 0;
  for (let j = 0; j < n; j++) [mx, my] = [mx + dx[j] / n, my + dy[j] / n];
  let largest = 0;
  for (let j = 0; j < n; j++) {
    dx[j] -= mx;
    dy[j] -= my;
    largest = Math.max(largest, Math.hypot(dx[j], dy[j]));
  }
  if (largest > bound) {
    const s = bound / largest;
    for (let j = 0; j < n; j++) [dx[j], dy[j]] = [dx[j] * s, dy[j] * s];
  }
  return { dx, dy };
}
