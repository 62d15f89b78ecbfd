/**
 * LSQ-ML, the least-squares maximum-likelihood method of Odstrčil, Menzel and Guizar-Sicairos
 * (Opt. Express 26, 3108, 2018), as PtychoShelves and pty-chi run it: mini-batches of sparse
 * positions, each updating object and probe along directions from its exit-wave residuals with
 * step lengths from a 2 x 2 least-squares solve. The batches' device work is `LsqmlSweep`'s; this
 * file holds the iteration (probe refinement from an iteration on, checkpoint state) and the
 * step rule.
 *
 * @module
 */
import type { GpuVariables, LsqmlSweep, StepRule, Steps, StepSums } from "../problem/mod.ts";
import type { StepResult } from "./gradient_solver.ts";

/**
 * Steps longer than this are cut to it: the step sums model the exit waves as linear in each
 * step, which a long step leaves (the product dP dO it ignores grows with both), and the
 * residuals are large on pixels the model leaves dark. Measured on `bench quality`'s data
 * (frame 64, 400 positions, 1e8 photons, estimated probe, 50 iterations) with the Poisson
 * model's residual as the exit-wave target (before `LsqmlSweep` took the modulus projection's):
 * with 2, 29.1 dB after 20 iterations, then the run diverged (-7.9 dB after 50); with 1, 30.1 and
 * 32.3 dB. With the modulus projection's residual and 2: 31.5 and 35.6 dB.
 */
export const LSQML_MAX_STEP = 1;

/**
 * Relative Tikhonov weight on the normal equations' diagonal: keeps the 2 x 2 solve regular
 * when the object's and the probe's exit-wave changes are nearly parallel (a batch where the
 * probe and the object are close to uniform), where the unregularised solve trades a large
 * object step against an opposite probe step.
 */
export const LSQML_RIDGE = 1e-3;

/** The step rule {@link lsqmlSteps} states, as the sweep's device solve takes it. */
export const LSQML_RULE: StepRule = { maxStep: LSQML_MAX_STEP, ridge: LSQML_RIDGE };

/**
 * The step lengths minimising || G - aO A - aP B ||^2 (Odstrčil et al. eq. 23; see `StepSums`),
 * the diagonal weighted by 1 + LSQML_RIDGE, each kept within [0, LSQML_MAX_STEP]: a negative
 * step would climb F along its direction. Without probe terms (bb = 0), aO = AG / AA. The float64
 * reference of the device's solve (`LsqmlStepSolve.solve` with {@link LSQML_RULE}).
 */
export function lsqmlSteps(s: StepSums): Steps {
  const clamp = (a: number) => Number.isFinite(a) ? Math.min(LSQML_MAX_STEP, Math.max(0, a)) : 0;
  if (!(s.aa > 0)) return { object: 0, probe: s.bb > 0 ? clamp(s.bg / s.bb) : 0 };
  if (!(s.bb > 0)) return { object: clamp(s.ag / s.aa), probe: 0 };
  const aa = s.aa * (1 + LSQML_RIDGE);
  const bb = s.bb * (1 + LSQML_RIDGE);
  const det = aa * bb - s.ab * s.ab;
  return {
    object: clamp((bb * s.ag - s.ab * s.bg) / det),
    probe: clamp((aa * s.bg - s.ab * s.ag) / det),
  };
}

/**
 * After each sweep that refines the probe, following one that did too, object and probe move on by
 * this fraction of their velocity: with x' the sweep's result and x_p the previous sweep's,
 * v = x' - x_p (the sweep's change plus the last extrapolation) and x <- x' + gamma v, a heavy
 * ball on the sweeps (the momentum acceleration of PtychoShelves' and pty-chi's LSQ-ML, in its
 * plainest form), restarted (v dropped) after a sweep whose reported cost rose. The slow mode of a
 * run from an estimated probe is the probe and the object trading errors: with the true probe one
 * sweep reaches 33.7 dB on `bench quality`'s frame-128 set. Measured there (probe estimated and
 * refined from iteration 2, batches of 16), phase PSNR after 10 and 15 iterations: 29.1 and 31.0 dB
 * without, 30.8 and 32.7 dB with 0.5 on both; 33 dB after 18 iterations with 0.5, 15 with 0.8
 * (31.1 and 33.3 dB after 10 and 15, 35.1 after 20) and 16 with 0.9.
 */
export const LSQML_MOMENTUM = 0.8;

/**
 * What an LSQ-ML solver saves: its unknowns, the last sweep's result and the iteration; in
 * `scalars`, `lastCost`, the last sweep's cost (absent before the first).
 */
export interface LsqmlState<V> {
  algorithm: "lsqml";
  iteration: number;
  vectors: Record<string, V>;
  scalars: Record<string, number>;
}

/** Options of {@link LsqmlSolver}. */
export interface LsqmlOptions {
  /** First iteration at which the probe is refined as well (never when undefined). */
  refineProbeFrom?: number;
}

/**
 * LSQ-ML over a sweep of mini-batches, updating `x` in place. Each iteration is one sweep: the
 * cost it reports is the amplitude cost (whatever the noise model) summed batch by batch, each
 * batch's at the unknowns that batch saw (as PtychoShelves reports it), so it is not F at one
 * point; no evaluation of F besides.
 *
 * @example
 * ```ts
 * const solver = new LsqmlSolver(new LsqmlSweep(problem, 8), x, { refineProbeFrom: 2 });
 * for (let i = 0; i < 10; i++) await solver.step();
 * solver.destroy();
 * ```
 */
export class LsqmlSolver {
  #iteration = 0;
  /** The last sweep's result before its extrapolation (see {@link LSQML_MOMENTUM}). */
  readonly #previous: GpuVariables;
  /** The last sweep's cost (null before the first): a sweep that raised it restarts the momentum. */
  #lastCost: number | null = null;

  constructor(
    readonly sweep: LsqmlSweep,
    readonly x: GpuVariables,
    readonly options: LsqmlOptions,
  ) {
    this.#previous = sweep.problem.create("lsqml previous sweep");
  }

  get iteration(): number {
    return this.#iteration;
  }

  async step(): Promise<StepResult> {
    const from = this.options.refineProbeFrom;
    const probe = from !== undefined && this.#iteration >= from;
    const { cost, rFactor } = await this.sweep.sweep(this.x, { probe, rule: LSQML_RULE });
    // Adaptive restart: a sweep whose cost rose drops the velocity instead of extrapolating it.
    const rose = this.#lastCost !== null && cost > this.#lastCost;
    this.#lastCost = cost;
    if (probe) this.#momentum(this.#iteration > from! && !rose);
    this.#iteration++;
    return { cost, newCost: undefined, step: 1, rFactor, evaluations: 1 };
  }

  /**
   * x <- x + gamma (x - previous) and previous <- x before it, or only the latter after the first
   * refining sweep.
   */
  #momentum(extrapolate: boolean): void {
    const { gpu, ew, sizes } = this.sweep.problem;
    for (const part of ["object", "probe"] as const) {
      const [x, v, floats] = [this.x[part], this.#previous[part], 2 * sizes[part]];
      if (!extrapolate) {
        gpu.copy(x, 0, v, 0, 4 * floats);
        continue;
      }
      ew.axpy(v, x, -1, v, floats);
      ew.axpy(x, x, LSQML_MOMENTUM, v, floats);
      ew.axpy(v, x, -LSQML_MOMENTUM, v, floats);
    }
  }

  state(): LsqmlState<GpuVariables> {
    return {
      algorithm: "lsqml",
      iteration: this.#iteration,
      vectors: { x: this.x, previous: this.#previous },
      scalars: this.#lastCost === null ? {} : { lastCost: this.#lastCost },
    };
  }

  /** Takes a saved state's unknowns (copied) and iteration. */
  restore(saved: LsqmlState<GpuVariables>): void {
    if (saved.algorithm !== "lsqml") {
      throw new TypeError(`Cannot resume lsqml from a ${saved.algorithm} state`);
    }
    const { gpu } = this.sweep.problem;
    const { sizes } = this.sweep.problem;
    for (const part of ["object", "probe"] as const) {
      const bytes = 8 * sizes[part];
      gpu.copy(saved.vectors.x[part], 0, this.x[part], 0, bytes);
      gpu.copy(saved.vectors.previous[part], 0, this.#previous[part], 0, bytes);
    }
    this.#iteration = saved.iteration;
    this.#lastCost = saved.scalars.lastCost ?? null;
  }

  destroy(): void {
    this.sweep.problem.destroy(this.#previous);
    this.sweep.destroy();
  }
}
