/**
 * The session of the sequential classics `epie` and `rpie` on one device: one step is one sweep
 * over every position in a random order (`pieSweep` of `src/solvers/pie.ts`), each position's
 * update applied on the device before the next. The order of iteration i depends only on the
 * seed and i, so a run resumed from a checkpoint repeats exactly what it would have done.
 */
import type { Gpu } from "../gpu/device.ts";
import type { GpuProblem, GpuVariables } from "../problem/gpu_problem.ts";
import { pieSweep, type PieTarget } from "../solvers/pie.ts";
import { tiledCheckpoint, tileStatesOf } from "./checkpoint_format.ts";
import type { Checkpoint } from "./checkpoint.ts";
import type { Session, SessionResult } from "./session.ts";

/** Options of {@link PieSession}. */
export interface PieSessionOptions {
  gpu: Gpu;
  problem: GpuProblem;
  /** Single-position updates of `problem`. */
  target: PieTarget<GpuVariables>;
  /** The unknowns, holding the initial object and probe. */
  x: GpuVariables;
  variant: "epie" | "rpie";
  refineProbeFrom: number | undefined;
  /** Seed of the position orders. */
  seed: number;
  objectShape: [number, number, number];
  probeShape: [number, number, number];
}

/** `epie` or `rpie` on one device. */
export class PieSession implements Session {
  readonly workers = 1;
  readonly adapter: { description: string; fallback: boolean };
  readonly costs: number[] = [];
  readonly rFactors: number[] = [];
  #iteration = 0;

  constructor(readonly options: PieSessionOptions) {
    this.adapter = options.gpu.info;
  }

  get iteration(): number {
    return this.#iteration;
  }

  async step(): Promise<number> {
    const { problem, target, x, variant, refineProbeFrom, seed } = this.options;
    const refine = refineProbeFrom !== undefined && this.#iteration >= refineProbeFrom;
    problem.setActive({ object: true, probe: refine });
    const cost = await target.cost(x);
    const rFactor = problem.rFactor;
    await pieSweep(target, x, { variant, refine, seed: seed + this.#iteration });
    this.#iteration++;
    this.costs.push(cost);
    this.rFactors.push(rFactor);
    return cost;
  }

  /** The engine's checkpoint format, as one tile whose only vector is the unknowns. */
  async checkpoint(): Promise<Checkpoint> {
    const { problem, variant } = this.options;
    const x = await problem.download(this.options.x);
    return tiledCheckpoint({
      states: [{
        tile: 0,
        algorithm: variant,
        iteration: this.#iteration,
        scalars: {},
        vectors: { x },
      }],
      costs: this.costs,
      lastCost: null,
    });
  }

  /** Continues from a checkpoint written by {@link checkpoint}. */
  async restore(checkpoint: Checkpoint): Promise<void> {
    const { gpu, x, variant } = this.options;
    const { states: [state], costs } = tileStatesOf(checkpoint, 1);
    if (state.algorithm !== variant) {
      throw new TypeError(`Cannot resume ${variant} from a ${state.algorithm} state`);
    }
    gpu.write(x.object, state.vectors.x.object);
    gpu.write(x.probe, state.vectors.x.probe);
    await gpu.finish();
    this.#iteration = state.iteration;
    this.costs.splice(0, this.costs.length, ...costs);
    // Checkpoints keep costs only: the R-factors of iterations before a resume are unknown.
    this.rFactors.splice(0, this.rFactors.length, ...costs.map(() => NaN));
  }

  async result(): Promise<SessionResult> {
    const { problem, target, x, objectShape, probeShape } = this.options;
    const parts = await problem.download(x);
    const finalCost = await target.cost(x);
    return {
      object: { shape: objectShape, data: parts.object },
      probe: { shape: probeShape, data: parts.probe },
      finalCost,
      finalRFactor: problem.rFactor,
    };
  }

  deviceBytesPeak(): number[] {
    return [this.options.gpu.memory.peak];
  }

  destroy(): Promise<void> {
    const { gpu, problem, target, x } = this.options;
    target.destroy();
    problem.destroy(x);
    problem.dispose();
    gpu.destroy();
    return Promise.resolve();
  }
}
