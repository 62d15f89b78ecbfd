import type { Fft2, FusionCall } from "../fft/mod.ts";

/**
 * Far-field propagation with the centring shift: Psi = fftshift(F psi) (unitary F), so the zero
 * frequency lands on pixel (M/2, M/2) like the stored frames; adjoint psi = F^H ifftshift(Psi).
 * Unitary: it keeps the norm. `x` and `out` may be the same buffer.
 */
export class FarField {
  constructor(private readonly fft: Fft2) {}

  /** out <- fftshift(F x) for `count` frames. */
  forward(x: GPUBuffer, out: GPUBuffer, count: number): void {
    this.fft.forward(x, out, count, { shiftOutput: true });
  }

  /**
   * out <- F^H ifftshift(y) for `count` frames; with `fusion`, of what its loads make of y
   * (see `FftOptions.fusion`).
   */
  adjoint(y: GPUBuffer, out: GPUBuffer, count: number, fusion?: FusionCall): void {
    this.fft.inverse(y, out, count, { shiftInput: true, ...(fusion ? { fusion } : {}) });
  }

  /** Nothing to free: the FFT plan belongs to its creator. */
  destroy(): void {}
}
