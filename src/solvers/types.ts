/**
 * What a gradient solver sees of a reconstruction problem. Solvers (`cg`, `gd`) are plain
 * functions over this interface: they never touch WGSL, buffers or workers. The same solver code
 * runs on one device (`GpuProblem`), on many workers (the tiled engine wraps local problems and
 * sums through its exchange), and on the float64 CPU reference used by tests.
 *
 * `V` is one vector of unknowns (object slices and probe modes), e.g. a pair of GPU buffers or
 * a pair of Float64Arrays. Only the parts switched on by {@link Problem.setActive} take part in
 * updates and dot products; inactive parts are left untouched by `axpy` and count as zero.
 */
export interface Problem<V> {
  /** A new vector of unknowns, filled with zeros. */
  create(label: string): V;
  /** Frees a vector made by {@link create}. */
  destroy(v: V): void;
  /** dst <- src (active parts). */
  copy(src: V, dst: V): void;
  /** dst <- x + a y (active parts); dst may be x or y. */
  axpy(dst: V, x: V, a: number, y: V): void;
  /** dst <- a x (active parts). */
  scale(dst: V, a: number, x: V): void;
  /**
   * Re <a, b> = Re sum conj(a) b over the active unknowns, summed over every worker with each
   * object pixel counted once (a worker counts only the pixels it owns).
   */
  dot(a: V, b: V): Promise<number>;
  /**
   * Optional: {@link dot} of each pair, equal to calling it pair by pair in order, but allowed
   * to share one readback (each costs a wait for the device's queue).
   */
  dots?(pairs: [V, V][]): Promise<number[]>;
  /** The cost F(x), summed over all positions of all workers. */
  cost(x: V): Promise<number>;
  /**
   * F(x) and the complete Wirtinger gradient dF/dconj(x) written into `g` (active parts):
   * overlap contributions of neighbouring tiles summed in, probe gradient all-reduced.
   */
  gradient(x: V, g: V): Promise<number>;
  /**
   * out <- M g, the diagonal preconditioner of `gd` (for the object, 1 / (sum_j |P_j|^2 + eps)
   * over the positions covering each pixel; for the probe, the analogous object intensity).
   * `out` may be `x`: x is read before out is written.
   */
  precondition(x: V, g: V, out: V): Promise<void>;
  /**
   * Optional: {@link gradient} at x into g, {@link precondition} at x into `out` (which may be x),
   * then {@link dots} of `pairs`, equal to those calls in turn, but allowed to read the cost back
   * with the dot products and to sum them over workers together (each read-back costs a wait for
   * the device's queue).
   */
  gradientThenDots?(
    x: V,
    g: V,
    out: V,
    pairs: [V, V][],
  ): Promise<{ cost: number; dots: number[] }>;
  /** Chooses the unknowns: the object always, the probe once probe refinement starts. */
  setActive(parts: { object: boolean; probe: boolean }): void;
  /**
   * Optional: the amplitude R-factor of the latest {@link cost} or {@link gradient} evaluation,
   * over all workers (DESIGN section 7).
   */
  readonly rFactor?: number;
}

/** Called after each iteration with its number (from 0) and cost; may stop a run early. */
export type IterationCallback = (
  iteration: number,
  cost: number,
) => void | "stop" | Promise<void | "stop">;

/** Options shared by the gradient solvers. */
export interface SolverOptions {
  iterations: number;
  /** First iteration at which the probe is refined as well (never when undefined). */
  refineProbeFrom?: number;
  onIteration?: IterationCallback;
}

/** A solver's outcome: the cost before each iteration's update, and after the last. */
export interface SolverResult {
  costs: number[];
}
