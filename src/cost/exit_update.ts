import type { Binding, Gpu } from "../gpu/mod.ts";
import code from "../../wgsl/exit_update.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/exit_update.wgsl", code };
/** Probe modes `wgsl/exit_update.wgsl` holds per pixel (its `MAX_MODES`). */
export const EXIT_UPDATE_MAX_MODES = 8;

/** One call of {@link ExitWaveUpdate.apply}: a batch of positions' detector-plane waves. */
export interface ExitUpdateCall {
  /** The batch's measured intensities, count x M x M (stored layout). */
  frames: Binding;
  /** Mask weights, M x M (1 good, 0 bad). */
  weights: GPUBuffer;
  /** The model's waves phi, count x K x M x M complex (read). */
  model: GPUBuffer;
  /** The stored exit waves psi, count x K x M x M complex (updated in place). */
  exits: GPUBuffer;
  count: number;
  modes: number;
  /** Frame pixels M^2. */
  m2: number;
  /** RAAR's beta; 1 is the difference map. */
  beta: number;
  /** Take psi = phi (the first iteration): the stored waves are only written. */
  init: boolean;
}

/**
 * The exit-wave update of the difference map and RAAR on detector-plane waves (see
 * `wgsl/exit_update.wgsl`): psi <- beta (psi + Pi_F(2 phi - psi) - phi) + (1 - beta) phi, with the
 * Fourier-modulus projection Pi_F scaling all modes of a pixel alike to the measured amplitude
 * (masked pixels keep their value). Its float64 reference is `exitUpdateReference` of
 * `src/physics/projection_reference.ts`.
 *
 * @example
 * ```ts
 * const update = await ExitWaveUpdate.create(gpu);
 * update.apply({ frames, weights, model, exits, count: 8, modes: 1, m2: 64 * 64, beta: 1,
 *   init: false });
 * ```
 */
export class ExitWaveUpdate {
  private constructor(private readonly gpu: Gpu, private readonly pipeline: GPUComputePipeline) {}

  static async create(gpu: Gpu): Promise<ExitWaveUpdate> {
    return new ExitWaveUpdate(gpu, await gpu.pipeline(SOURCE, "main"));
  }

  /** Updates `c.exits` from `c.model` and the measured frames. */
  apply(c: ExitUpdateCall): void {
    if (c.modes < 1 || c.modes > EXIT_UPDATE_MAX_MODES) {
      throw new RangeError(
        `Cannot update exit waves of ${c.modes} probe modes: 1 to ${EXIT_UPDATE_MAX_MODES}`,
      );
    }
    const words = new Uint32Array(5);
    words.set([c.m2, c.modes, c.count, c.init ? 1 : 0]);
    new Float32Array(words.buffer, 16, 1)[0] = c.beta;
    this.gpu.dispatch(
      this.pipeline,
      [this.gpu.params(words), c.frames, c.weights, c.model, c.exits],
      Math.ceil((c.count * c.m2) / 256),
    );
  }
}
