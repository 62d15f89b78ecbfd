/**
 * The sequential classics, ePIE (Maiden & Rodenburg 2009) and rPIE (Maiden, Johnson & Li 2017),
 * one position at a time on a single device, as the familiar baseline.
 *
 * Both are written as steps along the Wirtinger gradient of one position's amplitude cost
 * F_j = sum (|Psi| - sqrt(d))^2: its gradient with respect to conj(exit wave) is Psi - Psi' (Psi'
 * the modulus-constrained far field, transformed back), so O <- O - a dF_j/dconj(O) is ePIE's
 * O + a conj(P) (psi' - psi). Written so, modes and multislice (3PIE) come for free from the
 * model's adjoint chain.
 *
 * They run on the float64 reference problem, or on the GPU problem through its single-position
 * updates (`PositionUpdates`, the same steps as {@link referenceUpdates} on the device).
 *
 * @module
 */
import { ReferenceProblem, type ReferenceVector } from "../physics/reference_problem.ts";
import {
  type GpuProblem,
  type GpuVariables,
  type PieStepOptions,
  PositionUpdates,
} from "../problem/mod.ts";
import { Random } from "../simulate/random.ts";
import type { SolverOptions, SolverResult } from "./types.ts";

export type { PieStepOptions } from "../problem/mod.ts";

/** What the sequential engines need of a problem: its cost and one position's update. */
export interface PieTarget<V> {
  /** Number of scan positions. */
  readonly count: number;
  cost(x: V): Promise<number>;
  /** Records or applies the update of `x` at position j. */
  step(x: V, j: number, o: PieStepOptions): void;
  /** Waits until every recorded update is done. */
  finish(): Promise<void>;
  destroy(): void;
}

/** Options of {@link epie} and {@link rpie}. */
export interface PieOptions extends SolverOptions {
  /**
   * ePIE: object step (default 1), scaled by 1 / max |P|^2. rPIE: the weight of max |P|^2 in the
   * denominator (1 - alpha) |P|^2 + alpha max |P|^2 (default 0.1).
   */
  alpha?: number;
  /**
   * The same for the probe update, with the object's intensity (default 1 for both: rPIE's probe
   * update with beta = 1 is ePIE's, which stays stable where a multislice object is dark).
   */
  beta?: number;
  /** Seed of the random position order; iteration i uses seed + i, so a resume repeats it. */
  seed?: number;
  /** Continue from iteration `start` (x already holds its result). */
  start?: number;
}

/**
 * ePIE: for each position in random order, object and probe both stepped against the
 * position's amplitude-cost gradient, scaled by alpha / max |P|^2 and beta / max |O|^2.
 * `x` is updated in place; on the GPU every update stays on the device.
 *
 * @example
 * ```ts
 * const { costs } = await epie(problem, x, { iterations: 20, refineProbeFrom: 5 });
 * ```
 */
export function epie(
  problem: ReferenceProblem,
  x: ReferenceVector,
  options: PieOptions,
): Promise<SolverResult>;
export function epie(
  problem: GpuProblem,
  x: GpuVariables,
  options: PieOptions,
): Promise<SolverResult>;
export function epie(
  problem: ReferenceProblem | GpuProblem,
  x: ReferenceVector | GpuVariables,
  options: PieOptions,
): Promise<SolverResult> {
  return run(problem, x, options, "epie");
}

/**
 * rPIE: like ePIE, with the per-pixel denominators (1 - alpha) |P|^2 + alpha max |P|^2 (and the
 * same for the probe), which keeps well-lit pixels at a near-Newton step.
 */
export function rpie(
  problem: ReferenceProblem,
  x: ReferenceVector,
  options: PieOptions,
): Promise<SolverResult>;
export function rpie(
  problem: GpuProblem,
  x: GpuVariables,
  options: PieOptions,
): Promise<SolverResult>;
export function rpie(
  problem: ReferenceProblem | GpuProblem,
  x: ReferenceVector | GpuVariables,
  options: PieOptions,
): Promise<SolverResult> {
  return run(problem, x, options, "rpie");
}

async function run(
  problem: ReferenceProblem | GpuProblem,
  x: ReferenceVector | GpuVariables,
  options: PieOptions,
  variant: "epie" | "rpie",
): Promise<SolverResult> {
  if (problem instanceof ReferenceProblem) {
    return await sweeps(problem, referenceUpdates(problem), x as ReferenceVector, options, variant);
  }
  const target = await gpuUpdates(problem);
  try {
    return await sweeps(problem, target, x as GpuVariables, options, variant);
  } finally {
    target.destroy();
  }
}

async function sweeps<V>(
  problem: { setActive(parts: { object: boolean; probe: boolean }): void },
  target: PieTarget<V>,
  x: V,
  options: PieOptions,
  variant: "epie" | "rpie",
): Promise<SolverResult> {
  const costs: number[] = [];
  const first = options.start ?? 0;
  for (let iteration = first; iteration < first + options.iterations; iteration++) {
    const refine = options.refineProbeFrom !== undefined && iteration >= options.refineProbeFrom;
    problem.setActive({ object: true, probe: refine });
    const cost = await target.cost(x);
    costs.push(cost);
    await pieSweep(target, x, {
      variant,
      alpha: options.alpha,
      beta: options.beta,
      refine,
      seed: (options.seed ?? 0) + iteration,
    });
    if ((await options.onIteration?.(iteration, cost)) === "stop") break;
  }
  costs.push(await target.cost(x));
  return { costs };
}

/** Options of {@link pieSweep}. */
export interface PieSweepOptions {
  variant: "epie" | "rpie";
  /** As in {@link PieOptions}. */
  alpha?: number;
  beta?: number;
  /** Whether the probe is updated too. */
  refine: boolean;
  /** Seed of this sweep's random position order. */
  seed: number;
}

/**
 * One ePIE or rPIE iteration: every position once, in a random order, object (and probe when
 * `refine`) updated after each. `epie` and `rpie` are this plus the cost bookkeeping.
 */
export async function pieSweep<V>(target: PieTarget<V>, x: V, o: PieSweepOptions): Promise<void> {
  const step: PieStepOptions = {
    variant: o.variant,
    alpha: o.alpha ?? (o.variant === "epie" ? 1 : 0.1),
    beta: o.beta ?? 1,
    probe: o.refine,
  };
  for (const j of shuffled(target.count, o.seed)) target.step(x, j, step);
  await target.finish();
}

/** The single-position updates of the GPU problem, as a {@link PieTarget}. */
export async function gpuUpdates(problem: GpuProblem): Promise<PieTarget<GpuVariables>> {
  const updates = await PositionUpdates.create(problem);
  return {
    count: problem.scan.count,
    cost: (x) => problem.cost(x),
    step: (x, j, o) => updates.step(x, j, o),
    finish: () => problem.gpu.finish(),
    destroy: () => updates.destroy(),
  };
}

/** The single-position updates on the float64 reference, as a {@link PieTarget}. */
export function referenceUpdates(problem: ReferenceProblem): PieTarget<ReferenceVector> {
  const { frame, objectShape: [h, w], slices, frames } = problem.options;
  const model = problem.model;
  const g = problem.create("position gradient");
  const step = (x: ReferenceVector, j: number, o: PieStepOptions) => {
    model.evaluate({
      ...x,
      frames,
      noise: "gaussian",
      positions: [j],
      objectGradient: g.object,
      probeGradient: o.probe ? g.probe : undefined,
    });
    const win = model.windows[j];
    const probePower = power(x.probe, frame);
    const objectPower = windowPower(x.object, { h, w, slices, frame, ...win });
    const pMax = Math.max(...probePower);
    const oMax = Math.max(...objectPower);
    for (let s = 0; s < slices; s++) {
      // All slices are stepped at once from the same residual (3PIE steps them one after
      // another): each takes 1/S of the step, or together they overshoot S times.
      for (let y = 0; y < frame; y++) {
        for (let xx = 0; xx < frame; xx++) {
          const p = 2 * ((s * h + win.top + y) * w + win.left + xx);
          const f = factor(o.variant, o.alpha, probePower[y * frame + xx], pMax) / slices;
          x.object[p] -= f * g.object[p];
          x.object[p + 1] -= f * g.object[p + 1];
          g.object[p] = g.object[p + 1] = 0;
        }
      }
    }
    if (o.probe) {
      const m2 = frame * frame;
      for (let i = 0; i < g.probe.length / 2; i++) {
        const f = factor(o.variant, o.beta, objectPower[i % m2], oMax);
        x.probe[2 * i] -= f * g.probe[2 * i];
        x.probe[2 * i + 1] -= f * g.probe[2 * i + 1];
      }
      g.probe.fill(0);
    }
  };
  return {
    count: model.count,
    cost: (x) => problem.cost(x),
    step,
    finish: () => Promise.resolve(),
    destroy: () => problem.destroy(g),
  };
}

/** ePIE: a / max. rPIE: 1 / ((1 - a) local + a max). */
function factor(variant: "epie" | "rpie", a: number, local: number, max: number): number {
  return variant === "epie" ? a / max : 1 / ((1 - a) * local + a * max);
}

/** sum_k |P_k|^2 per frame pixel. */
function power(probe: Float64Array, frame: number): Float64Array {
  const m2 = frame * frame;
  const out = new Float64Array(m2);
  for (let i = 0; i < probe.length / 2; i++) {
    out[i % m2] += probe[2 * i] ** 2 + probe[2 * i + 1] ** 2;
  }
  return out;
}

/** prod_s |O_s|^2 over one window, per frame pixel. */
function windowPower(
  object: Float64Array,
  o: { h: number; w: number; slices: number; frame: number; top: number; left: number },
): Float64Array {
  const out = new Float64Array(o.frame * o.frame).fill(1);
  for (let s = 0; s < o.slices; s++) {
    for (let y = 0; y < o.frame; y++) {
      for (let x = 0; x < o.frame; x++) {
        const p = 2 * ((s * o.h + o.top + y) * o.w + o.left + x);
        out[y * o.frame + x] *= object[p] ** 2 + object[p + 1] ** 2;
      }
    }
  }
  return out;
}

/** 0..n-1 in a random order (Fisher-Yates) fixed by the seed. */
function shuffled(n: number, seed: number): number[] {
  const rng = new Random(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const k = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[k]] = [order[k], order[i]];
  }
  return order;
}
