import type { Gpu } from "../gpu/mod.ts";
import type { Fft2 } from "../fft/mod.ts";
import code from "../../wgsl/probe.wgsl" with { type: "text" };
import type { Batch, Scan } from "./scan.ts";

const SOURCE = { file: "wgsl/probe.wgsl", code };

/**
 * Probe placement with sub-pixel positions: the K probe modes shifted by each position's
 * fractional part, P(r - f) = F^-1 [ exp(-2 pi i k.f) F P ] (the integer part selects the object
 * window, see {@link ObjectWindows}). Its adjoint sums the conjugate-shifted inputs over the
 * positions of a batch, in position order.
 *
 * The problem uses the pieces directly to save FFTs: {@link spectrum} once per evaluation,
 * {@link place} + one inverse FFT per position, and {@link gather} into a spectrum accumulator
 * that is inverse-transformed once after all batches.
 */
export class ProbePlacement {
  #spectrum: GPUBuffer | null = null;
  #scratch: GPUBuffer | null = null;

  private constructor(
    private readonly gpu: Gpu,
    private readonly fft: Fft2,
    readonly scan: Scan,
    readonly modes: number,
    private readonly pipelines: { place: GPUComputePipeline; gather: GPUComputePipeline },
  ) {}

  /** Compiles the placement kernels for a scan and K probe modes. */
  static async create(gpu: Gpu, fft: Fft2, scan: Scan, modes: number): Promise<ProbePlacement> {
    const [place, gather] = await Promise.all([
      gpu.pipeline(SOURCE, "place"),
      gpu.pipeline(SOURCE, "gather"),
    ]);
    return new ProbePlacement(gpu, fft, scan, modes, { place, gather });
  }

  /** out[b, k] <- probe_k shifted by the sub-pixel part of position first + b. */
  forward(probe: GPUBuffer, out: GPUBuffer, batch: Batch = this.scan.batches[0]): void {
    this.#spectrum ??= this.gpu.buffer(8 * this.modes * this.fft.n ** 2, "probe spectrum");
    this.spectrum(probe, this.#spectrum);
    this.place(this.#spectrum, out, batch);
    this.fft.inverse(out, out, batch.count * this.modes);
  }

  /** out_k <- sum_b shift_b^H y[b, k] over the batch (overwrites out; y is kept). */
  adjoint(y: GPUBuffer, out: GPUBuffer, batch: Batch = this.scan.batches[0]): void {
    const frames = batch.count * this.modes;
    const bytes = 8 * frames * this.fft.n ** 2;
    if (!this.#scratch || this.#scratch.size < bytes) {
      this.gpu.release(this.#scratch);
      this.#scratch = this.gpu.buffer(bytes, "probe placement scratch");
    }
    this.fft.forward(y, this.#scratch, frames);
    this.gpu.encoder.clearBuffer(out, 0, 8 * this.modes * this.fft.n ** 2);
    this.gather(this.#scratch, out, batch);
    this.fft.inverse(out, out, this.modes);
  }

  /** spec <- F probe (K frames). */
  spectrum(probe: GPUBuffer, spec: GPUBuffer): void {
    this.fft.forward(probe, spec, this.modes);
  }

  /** out[b, k] <- spec_k exp(-2 pi i k.f_b): the shifted probes, still in Fourier space. */
  place(spec: GPUBuffer, out: GPUBuffer, batch: Batch): void {
    const n = batch.count * this.modes * this.fft.n ** 2;
    this.gpu.dispatch(
      this.pipelines.place,
      [this.#params(batch), this.scan.ramps, spec, out],
      Math.ceil(n / 256),
    );
  }

  /** acc_k += sum_b conj(exp(-2 pi i k.f_b)) yHat[b, k], yHat in Fourier space. */
  gather(yHat: GPUBuffer, acc: GPUBuffer, batch: Batch): void {
    const n = this.modes * this.fft.n ** 2;
    this.gpu.dispatch(
      this.pipelines.gather,
      [this.#params(batch), this.scan.ramps, yHat, acc],
      Math.ceil(n / 256),
    );
  }

  /** Frees the operator's own buffers. */
  destroy(): void {
    this.gpu.release(this.#spectrum, this.#scratch);
    this.#spectrum = this.#scratch = null;
  }

  #params(batch: Batch): GPUBuffer {
    const { n } = this.fft;
    return this.gpu.params(
      new Uint32Array([n, this.modes, batch.count, batch.first, Math.log2(n)]),
    );
  }
}
