import type { Gpu } from "../gpu/mod.ts";
import type { Fft2 } from "../fft/mod.ts";
import type { Elementwise } from "../kernels/mod.ts";
import { fresnelKernel, type Propagation } from "../physics/fourier.ts";

/**
 * Fresnel propagation by dz between object slices: F^-1 [ H F psi ] with the transfer function
 * H = exp(-i pi lambda dz (kx^2 + ky^2)), kx, ky in cycles per metre from the object pixel size.
 * H is band-limited to |k| <= 2/3 of the Nyquist frequency (shared with the float64 reference,
 * `fresnelKernel`): the next slice multiplies the wave by the object, which doubles its
 * bandwidth, and 2/3 keeps that product from aliasing back into the band. It is unitary on the
 * passband and zero outside; the adjoint applies conj(H). `x` and `out` may coincide.
 */
export class Fresnel {
  readonly kernel: GPUBuffer;

  constructor(
    private readonly gpu: Gpu,
    private readonly fft: Fft2,
    private readonly ew: Elementwise,
    readonly propagation: Propagation,
  ) {
    this.kernel = gpu.upload(new Float32Array(fresnelKernel(fft.n, propagation)), "fresnel kernel");
  }

  /** out <- Prop_dz x for `count` frames. */
  forward(x: GPUBuffer, out: GPUBuffer, count: number): void {
    this.#apply(x, out, count, false);
  }

  /** out <- Prop_dz^H y for `count` frames. */
  adjoint(y: GPUBuffer, out: GPUBuffer, count: number): void {
    this.#apply(y, out, count, true);
  }

  /** Frees the transfer function. */
  destroy(): void {
    this.gpu.release(this.kernel);
  }

  #apply(x: GPUBuffer, out: GPUBuffer, count: number, conj: boolean): void {
    const length = this.fft.n * this.fft.n;
    this.fft.forward(x, out, count);
    this.ew.mulBroadcast(this.kernel, out, { count: count * length, length, conj });
    this.fft.inverse(out, out, count);
  }
}
