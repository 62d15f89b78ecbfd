import { GradientSolver, type SolverState } from "./gradient_solver.ts";
import type { Problem, SolverOptions, SolverResult } from "./types.ts";

/** Options of {@link cg} and {@link gd}. */
export interface GradientOptions extends SolverOptions {
  /** Continue from a checkpointed state instead of starting at iteration 0. */
  resume?: SolverState<unknown>;
  /** Halvings before the line search gives up on an iteration (default 12). */
  maxHalvings?: number;
}

/** Options of {@link gd}. */
export interface GdOptions extends GradientOptions {
  /** A fixed step (1 is the preconditioned Newton-like step) instead of the line search. */
  fixedStep?: number;
}

/**
 * Maximum-likelihood reconstruction by preconditioned nonlinear conjugate gradient (the hybrid
 * Hestenes-Stiefel / Dai-Yuan direction, predicted steps with PtyGer's backtracking as the
 * fallback; see {@link GradientSolver}); `x` is updated in place. `options.iterations` counts from the resumed state's iteration, if any.
 *
 * @example
 * ```ts
 * const { costs } = await cg(problem, x, { iterations: 100, refineProbeFrom: 10 });
 * ```
 */
export function cg<V>(problem: Problem<V>, x: V, options: GradientOptions): Promise<SolverResult> {
  return run(new GradientSolver(problem, x, { ...options, conjugate: true }), options);
}

/**
 * Preconditioned gradient descent (the halo-exchange papers' solver): direction -M g with the
 * |P|^2 preconditioner, step predicted from the last secant (at most 1, see
 * {@link GradientSolver}) or fixed; `x` is updated in place.
 *
 * @example
 * ```ts
 * const { costs } = await gd(problem, x, { iterations: 50, fixedStep: 0.5 });
 * ```
 */
export function gd<V>(problem: Problem<V>, x: V, options: GdOptions): Promise<SolverResult> {
  return run(new GradientSolver(problem, x, { ...options, conjugate: false }), options);
}

async function run<V>(solver: GradientSolver<V>, options: GradientOptions): Promise<SolverResult> {
  try {
    if (options.resume) solver.restore(options.resume as SolverState<V>);
    const costs: number[] = [];
    let last: number | undefined;
    const end = solver.iteration + options.iterations;
    while (solver.iteration < end) {
      const i = solver.iteration;
      const { cost, newCost } = await solver.step();
      costs.push(cost);
      last = newCost;
      if ((await options.onIteration?.(i, cost)) === "stop") break;
    }
    costs.push(last ?? await solver.problem.cost(solver.x));
    return { costs };
  } finally {
    solver.destroy();
  }
}
