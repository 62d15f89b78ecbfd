/**
 * The iteration shared by `cg` and `gd`: preconditioned gradient, search direction, backtracking
 * line search, update. A class with `step()`, `state()` and `restore()` so that a checkpoint can
 * stop a run and resume it with identical bits.
 *
 * @module
 */
import type { Problem, SolverOptions } from "./types.ts";

/** Everything a solver needs to resume: the live vectors it owns and a few scalars. */
export interface SolverState<V> {
  algorithm: "cg" | "gd";
  /** The number of iterations done. */
  iteration: number;
  /** The current unknowns and, for `cg`, the previous gradient and direction. */
  vectors: Record<string, V>;
  scalars: Record<string, number>;
}

/** Options of {@link GradientSolver}. */
export interface GradientSolverOptions extends Omit<SolverOptions, "iterations"> {
  /** Dai-Yuan conjugate directions (`cg`) or steepest descent (`gd`). */
  conjugate: boolean;
  /** A fixed step instead of the line search (`gd` only; 1 is the preconditioned Newton step). */
  fixedStep?: number;
  /** Halvings of the step before the line search gives up and skips the update (default 12). */
  maxHalvings?: number;
}

/** What one iteration did. */
export interface StepResult {
  /** F(x) before the update. */
  cost: number;
  /**
   * F(x) after it, known from the line search (equal to `cost` when it found no decrease);
   * undefined with a fixed step, which never evaluates it.
   */
  newCost: number | undefined;
  /** The accepted step length (0 when none was accepted). */
  step: number;
  /** The amplitude R-factor at x before the update, when the problem reports one. */
  rFactor?: number;
  /** The same after it, known with `newCost`. */
  newRFactor?: number;
}

/**
 * Preconditioned nonlinear conjugate gradient (Dai-Yuan) or gradient descent over a
 * {@link Problem}, updating `x` in place.
 *
 * With M the problem's diagonal preconditioner and g = dF/dconj(x):
 * eta_m = -M g_m + beta_m eta_{m-1}, beta_m = Re<g_m, M g_m> / Re<eta_{m-1}, g_m - g_{m-1}>
 * (PtyGer eqs. 6 and 8 with the preconditioned inner product; M = 1 gives them exactly). The
 * preconditioner scales the direction like a Newton step, so PtyGer's line search, gamma from 1
 * halving until F(x + gamma eta) <= F(x) (eq. 7 with t = 0), accepts after few halvings.
 *
 * The line search runs along s eta, s the step scale: after a step gamma is accepted,
 * s <- min(1, 2 gamma s), twice the last accepted step. Steepest descent keeps s = 1; Dai-Yuan
 * directions run a few times longer than the Newton-like step, and without s every iteration
 * would repeat the same halvings (each a cost evaluation).
 *
 * @example
 * ```ts
 * const solver = new GradientSolver(problem, x, { conjugate: true });
 * for (let i = 0; i < 10; i++) await solver.step();
 * solver.destroy();
 * ```
 */
export class GradientSolver<V> {
  #iteration = 0;
  /** 1 when `direction` and `previous gradient` hold the last iteration's values (cg only). */
  #hasDirection = 0;
  /** The line search's scale of the direction (see the class comment). */
  #scale = 1;
  /** 1 when the probe was refined in the last iteration; a change restarts the directions. */
  #probeActive = 0;
  /**
   * The gradient at x; after the direction is formed, the gradient at the line search's first
   * trial point (the next iteration's when that trial is accepted).
   */
  readonly #g: V;
  /** F(x) when #g already holds the gradient at x (the first trial was accepted), else null. */
  #known: number | null = null;
  readonly #work: V;
  readonly #direction: V;
  readonly #previous: V | null;

  constructor(
    readonly problem: Problem<V>,
    readonly x: V,
    readonly options: GradientSolverOptions,
  ) {
    this.#g = problem.create("gradient");
    this.#work = problem.create("preconditioned gradient and trial point");
    this.#direction = problem.create("direction");
    this.#previous = options.conjugate ? problem.create("previous gradient") : null;
  }

  get iteration(): number {
    return this.#iteration;
  }

  /** One iteration: gradient, direction, line search, update of `x`. */
  async step(): Promise<StepResult> {
    const { problem, x, options } = this;
    const refine = options.refineProbeFrom !== undefined &&
      this.#iteration >= options.refineProbeFrom;
    if ((refine ? 1 : 0) !== this.#probeActive) {
      // A new active set: directions restart, and a kept gradient lacks the new part.
      this.#hasDirection = 0;
      this.#known = null;
      this.#scale = 1;
    }
    this.#probeActive = refine ? 1 : 0;
    problem.setActive({ object: true, probe: refine });

    const g = this.#g;
    const z = this.#work;
    const eta = this.#direction;
    const cost = this.#known ?? await problem.gradient(x, g);
    // The problem's latest evaluation is at x: just now, or the accepted trial of the last step.
    const rFactor = problem.rFactor;
    this.#known = null;
    await problem.precondition(x, g, z);
    let beta = 0;
    if (this.#previous && this.#hasDirection) {
      const pairs: [V, V][] = [[g, z], [eta, g], [eta, this.#previous]];
      const [gz, etaG, etaPrevious] = problem.dots
        ? await problem.dots(pairs)
        : [await problem.dot(g, z), await problem.dot(eta, g), await problem.dot(eta, pairs[2][1])];
      const denominator = etaG - etaPrevious;
      // Dai-Yuan's denominator is positive along a descent direction that the line search
      // shortened enough; otherwise restart from the preconditioned steepest descent. The new
      // direction must descend too: Re<g, beta eta - M g> = beta Re<eta, g> - Re<g, M g> < 0.
      if (denominator > 0 && Number.isFinite(gz / denominator)) beta = gz / denominator;
      if (!(beta * etaG - gz < 0)) beta = 0;
    }
    if (beta !== 0) {
      problem.scale(eta, beta, eta);
      problem.axpy(eta, eta, -1, z);
    }
    if (beta === 0) problem.scale(eta, -1, z);
    if (this.#previous) problem.copy(g, this.#previous);

    const { newCost, step } = options.fixedStep !== undefined
      ? this.#fixedStep(options.fixedStep)
      : await this.#lineSearch(cost, refine);
    this.#hasDirection = step > 0 ? 1 : 0;
    this.#iteration++;
    // After an accepted step the latest evaluation is the accepted trial's.
    const newRFactor = newCost === undefined ? undefined : step > 0 ? problem.rFactor : rFactor;
    return { cost, newCost, step, rFactor, newRFactor };
  }

  /** The solver's state; the vectors are live (read them before the next step). */
  state(): SolverState<V> {
    const vectors: Record<string, V> = { x: this.x };
    if (this.#previous) {
      vectors.direction = this.#direction;
      vectors.previousGradient = this.#previous;
    }
    return {
      algorithm: this.options.conjugate ? "cg" : "gd",
      iteration: this.#iteration,
      vectors,
      scalars: {
        hasDirection: this.#hasDirection,
        probeActive: this.#probeActive,
        stepScale: this.#scale,
      },
    };
  }

  /** Continues from a saved {@link state}: copies its vectors (all parts) and scalars. */
  restore(saved: SolverState<V>): void {
    const algorithm = this.options.conjugate ? "cg" : "gd";
    if (saved.algorithm !== algorithm) {
      throw new TypeError(`Cannot resume ${algorithm} from a ${saved.algorithm} state`);
    }
    this.#everything(() => {
      this.problem.copy(saved.vectors.x, this.x);
      if (this.#previous) {
        this.problem.copy(saved.vectors.direction, this.#direction);
        this.problem.copy(saved.vectors.previousGradient, this.#previous);
      }
    });
    this.#iteration = saved.iteration;
    this.#known = null;
    this.#hasDirection = saved.scalars.hasDirection;
    this.#scale = saved.scalars.stepScale;
    this.#probeActive = saved.scalars.probeActive;
  }

  /** Frees the solver's own vectors (not `x`). */
  destroy(): void {
    for (const v of [this.#g, this.#work, this.#direction, this.#previous]) {
      if (v) this.problem.destroy(v);
    }
  }

  /**
   * PtyGer Algorithm 1's line search: gamma from the step scale s (1 unless earlier iterations
   * needed less), halved until F(x + gamma eta) <= F(x). The first
   * trial evaluates the gradient along with F: most iterations accept it, and then the next
   * iteration starts from it instead of recomputing it at the same point (the same numbers, one
   * forward model fewer per iteration).
   */
  async #lineSearch(cost: number, refine: boolean): Promise<{ newCost: number; step: number }> {
    const { problem, x } = this;
    const trial = this.#work;
    // The trial point's inactive parts (the probe before refinement) must be those of x.
    this.#everything(() => problem.copy(x, trial), refine);
    const halvings = this.options.maxHalvings ?? 12;
    let gamma = this.#scale;
    for (let k = 0; k <= halvings; k++, gamma /= 2) {
      problem.axpy(trial, x, gamma, this.#direction);
      const newCost = k === 0 ? await problem.gradient(trial, this.#g) : await problem.cost(trial);
      if (newCost <= cost) {
        problem.copy(trial, x);
        if (k === 0) this.#known = newCost;
        this.#scale = Math.min(1, 2 * gamma);
        return { newCost, step: gamma };
      }
    }
    return { newCost: cost, step: 0 };
  }

  /** x <- x + gamma eta without evaluating F: one gradient per iteration, nothing more. */
  #fixedStep(gamma: number): { newCost: undefined; step: number } {
    this.problem.axpy(this.x, this.x, gamma, this.#direction);
    return { newCost: undefined, step: gamma };
  }

  /** Runs `fn` with every part active, then restores the solver's active set. */
  #everything(fn: () => void, refine = this.#probeActive === 1): void {
    this.problem.setActive({ object: true, probe: true });
    fn();
    this.problem.setActive({ object: true, probe: refine });
  }
}
