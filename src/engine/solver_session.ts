/**
 * {@link SolverSession}: a {@link Session} over a gradient solver (`cg`, `gd`) and any
 * {@link Problem}, one device or the CPU reference. Checkpoints hold the solver's vectors as
 * their exact float bits, so a resumed run continues bit for bit.
 */
import type { ComplexArray } from "../data/dataset.ts";
import { GradientSolver, type SolverState } from "../solvers/gradient_solver.ts";
import type { Problem } from "../solvers/types.ts";
import type { Checkpoint, CheckpointArray } from "./checkpoint.ts";
import type { Session } from "./session.ts";

/** Moves the parts of one vector of unknowns between the problem and the host. */
export interface VectorIo<V> {
  read(v: V): Promise<{ object: Float32Array | Float64Array; probe: Float32Array | Float64Array }>;
  write(v: V, parts: { object: CheckpointArray; probe: CheckpointArray }): Promise<void>;
  /** Completes recorded work that reads vectors about to be destroyed (device queues). */
  settle(): Promise<void>;
}

/** Options of {@link SolverSession}. */
export interface SolverSessionOptions<V> {
  problem: Problem<V>;
  /** The unknowns, already holding the initial object and probe. */
  x: V;
  io: VectorIo<V>;
  algorithm: "cg" | "gd";
  refineProbeFrom?: number;
  /** Object S x H x W and probe K x M x M shapes, for the result. */
  objectShape: [number, number, number];
  probeShape: [number, number, number];
  adapter: { description: string; fallback: boolean };
  deviceBytesPeak: () => number[];
  /** Releases the problem's device resources. */
  release: () => void | Promise<void>;
}

/** One device (or the CPU reference) running `cg` or `gd`. */
export class SolverSession<V> implements Session {
  readonly workers = 1;
  readonly adapter: { description: string; fallback: boolean };
  readonly #solver: GradientSolver<V>;
  readonly #costs: number[] = [];
  #lastCost: number | null = null;

  constructor(readonly options: SolverSessionOptions<V>) {
    this.adapter = options.adapter;
    this.#solver = new GradientSolver(options.problem, options.x, {
      conjugate: options.algorithm === "cg",
      refineProbeFrom: options.refineProbeFrom,
    });
  }

  get iteration(): number {
    return this.#solver.iteration;
  }

  get costs(): readonly number[] {
    return this.#costs;
  }

  async step(): Promise<number> {
    const { cost, newCost } = await this.#solver.step();
    this.#costs.push(cost);
    this.#lastCost = newCost ?? null;
    return cost;
  }

  async checkpoint(): Promise<Checkpoint> {
    const state = this.#solver.state();
    const arrays: Record<string, CheckpointArray> = {};
    for (const [name, v] of Object.entries(state.vectors)) {
      const parts = await this.options.io.read(v);
      arrays[`${name}.object`] = parts.object;
      arrays[`${name}.probe`] = parts.probe;
    }
    return {
      meta: {
        algorithm: state.algorithm,
        solverIteration: state.iteration,
        scalars: state.scalars,
        vectors: Object.keys(state.vectors),
        costs: [...this.#costs],
        lastCost: this.#lastCost,
      },
      arrays,
    };
  }

  /** Continues from a checkpoint written by {@link checkpoint}. */
  async restore(checkpoint: Checkpoint): Promise<void> {
    const { problem, io } = this.options;
    const meta = checkpoint.meta as {
      algorithm: "cg" | "gd";
      solverIteration: number;
      scalars: Record<string, number>;
      vectors: string[];
      costs: number[];
      lastCost: number | null;
    };
    const vectors: Record<string, V> = {};
    try {
      for (const name of meta.vectors) {
        const v = problem.create(`checkpoint ${name}`);
        vectors[name] = v;
        await io.write(v, {
          object: checkpoint.arrays[`${name}.object`],
          probe: checkpoint.arrays[`${name}.probe`],
        });
      }
      const state: SolverState<V> = {
        algorithm: meta.algorithm,
        iteration: meta.solverIteration,
        vectors,
        scalars: meta.scalars,
      };
      this.#solver.restore(state);
      await io.settle();
    } finally {
      for (const v of Object.values(vectors)) problem.destroy(v);
    }
    this.#costs.splice(0, this.#costs.length, ...meta.costs);
    this.#lastCost = meta.lastCost;
  }

  async result(): Promise<{ object: ComplexArray; probe: ComplexArray; finalCost: number }> {
    const { problem, x, io } = this.options;
    const parts = await io.read(x);
    const finalCost = this.#lastCost ?? await problem.cost(x);
    return {
      object: { shape: this.options.objectShape, data: Float32Array.from(parts.object) },
      probe: { shape: this.options.probeShape, data: Float32Array.from(parts.probe) },
      finalCost,
    };
  }

  deviceBytesPeak(): number[] {
    return this.options.deviceBytesPeak();
  }

  async destroy(): Promise<void> {
    this.#solver.destroy();
    this.options.problem.destroy(this.options.x);
    await this.options.release();
  }
}
