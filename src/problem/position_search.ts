import code from "../../wgsl/position_search.wgsl" with { type: "text" };
import { PIXEL_COST_CONSTANTS, PIXEL_COST_WGSL } from "../cost/mod.ts";
import { Multislice, Scan } from "../operators/mod.ts";
import type { Propagation } from "../physics/fourier.ts";
import type { NoiseModel } from "../physics/model.ts";
import type { Binding, Gpu } from "../gpu/mod.ts";
import type { GpuProblem, GpuVariables } from "./gpu_problem.ts";

const SOURCE = { file: "wgsl/position_search.wgsl", code: code + PIXEL_COST_WGSL };

/** Options of {@link PositionSearch.create}. */
export interface PositionSearchOptions {
  /** The cost the candidates are compared by. */
  noise: NoiseModel;
  /** The slices' propagation (several slices only), as the problem's. */
  propagation?: Propagation;
}

/** One position's tries: offsets (whole object pixels) from where it stands. */
export interface SearchCall {
  /** The position (index in the problem's scan). */
  position: number;
  dy: Int32Array;
  dx: Int32Array;
}

/**
 * Position correction's search (as PtychoShelves and pty-chi search positions by correlation,
 * here by the cost itself): each frame's own cost with its position where it stands and at whole
 * pixel offsets from there, at the current object and probe. Gradient steps of at most half a
 * pixel cannot take a position out of a wrong local fit a few pixels off; the costs of a grid of
 * offsets can. The tries are a scan of their own (the same sub-pixel part, each window moved by
 * its offset) through the problem's forward model and detector, sharing its batch buffers; each
 * try's cost is summed by `wgsl/position_search.wgsl`.
 *
 * @example
 * ```ts
 * const search = await PositionSearch.create(problem, { noise: "poisson" });
 * const r = await search.rFactors(x); // each position's own R-factor
 * const [costs] = await search.costs(x, [{ position: 3, dy, dx }]);
 * search.destroy();
 * ```
 */
export class PositionSearch {
  #out: GPUBuffer | null = null;

  private constructor(
    private readonly p: GpuProblem,
    private readonly o: PositionSearchOptions,
    private readonly sums: FrameCosts,
  ) {}

  /** Compiles the kernel for a problem (it must outlive this object). */
  static async create(problem: GpuProblem, o: PositionSearchOptions): Promise<PositionSearch> {
    return new PositionSearch(problem, o, await FrameCosts.create(problem.gpu));
  }

  /**
   * Each position's own amplitude R-factor sum | |Psi| - sqrt(d) | / sum sqrt(d) over its
   * unmasked pixels, where it stands (problem order); 0 for a frame without counts.
   */
  async rFactors(x: GpuVariables): Promise<Float64Array> {
    const { multislice: ms, scan, modes, work } = this.p;
    const out = this.#outFor(scan.count);
    ms.setProbe(x.probe);
    for (const batch of scan.batches) {
      ms.forward(x.object, work, batch, false);
      this.p.detector.forward(work, work, batch.count * modes);
      this.#sum(batch.first, batch.count, 1, batch.first);
    }
    const v = await this.p.gpu.readF32(out, 0, 16 * scan.count);
    return Float64Array.from({ length: scan.count }, (_, j) => {
      const denominator = v[4 * j + 2];
      return denominator > 0 ? v[4 * j + 1] / denominator : 0;
    });
  }

  /**
   * The cost of each call's frame with its position moved by each of the call's offsets (the
   * sub-pixel part kept), at x: one array per call, one cost per offset. The Poisson costs lack
   * their frame's constant, the same for every offset.
   *
   * @throws {RangeError} when a moved window would leave the problem's object.
   */
  async costs(x: GpuVariables, calls: SearchCall[]): Promise<Float64Array[]> {
    const tries = calls.reduce((n, c) => Math.max(n, c.dy.length), 0);
    if (tries === 0) return calls.map(() => new Float64Array(0));
    const { gpu, fft, ew, scan, slices, modes, work, multislice } = this.p;
    const placed = (c: SearchCall, axis: Float64Array, offsets: Int32Array) =>
      // Unused tries repeat the first (the scan's count is fixed).
      Float64Array.from(
        { length: tries },
        (_, t) => axis[c.position] + offsets[t % offsets.length],
      );
    const first = calls[0];
    const trial = Scan.create(gpu, {
      positionsY: placed(first, scan.positionsY, first.dy),
      positionsX: placed(first, scan.positionsX, first.dx),
      frame: scan.frame,
      objectShape: scan.objectShape,
      batchSize: scan.maxBatch,
    });
    let model: Multislice | null = null;
    try {
      model = await Multislice.create({
        gpu,
        fft,
        ew,
        scan: trial,
        slices,
        modes,
        propagation: this.o.propagation,
        workspace: multislice.workspace,
      });
      const out = this.#outFor(calls.length * tries);
      model.setProbe(x.probe);
      for (const [i, c] of calls.entries()) {
        if (c.dx.length !== c.dy.length) {
          throw new RangeError(
            `Expected as many x as y offsets, got ${c.dx.length} and ${c.dy.length}`,
          );
        }
        if (i > 0) {
          trial.move(placed(c, scan.positionsY, c.dy), placed(c, scan.positionsX, c.dx));
        }
        for (const batch of trial.batches) {
          model.forward(x.object, work, batch, false);
          this.p.detector.forward(work, work, batch.count * modes);
          this.#sum(c.position, batch.count, 0, i * tries + batch.first);
        }
      }
      const v = await gpu.readF32(out, 0, 16 * calls.length * tries);
      return calls.map((c, i) =>
        Float64Array.from({ length: c.dy.length }, (_, t) => v[4 * (i * tries + t)])
      );
    } finally {
      model?.destroy();
      trial.destroy();
    }
  }

  /** Frees the search's buffers. */
  destroy(): void {
    this.p.gpu.release(this.#out);
    this.#out = null;
  }

  /**
   * Records the sums of `count` far fields in the work buffer into out[at ..]: far field c against
   * frame `frame + c stride`.
   */
  #sum(frame: number, count: number, stride: 0 | 1, at: number): void {
    const { scan, modes, costTerm } = this.p;
    this.sums.record({
      far: this.p.work,
      frames: costTerm.framesOf(frame, stride === 0 ? 1 : count),
      weights: costTerm.weights,
      m2: scan.frame * scan.frame,
      modes,
      count,
      stride,
      noise: this.o.noise,
      out: this.#out!,
      at,
    });
  }

  /** The output buffer, grown to at least `count` quadruples. */
  #outFor(count: number): GPUBuffer {
    if (!this.#out || this.#out.size < 16 * count) {
      this.p.gpu.release(this.#out);
      this.#out = this.p.gpu.buffer(16 * count, "position search costs");
    }
    return this.#out;
  }
}

/** Arguments of {@link FrameCosts.record}. */
export interface FrameCostsCall {
  /** Far fields count x K x M x M, stored layout. */
  far: GPUBuffer;
  /** The call's frames (M x M each, stored layout): a buffer or a range of one. */
  frames: Binding;
  /** M x M mask weights (1 good, 0 bad). */
  weights: GPUBuffer;
  /** Pixels per frame M^2. */
  m2: number;
  modes: number;
  count: number;
  /** Far field c is compared with frame c x stride: 1, each its own; 0, all the first. */
  stride: 0 | 1;
  noise: NoiseModel;
  /** Receives one float32 quadruple per far field, from quadruple `at` on. */
  out: GPUBuffer;
  at: number;
}

/**
 * Each far field's own sums against its frame (`wgsl/position_search.wgsl`): the cost (Poisson
 * less each pixel's minimum, or Gaussian, as `wgsl/cost.wgsl` rounds them), the amplitude
 * R-factor's numerator and its denominator. `frameCostsReference` is its float64 twin.
 */
export class FrameCosts {
  private constructor(
    private readonly gpu: Gpu,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(gpu: Gpu): Promise<FrameCosts> {
    const pipeline = await gpu.pipeline(SOURCE, "frame_costs", PIXEL_COST_CONSTANTS);
    return new FrameCosts(gpu, pipeline);
  }

  /** Records out[at + c] <- (cost, R-factor numerator, sum of weight sqrt(d), 0) for every c. */
  record(c: FrameCostsCall): void {
    const model = c.noise === "poisson" ? 0 : 1;
    const params = this.gpu.params(
      new Uint32Array([c.m2, c.modes, c.count, c.at, model, c.stride]),
    );
    this.gpu.dispatch(this.pipeline, [params, c.frames, c.weights, c.far, c.out], c.count);
  }
}
