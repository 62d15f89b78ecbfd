import code from "../../wgsl/angular_spectrum.wgsl" with { type: "text" };
import loadCode from "../../wgsl/angular_spectrum_load.wgsl" with { type: "text" };
import type { Gpu } from "../gpu/mod.ts";
import type { Fft2, FusedPasses } from "../fft/mod.ts";
import { angularSpectrumScales, type NearFieldPropagation } from "../physics/fourier.ts";

const SOURCE = { file: "wgsl/angular_spectrum.wgsl", code };
/** The shared block of `wgsl/angular_spectrum.wgsl` (frequency, transfer), for the fusion. */
const TRANSFER_WGSL = (() => {
  const match = code.match(/\/\/ shared: begin[^\n]*\n([\s\S]*)\/\/ shared: end/);
  if (!match) throw new Error("wgsl/angular_spectrum.wgsl lost its shared transfer function");
  return match[1];
})();

/**
 * Near-field propagation from the exit plane to the detector: Psi = F^-1 [ H F psi ] with the
 * angular-spectrum transfer function H of `angularSpectrumKernel` (`src/physics/fourier.ts`),
 * evanescent components zeroed. Frames are not fftshifted: the detector plane is a real-space
 * image of the same M x M grid. Unitary on the propagating band (every frequency when
 * lambda < 2 dx, as for X-rays); the adjoint applies conj(H). `x` and `out` may coincide.
 * Where the FFT plan allows (the unrolled design) H multiplies inside the inverse FFT's first
 * loads, which saves a pass over the spectra.
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
    private readonly fused: FusedPasses | null,
    readonly propagation: NearFieldPropagation,
  ) {}

  /** Compiles the transfer-function kernel for the plan's frame size. */
  static async create(gpu: Gpu, fft: Fft2, p: NearFieldPropagation): Promise<NearField> {
    for (const [name, value] of Object.entries(p)) {
      if (!(value > 0) || !Number.isFinite(value)) {
        throw new RangeError(`Cannot propagate to a near-field detector: ${name} is ${value}`);
      }
    }
    const [pipeline, fused] = await Promise.all([
      gpu.pipeline(SOURCE, "main"),
      fft.fuse({ name: "near-field", code: loadCode + TRANSFER_WGSL, load: true, store: false }),
    ]);
    return new NearField(gpu, fft, pipeline, fused, p);
  }

  /** Whether H multiplies inside the inverse FFT. */
  get isFused(): boolean {
    return this.fused !== null;
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
    const { a, b } = angularSpectrumScales(this.propagation);
    if (this.fused) {
      const words = new Uint32Array([Math.log2(m), conj ? 1 : 0, 0, 0]);
      new Float32Array(words.buffer, 8, 2).set([a, b]);
      const load = [this.gpu.params(words)];
      this.fft.inverse(out, out, count, { fusion: { passes: this.fused, load } });
      return;
    }
    const words = new Uint32Array(5);
    const n = count * m * m;
    words.set([n, Math.log2(m), conj ? 1 : 0]);
    new Float32Array(words.buffer, 12, 2).set([a, b]);
    this.gpu.dispatch(this.pipeline, [this.gpu.params(words), out], Math.ceil(n / 256));
    this.fft.inverse(out, out, count);
  }
}
