/**
 * The iteration shared by `cg` and `gd`: preconditioned gradient, search direction, a predicted
 * step (backtracking only when it fails), update. A class with `step()`, `state()` and `restore()` so that a checkpoint can
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

/**
 * `cg`'s next trial is this fraction of the step the secant predicts: successive conjugate
 * directions want steps that vary by tens of percent, and a trial is rejected only when it
 * exceeds twice the new direction's best step, so a little margin avoids most rejections while
 * giving up a few percent of each iteration's decrease (0.91 of it at 0.7 of the best step).
 */
const SHORTER = 0.7;

/**
 * `gd`'s fraction instead of {@link SHORTER}: half the predicted step, so that the stiffest
 * modes, which steepest descent does not remove from the next direction as `cg` does, are
 * damped rather than carried on (|1 - gamma lambda| < 1 for twice as stiff a mode). Measured
 * (frame 64, 400 positions, flat start, Poisson cost, probe refined from iteration 10, 20
 * iterations): 2 x 2 tiles ended 3.2e-6 from one device with 0.5, 1.0e-5 with 0.7, and the cost
 * ended lower with 0.5.
 */
const SHORTER_GD = 0.5;

/**
 * The longest predicted step of `gd` and `cg` (see `GradientSolverOptions.maxStep`): 1 is the
 * step to the minimum of a quadratic whose curvature the diagonal preconditioner holds exactly.
 * Longer steps carry the float32 rounding in which tiles differ from one device further.
 * Uncapped, steepest descent's predicted steps alternated between 0.3 and 2 and 2 x 2 tiles
 * drifted to 1.2e-5 from one device in 20 iterations (3.0e-6 capped; same conditions, probe not
 * refined). `cg` uncapped, under floors of the Poisson cost near the one it has now, took steps
 * of 1.68: at 3 counts two of them carried the rounding until a predicted step fell on either
 * side of a boundary of the step grid on tiles and on one device, which parted them by 1.65e-3;
 * at 2.5 the probe drifted a pixel with the object from a blurred-disk start (a translation the
 * cost does not see) where capped steps held it (DESIGN section 6, "The Poisson cost's floor").
 */
const MAX_STEP = 1;

/** Options of {@link GradientSolver}. */
export interface GradientSolverOptions extends Omit<SolverOptions, "iterations"> {
  /** Conjugate directions (`cg`, hybrid Hestenes-Stiefel / Dai-Yuan) or steepest descent (`gd`). */
  conjugate: boolean;
  /** A fixed step instead of the line search (`gd` only; 1 is the preconditioned Newton step). */
  fixedStep?: number;
  /** Halvings of the step before the line search gives up and skips the update (default 12). */
  maxHalvings?: number;
  /**
   * `predicted` (the default): the first trial from the last step's secant (see
   * {@link GradientSolver}), about 1.1 evaluations of F per iteration. `halving`: PtyGer's rule,
   * gamma from twice the last accepted step (at most 1) halved until F does not rise, about 2.3
   * to 2.9; for gradients that are not exact (`--exchange async`), whose slopes `predicted`
   * would trust.
   */
  steps?: "predicted" | "halving";
  /**
   * The longest step `predicted` tries or takes (default 1). Longer steps carry float32 rounding
   * further: tiles then drift from one device, mostly in the object's dimly lit margin.
   */
  maxStep?: number;
  /**
   * `hybrid` (default): max(0, min(beta_HS, beta_DY)) (Dai and Yuan 2001), which keeps
   * `predicted` steps converging (see the class comment); `dai-yuan`: PtyGer's beta.
   */
  direction?: "dai-yuan" | "hybrid";
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
  /** Evaluations of F (with or without its gradient) this iteration made. */
  evaluations: number;
}

/**
 * Preconditioned nonlinear conjugate gradient (hybrid HS / DY) or gradient descent over a
 * {@link Problem}, updating `x` in place.
 *
 * With M the problem's diagonal preconditioner and g = dF/dconj(x):
 * eta_m = -M g_m + beta_m eta_{m-1}, beta_m = max(0, min(beta_HS, beta_DY)) with
 * beta_DY = Re<g_m, M g_m> / Re<eta_{m-1}, g_m - g_{m-1}> (PtyGer eqs. 6 and 8 with the
 * preconditioned inner product) and beta_HS = Re<g_m - g_{m-1}, M g_m> / the same denominator:
 * the hybrid conjugate gradient of Dai and Yuan (Ann. Oper. Res. 103, 33, 2001).
 *
 * The step (`steps: "predicted"`): one trial gamma_0 along eta, evaluated with its gradient, so
 * that an accepted trial hands the next iteration its gradient and an iteration costs one
 * evaluation of F. F along the line, phi(gamma) = F(x + gamma eta), is modelled by the parabola
 * whose slopes at 0 and gamma_0 are phi'(0) = 2 Re<g, eta> and phi'(gamma_0) = 2 Re<g_0, eta>,
 * g_0 the trial's gradient (one more dot product; the Poisson cost is close to quadratic along a
 * preconditioned direction, bilinear probe-object terms included). Its minimiser promises the
 * decrease Re<g, eta> gamma*; 0.7 of it for `cg`, 0.5 for `gd` (kept within twice the trial),
 * divided by the next direction's Re<g, eta>, is the next trial, at most `maxStep` (1).
 * The trial is accepted when F(x + gamma_0 eta) <= F(x) (PtyGer eq. 7 with t = 0); otherwise the
 * minimiser is tried, also with the gradient, and only if that fails does PtyGer's backtracking
 * (halving, F alone) take over. Every quantity is a cost
 * or a dot product that the problem all-reduces in a fixed order, so every tile takes the same
 * decisions with the same bits; and no step is computed from a difference of costs, which tiles
 * round differently from one device (see {@link secantMinimum}).
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
  /**
   * Re<g, eta> gamma at the step the last secant predicted (negative), from which the next
   * trial follows (see the class comment); 0 when unknown, and the trial is then 1.
   */
  #decrease = 0;
  /** With `halving` steps: the first trial, twice the last accepted step and at most 1. */
  #scale = 1;
  /** Evaluations of F in the current iteration. */
  #evaluations = 0;
  /** 1 when the probe was refined in the last iteration; a change restarts the directions. */
  #probeActive = 0;
  /**
   * The gradient at x; after the direction is formed, the gradient at the line search's first
   * trial point (the next iteration's when that trial is accepted).
   */
  readonly #g: V;
  /** F(x) when #g already holds the gradient at x (the first trial was accepted), else null. */
  #known: number | null = null;
  /**
   * With #known, when the accepted trial's secant already opened the next iteration (see
   * {@link acceptAhead}): #work holds M g and these are the opening's dot products, in the order of
   * {@link openingPairs}. Ignored whenever #known is null.
   */
  #ahead: number[] | null = null;
  /** The dot products of the latest {@link gradientAhead}, in the order of {@link openingPairs}. */
  #opening: number[] = [];
  readonly #work: V;
  readonly #direction: V;
  readonly #previous: V | null;
  /** Predicted steps (see `GradientSolverOptions.steps`) rather than halving. */
  readonly #predicted: boolean;
  /** The fraction of the secant's step that the next trial aims at ({@link SHORTER}). */
  readonly #shorter: number;
  /** The longest predicted step (`GradientSolverOptions.maxStep`). */
  readonly #maxStep: number;

  constructor(
    readonly problem: Problem<V>,
    readonly x: V,
    readonly options: GradientSolverOptions,
  ) {
    this.#g = problem.create("gradient");
    this.#work = problem.create("preconditioned gradient and trial point");
    this.#direction = problem.create("direction");
    this.#previous = options.conjugate ? problem.create("previous gradient") : null;
    this.#predicted = (options.steps ?? "predicted") === "predicted";
    this.#shorter = options.conjugate ? SHORTER : SHORTER_GD;
    this.#maxStep = options.maxStep ?? MAX_STEP;
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
      this.#decrease = 0;
      this.#scale = 1;
    }
    this.#probeActive = refine ? 1 : 0;
    problem.setActive({ object: true, probe: refine });

    const g = this.#g;
    const z = this.#work;
    const eta = this.#direction;
    this.#evaluations = 0;
    const ahead = this.#known === null ? null : this.#ahead;
    const cost = this.#known ?? await this.#gradient(x, g);
    // The problem's latest evaluation is at x: just now, or the accepted trial of the last step.
    const rFactor = problem.rFactor;
    this.#known = null;
    this.#ahead = null;
    if (!ahead) await problem.precondition(x, g, z);
    const search = options.fixedStep === undefined;
    let beta = 0;
    // Re<g, eta>, half the slope of F along eta at x: eta = beta eta_{m-1} - M g.
    let slope = 0;
    if (this.#previous && this.#hasDirection) {
      const hybridBeta = options.direction !== "dai-yuan";
      const [etaG, gz, etaPrevious, previousZ] = ahead ?? await this.#dots(this.#openingPairs());
      const denominator = etaG - etaPrevious;
      // The hybrid of Dai and Yuan (2001): max(0, min(beta_HS, beta_DY)). Dai-Yuan alone keeps
      // too much of the last direction when steps stop short of the line's minimum (its
      // denominator shrinks with the step; directions then grew fivefold in 60 iterations
      // and steps shrank alike); Hestenes-Stiefel's numerator Re<g - g_{m-1}, M g> restarts by
      // itself where little changed. The denominator is positive along a descent direction that
      // the line search shortened enough; otherwise restart from the preconditioned steepest
      // descent. The new direction must descend too: beta Re<eta, g> - Re<g, M g> < 0.
      if (hybridBeta) {
        const hybrid = Math.max(0, Math.min((gz - previousZ) / denominator, gz / denominator));
        // On a grid, like the steps (see onGrid): Hestenes-Stiefel's numerator is a difference of
        // nearly equal all-reduced sums once the gradient changes little.
        if (denominator > 0 && Number.isFinite(hybrid)) beta = hybrid > 0 ? onGrid(hybrid) : 0;
      } else if (denominator > 0 && Number.isFinite(gz / denominator)) {
        beta = gz / denominator;
      }
      if (!(beta * etaG - gz < 0)) beta = 0;
      slope = beta * etaG - gz;
    } else if (search && this.#predicted) {
      slope = -(ahead ? ahead[1] : (await this.#dots([[g, z]]))[0]);
    }
    if (beta !== 0) {
      problem.scale(eta, beta, eta);
      problem.axpy(eta, eta, -1, z);
    }
    if (beta === 0) problem.scale(eta, -1, z);
    if (this.#previous) problem.copy(g, this.#previous);

    const { newCost, step } = search
      ? await this.#lineSearch(cost, slope, refine)
      : this.#fixedStep(options.fixedStep!);
    this.#hasDirection = step > 0 ? 1 : 0;
    this.#iteration++;
    // After an accepted step the latest evaluation is the accepted trial's.
    const newRFactor = newCost === undefined ? undefined : step > 0 ? problem.rFactor : rFactor;
    return { cost, newCost, step, rFactor, newRFactor, evaluations: this.#evaluations };
  }

  /**
   * The cost changed under the solver (position correction moved the scan): the gradient kept
   * from the last accepted trial no longer belongs to x, so the next step evaluates it anew.
   */
  forget(): void {
    this.#known = null;
  }

  /**
   * x was set anew from outside (position correction restarts the object): the directions, the
   * kept gradient and the step history start over, as in the first iteration.
   */
  restart(): void {
    this.#known = null;
    this.#hasDirection = 0;
    this.#decrease = 0;
    this.#scale = 1;
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
        expectedDecrease: this.#decrease,
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
    this.#decrease = saved.scalars.expectedDecrease;
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
   * The step along eta (see the class comment): a trial at gamma_0 with the gradient; if F rose,
   * the secant's minimiser with the gradient; if F still rose, PtyGer Algorithm 1's halving on F
   * alone. With `halving` steps, the trial is twice the last step and then halved. The next iteration starts from the gradient of an accepted trial instead
   * of recomputing it at the same point.
   */
  async #lineSearch(
    cost: number,
    slope: number,
    refine: boolean,
  ): Promise<{ newCost: number; step: number }> {
    const { problem, x } = this;
    const trial = this.#work;
    // The trial point's inactive parts (the probe before refinement) must be those of x.
    this.#everything(() => problem.copy(x, trial), refine);
    const predicted = this.#predicted;
    const first = predicted
      ? Math.min(this.#maxStep, this.#decrease < 0 ? onGrid(this.#decrease / slope) : 1)
      : this.#scale;
    problem.axpy(trial, x, first, this.#direction);
    if (!predicted) {
      const firstCost = await this.#gradient(trial, this.#g);
      if (firstCost <= cost) {
        this.#accept(slope * this.#shorter * first, firstCost, first);
        return { newCost: firstCost, step: first };
      }
      return await this.#halve(cost, slope, first);
    }
    const firstCost = await this.#gradientAhead(trial);
    if (firstCost <= cost) {
      const best = this.#acceptAhead(slope, first);
      this.#accept(slope * Math.min(2 * first, this.#shorter * best), firstCost, first, true);
      return { newCost: firstCost, step: first };
    }
    const best = secantMinimum(slope, first, this.#opening[0]);
    const gamma = onGrid(Math.min(first / 2, Math.max(first / 16, best)));
    problem.axpy(trial, x, gamma, this.#direction);
    const secondCost = await this.#gradientAhead(trial);
    if (secondCost <= cost) {
      const next = this.#shorter * this.#acceptAhead(slope, gamma);
      this.#accept(slope * Math.min(2 * gamma, next), secondCost, gamma, true);
      return { newCost: secondCost, step: gamma };
    }
    return await this.#halve(cost, slope, gamma);
  }

  /**
   * F at the trial point (in #work) and its gradient into #g, then, before F says whether the
   * trial is accepted, what the next iteration opens with if it is: M g into #work (the trial
   * point, which an accepted step rebuilds in x, see {@link acceptAhead}) and the opening's dot
   * products into #opening, whose first, Re<eta, g>, is the secant's either way. With
   * `gradientThenDots` the cost and the dot products come back in one read-back and one
   * all-reduce: each read-back waits until the device has run all its queue, idle then until the
   * host submits again, and on tiles each all-reduce synchronises the tiles. A rejected trial
   * wastes one division and the dot products.
   */
  async #gradientAhead(trial: V): Promise<number> {
    const { problem } = this;
    const g = this.#g;
    const pairs = this.#openingPairs();
    this.#evaluations++;
    if (problem.gradientThenDots) {
      const { cost, dots } = await problem.gradientThenDots(trial, g, trial, pairs);
      this.#opening = dots;
      return cost;
    }
    const cost = await problem.gradient(trial, g);
    await problem.precondition(trial, g, trial);
    this.#opening = await this.#dots(pairs);
    return cost;
  }

  /** PtyGer Algorithm 1's backtracking from `gamma`: halved until F does not rise, F alone. */
  async #halve(
    cost: number,
    slope: number,
    gamma: number,
  ): Promise<{ newCost: number; step: number }> {
    const { problem, x } = this;
    const trial = this.#work;
    const halvings = this.options.maxHalvings ?? 12;
    for (let k = 0; k < halvings; k++) {
      gamma /= 2;
      problem.axpy(trial, x, gamma, this.#direction);
      this.#evaluations++;
      const newCost = await problem.cost(trial);
      if (newCost <= cost) {
        this.#accept(slope * this.#shorter * gamma, null, gamma);
        return { newCost, step: gamma };
      }
    }
    return { newCost: cost, step: 0 };
  }

  /**
   * The trial at `gamma`, evaluated by {@link gradientAhead}, is accepted with predicted steps:
   * x <- x + gamma eta, which has the trial point's bits (the same kernel on the same operands;
   * #work holds M g now), and the next iteration opens with #work and #opening (#ahead). The
   * values and their bits are those the next iteration would compute, from the same vectors; it
   * takes them only if it starts from this gradient (#known), else computes them anew. Returns
   * the secant's minimiser along eta (see {@link secantMinimum}).
   */
  #acceptAhead(slope: number, gamma: number): number {
    this.problem.axpy(this.x, this.x, gamma, this.#direction);
    this.#ahead = this.#opening;
    return secantMinimum(slope, gamma, this.#opening[0]);
  }

  /**
   * The dot products that open an iteration from x, its gradient g and z = M g (in #work), each
   * with the bits of its `dot`: Re<eta, g> of the last direction first (the secant's), then
   * Re<g, z>, and for `cg` Re<eta, g_{m-1}> and, for the hybrid beta, Re<g_{m-1}, z>.
   */
  #openingPairs(): [V, V][] {
    const g = this.#g;
    const z = this.#work;
    const eta = this.#direction;
    const pairs: [V, V][] = [[eta, g], [g, z]];
    if (this.#previous) {
      pairs.push([eta, this.#previous]);
      if (this.options.direction !== "dai-yuan") pairs.push([this.#previous, z]);
    }
    return pairs;
  }

  /**
   * x <- the trial point (`ahead`: {@link acceptAhead} did it and opened the next iteration);
   * `decrease`: Re<g, eta> gamma at the next trial's gamma; `known`: F at the trial when #g holds
   * its gradient; `gamma`: the step taken.
   */
  #accept(decrease: number, known: number | null, gamma: number, ahead = false): void {
    if (!ahead) this.problem.copy(this.#work, this.x);
    this.#known = known;
    this.#decrease = decrease;
    this.#scale = Math.min(1, 2 * gamma);
  }

  #gradient(x: V, g: V): Promise<number> {
    this.#evaluations++;
    return this.problem.gradient(x, g);
  }

  /** Dot products in order (on tiles each is a collective every worker calls in sequence). */
  async #dots(pairs: [V, V][]): Promise<number[]> {
    if (this.problem.dots) return await this.problem.dots(pairs);
    const out: number[] = [];
    for (const [a, b] of pairs) out.push(await this.problem.dot(a, b));
    return out;
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

/**
 * The minimiser of the parabola phi along eta whose slopes are phi'(0) = 2 `slope` (< 0) and
 * phi'(gamma) = 2 `end`: gamma slope / (slope - end), the secant of phi' through its two slopes;
 * Infinity when phi' does not rise (F still falls as steeply at gamma). Unlike the parabola
 * through F(0) and F(gamma), it never subtracts two large costs: both slopes are dot products of
 * the direction with a gradient, whose rounding is relative to themselves, so tiles and one
 * device predict the same step.
 */
export function secantMinimum(slope: number, gamma: number, end: number): number {
  return end > slope ? (gamma * slope) / (slope - end) : Infinity;
}

/**
 * gamma rounded to the nearest power of 2^(1/4). The step comes from all-reduced dot products
 * that tiles sum in another order than one device; on the grid both take the very same steps
 * unless a prediction falls on a rounding boundary, as PtyGer's powers of two do; a step within
 * 9% of the prediction loses under 1% of the decrease.
 */
function onGrid(gamma: number): number {
  return 2 ** (Math.round(4 * Math.log2(gamma)) / 4);
}
