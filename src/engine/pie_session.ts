/**
 * The session of the sequential classics `epie` and `rpie`. They update the object after every
 * position, which the batched device problem does not offer, so they run on the float64 CPU
 * model (`src/solvers/pie.ts`): the familiar baseline, for modest data sets.
 */
import type { ComplexArray } from "../data/dataset.ts";
import { ReferenceProblem, type ReferenceVector } from "../physics/reference_problem.ts";
import { epie, rpie } from "../solvers/pie.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { initialGuess } from "./initial.ts";
import type { OpenSessionOptions } from "./open.ts";
import type { Session } from "./session.ts";

/** `epie` or `rpie` over the reference problem; one step is one sweep over all positions. */
export class PieSession implements Session {
  readonly workers = 1;
  readonly adapter = { description: "CPU (float64 reference model)", fallback: true };
  readonly costs: number[] = [];
  #iteration = 0;
  #lastCost: number | null = null;

  private constructor(
    readonly problem: ReferenceProblem,
    readonly x: ReferenceVector,
    readonly variant: "epie" | "rpie",
    readonly refineProbeFrom: number | undefined,
    readonly seed: number,
    readonly shapes: { object: number[]; probe: number[] },
  ) {}

  /** Opens the session, restored from the checkpoint when given. */
  static async open(o: OpenSessionOptions): Promise<PieSession> {
    const { options, dataset } = o;
    const guess = await initialGuess(o);
    const [h, w] = dataset.objectShape;
    const frames = await dataset.frames.read(Array.from({ length: dataset.count }, (_, j) => j));
    const problem = new ReferenceProblem({
      frame: dataset.frame,
      objectShape: [h, w],
      slices: options.slices,
      modes: options.probeModes,
      positionsX: dataset.positionsX,
      positionsY: dataset.positionsY,
      propagation: guess.sliceDistance
        ? {
          wavelength: dataset.geometry.wavelength,
          sliceThickness: guess.sliceDistance,
          pixelSize: dataset.geometry.objectPixel,
        }
        : undefined,
      mask: dataset.mask,
      frames,
      noise: options.noise,
    });
    const x = problem.create("x");
    x.object.set(guess.object);
    x.probe.set(guess.probe.data);
    const session = new PieSession(
      problem,
      x,
      options.algorithm === "rpie" ? "rpie" : "epie",
      guess.refineProbeFrom,
      options.seed,
      { object: [options.slices, h, w], probe: guess.probe.shape },
    );
    if (o.checkpoint) session.#restore(o.checkpoint);
    return session;
  }

  get iteration(): number {
    return this.#iteration;
  }

  async step(): Promise<number> {
    const sweep = this.variant === "epie" ? epie : rpie;
    const { costs } = await sweep(this.problem, this.x, {
      iterations: 1,
      start: this.#iteration,
      seed: this.seed,
      refineProbeFrom: this.refineProbeFrom,
    });
    this.#iteration++;
    this.costs.push(costs[0]);
    this.#lastCost = costs[1];
    return costs[0];
  }

  checkpoint(): Promise<Checkpoint> {
    return Promise.resolve({
      meta: { iteration: this.#iteration, costs: [...this.costs], lastCost: this.#lastCost },
      arrays: { "x.object": this.x.object.slice(), "x.probe": this.x.probe.slice() },
    });
  }

  #restore(checkpoint: Checkpoint): void {
    const meta = checkpoint.meta as { iteration: number; costs: number[]; lastCost: number };
    this.x.object.set(checkpoint.arrays["x.object"]);
    this.x.probe.set(checkpoint.arrays["x.probe"]);
    this.#iteration = meta.iteration;
    this.costs.splice(0, this.costs.length, ...meta.costs);
    this.#lastCost = meta.lastCost;
  }

  async result(): Promise<{ object: ComplexArray; probe: ComplexArray; finalCost: number }> {
    return {
      object: { shape: this.shapes.object, data: Float32Array.from(this.x.object) },
      probe: { shape: this.shapes.probe, data: Float32Array.from(this.x.probe) },
      finalCost: this.#lastCost ?? await this.problem.cost(this.x),
    };
  }

  deviceBytesPeak(): number[] {
    return [0];
  }

  destroy(): Promise<void> {
    return Promise.resolve();
  }
}
