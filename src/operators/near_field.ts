import code from "../../wgsl/angular_spectrum.wgsl" with { type: "text" };
import type { Gpu } from "../gpu/mod.ts";
import type { Fft2 } from "../fft/mod.ts";
import { angularSpectrumScales, type NearFieldPropagation } from "../physics/fourier.ts";

const SOURCE = { file: "wgsl/angular_spectrum.wgsl", code };

/**
 * Near-field propagation from the exit plane to the detector: Psi = F^-1 [ H F psi ] with the
 * angular-spectrum transfer function H of `angularSpectrumKernel` (`src/physics/fourier.ts`),
 * evanescent components zeroed. Frames are not fftshifted: the detector plane is a real-space
 * image of the same M x M grid. Unitary on the propagating band (every frequency when
 * lambda < 2 dx, as for X-rays); the adjoint applies conj(H). `x` and `out` may coincide.
 *
 * @example
 * ```ts
 * const near = await NearField.create(gpu, fft, { wavelength, distance, pixelSize });
 * near.forward(exitWaves, detectorWaves, count);
 * ```
 */
export class NearField {
  private constructor(
    private readonly gpu: Gpu,
    private readonly fft: Fft2,
    private readonly pipeline: GPUComputePipeline,
    readonly propagation: NearFieldPropagation,
  ) {}

  /** Compiles the transfer-function kernel for the plan's frame size. */
  static async create(gpu: Gpu, fft: Fft2, p: NearFieldPropagation): Promise<NearField> {
    for (const [name, value] of Object.entries(p)) {
      if (!(value > 0) || !Number.isFinite(value)) {
        throw new RangeError(`Cannot propagate to a near-field detector: ${name} is ${value}`);
      }
    }
    return new NearField(gpu, fft, await gpu.pipeline(SOURCE, "main"), p);
  }

  /** out <- F^-1 H F x for `count` frames. */
  forward(x: GPUBuffer, out: GPUBuffer, count: number): void {
    this.#apply(x, out, count, false);
  }

  /** out <- F^-1 conj(H) F y for `count` frames. */
  adjoint(y: GPUBuffer, out: GPUBuffer, count: number): void {
    this.#apply(y, out, count, true);
  }

  /** Nothing to free: H is computed in the kernel and the FFT plan belongs to its creator. */
  destroy(): void {}

  #apply(x: GPUBuffer, out: GPUBuffer, count: number, conj: boolean): void {
    const m = this.fft.n;
    this.fft.forward(x, out, count);
    const words = new Uint32Array(5);
    const n = count * m * m;
    words.set([n, Math.log2(m), conj ? 1 : 0]);
    const { a, b } = angularSpectrumScales(this.propagation);
    new Float32Array(words.buffer, 12, 2).set([a, b]);
    this.gpu.dispatch(this.pipeline, [this.gpu.params(words), out], Math.ceil(n / 256));
    this.fft.inverse(out, out, count);
  }
}
