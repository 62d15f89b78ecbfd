import code from "../../wgsl/pie.wgsl" with { type: "text" };
import { BLOCK } from "../operators/mod.ts";
import type { Batch } from "../operators/mod.ts";
import type { GpuProblem, GpuVariables } from "./gpu_problem.ts";

const SOURCE = { file: "wgsl/pie.wgsl", code };

/** Options of {@link PositionUpdates.step}. */
export interface PieStepOptions {
  /**
   * `epie`: steps alpha / max |P|^2 and beta / max |O|^2. `rpie`: per pixel
   * 1 / ((1 - alpha) |P|^2 + alpha max |P|^2), and the same with beta and |O|^2.
   */
  variant: "epie" | "rpie";
  alpha: number;
  beta: number;
  /** Also update the probe. */
  probe: boolean;
}

/**
 * The sequential classics on the device: one ePIE / rPIE update at a time, as in
 * `src/solvers/pie.ts` (steps along the Wirtinger gradient of one position's amplitude cost
 * F_j = sum (|Psi| - sqrt(d))^2, all slices stepped at once by 1/S each, |P|^2 = sum_k |P_k|^2
 * unshifted and |O|^2 = prod_s |O_s|^2 under the window). Every update is recorded on the device
 * with no readback: a sweep over all positions costs one submission per call and no mapAsync.
 *
 * @example
 * ```ts
 * const pie = await PositionUpdates.create(problem);
 * for (const j of order) pie.step(x, j, { variant: "epie", alpha: 1, beta: 1, probe: true });
 * await problem.gpu.finish();
 * ```
 */
export class PositionUpdates {
  readonly #power: GPUBuffer;
  readonly #probeGradient: GPUBuffer;
  readonly #partials: GPUBuffer;
  readonly #blockStart: GPUBuffer;
  readonly #blockWindows: GPUBuffer;

  private constructor(
    private readonly p: GpuProblem,
    private readonly pipelines: Record<"powers" | "object" | "probe", GPUComputePipeline>,
  ) {
    const { gpu, scan } = p;
    const m2 = scan.frame * scan.frame;
    this.#power = gpu.buffer(4 * (2 * m2 + 2), "pie powers");
    this.#probeGradient = gpu.buffer(8 * p.sizes.probe, "pie probe gradient");
    this.#partials = gpu.buffer(8 * p.costTerm.partialsFor(1), "pie partials");
    // A one-position batch covers its window alone: every block lists window 0.
    const blocks = (scan.frame / BLOCK) ** 2;
    this.#blockStart = gpu.upload(
      Uint32Array.from({ length: blocks + 1 }, (_, i) => i),
      "pie blocks",
    );
    this.#blockWindows = gpu.upload(new Uint32Array(blocks), "pie block windows");
  }

  /** Compiles the update kernels for a problem (it must outlive this object). */
  static async create(problem: GpuProblem): Promise<PositionUpdates> {
    const [powers, object, probe] = await Promise.all([
      problem.gpu.pipeline(SOURCE, "powers"),
      problem.gpu.pipeline(SOURCE, "step_object"),
      problem.gpu.pipeline(SOURCE, "step_probe"),
    ]);
    return new PositionUpdates(problem, { powers, object, probe });
  }

  /** Records one update of x at position j (its object window, and the probe if asked). */
  step(x: GpuVariables, j: number, o: PieStepOptions): void {
    const { gpu, fft, multislice: ms, scan, work, costTerm, slices, modes } = this.p;
    const m2 = scan.frame * scan.frame;
    const batch = this.#batch(j);
    // The probe may have changed since the last step or evaluation: take its spectrum anew.
    ms.setProbe(x.probe);
    gpu.dispatch(this.pipelines.powers, [
      this.#params(batch, 0, o, o.alpha),
      x.probe,
      x.object,
      this.#power,
    ], 1);
    const far = this.p.detector;
    ms.forward(x.object, work, batch, true);
    const call = {
      first: j,
      count: 1,
      partials: this.#partials,
      partial: 0,
      gradient: true,
      noise: "gaussian" as const,
    };
    if (this.p.nearField) {
      far.forward(work, work, modes);
      costTerm.evaluate(work, call);
    } else {
      // The far field's FFT fuses the cost and its gradient into its stores.
      costTerm.farFieldAndCost(work, call);
    }
    far.adjoint(work, work, modes);
    for (let s = slices - 1; s >= 0; s--) {
      const call = { batch, slice: s, modes, waveOffset: s * scan.maxBatch * modes * m2 };
      ms.windows.backward(x.object, work, ms.waves, ms.patch, call, { patch: true, chi: true });
      // Slice s is no longer read by the rest of the chain: it can take its step now.
      const params = this.#params(batch, s, o, o.alpha);
      gpu.dispatch(
        this.pipelines.object,
        [params, ms.patch, this.#power, x.object],
        Math.ceil(m2 / 256),
      );
      if (s > 0) ms.fresnel!.adjoint(work, work, modes);
    }
    if (o.probe) {
      ms.clearProbeGradient();
      fft.forward(work, work, modes);
      ms.placement.gather(work, ms.probeAccumulator, batch);
      ms.probeGradient(this.#probeGradient);
      const params = this.#params(batch, 0, o, o.beta);
      gpu.dispatch(
        this.pipelines.probe,
        [params, this.#probeGradient, this.#power, x.probe],
        Math.ceil((modes * m2) / 256),
      );
    }
  }

  /** Frees the update's buffers. */
  destroy(): void {
    this.p.gpu.release(
      this.#power,
      this.#probeGradient,
      this.#partials,
      this.#blockStart,
      this.#blockWindows,
    );
  }

  #batch(j: number): Batch {
    const { scan } = this.p;
    if (!Number.isInteger(j) || j < 0 || j >= scan.count) {
      throw new RangeError(`Cannot update position ${j}: the scan has ${scan.count} positions`);
    }
    const top = Math.floor(scan.positionsY[j]) - scan.frame / 2;
    const left = Math.floor(scan.positionsX[j]) - scan.frame / 2;
    return {
      first: j,
      count: 1,
      region: { y0: top, x0: left, height: scan.frame, width: scan.frame },
      blockStart: this.#blockStart,
      blockWindows: this.#blockWindows,
    };
  }

  #params(batch: Batch, slice: number, o: PieStepOptions, alpha: number): GPUBuffer {
    const { scan, modes, slices } = this.p;
    const [h, w] = scan.objectShape;
    const words = new Uint32Array([
      scan.frame,
      Math.log2(scan.frame),
      modes,
      slices,
      w,
      h * w,
      batch.region.y0,
      batch.region.x0,
      slice,
      o.variant === "epie" ? 0 : 1,
      0,
    ]);
    new Float32Array(words.buffer, 40, 1)[0] = alpha;
    return this.p.gpu.params(words);
  }
}
