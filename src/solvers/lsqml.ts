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

/** What an LSQ-ML solver saves: its unknowns and iteration (it keeps no other state). */
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

  constructor(
    readonly sweep: LsqmlSweep,
    readonly x: GpuVariables,
    readonly options: LsqmlOptions,
  ) {}

  get iteration(): number {
    return this.#iteration;
  }

  async step(): Promise<StepResult> {
    const from = this.options.refineProbeFrom;
    const probe = from !== undefined && this.#iteration >= from;
    const { cost, rFactor } = await this.sweep.sweep(this.x, { probe, rule: LSQML_RULE });
    this.#iteration++;
    return { cost, newCost: undefined, step: 1, rFactor, evaluations: 1 };
  }

  state(): LsqmlState<GpuVariables> {
    return { algorithm: "lsqml", iteration: this.#iteration, vectors: { x: this.x }, scalars: {} };
  }

  /** Takes a saved state's unknowns (copied) and iteration. */
  restore(saved: LsqmlState<GpuVariables>): void {
    if (saved.algorithm !== "lsqml") {
      throw new TypeError(`Cannot resume lsqml from a ${saved.algorithm} state`);
    }
    const { gpu } = this.sweep.problem;
    for (const part of ["object", "probe"] as const) {
      gpu.copy(saved.vectors.x[part], 0, this.x[part], 0, this.x[part].size);
    }
    this.#iteration = saved.iteration;
  }

  destroy(): void {
    this.sweep.destroy();
  }
}
