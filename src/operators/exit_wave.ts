import type { Gpu } from "../gpu/mod.ts";
import type { Fft2, FusedPasses } from "../fft/mod.ts";
import code from "../../wgsl/exit_wave.wgsl" with { type: "text" };
import adjointCode from "../../wgsl/exit_wave_adjoint.wgsl" with { type: "text" };
import type { ObjectWindows } from "./object_windows.ts";
import type { ProbePlacement } from "./probe_placement.ts";
import type { Batch } from "./scan.ts";

/** What {@link ExitWave.forward} reads and writes. */
export interface ExitWaveCall {
  /** The probe spectrum, K x M x M (see `ProbePlacement.spectrum`). */
  spectrum: GPUBuffer;
  /** Object slice 0 is the one multiplied. */
  object: GPUBuffer;
  /** Receives the shifted probes (count x K x M x M from offset 0) when `store`. */
  waves: GPUBuffer;
  /** Receives the exit waves O_0[window b] P_k shifted (count x K x M x M); not `waves`. */
  out: GPUBuffer;
  batch: Batch;
  store: boolean;
}

/** What {@link ExitWave.adjoint} reads and writes. */
export interface ExitWaveAdjointCall {
  /** Object slice 0 is the one multiplied. */
  object: GPUBuffer;
  /** The residuals at the first slice's exit (count x K x M x M); unchanged unless `out`. */
  chi: GPUBuffer;
  /** The stored waves: bound, not read, when the work runs apart from the FFT. */
  waves: GPUBuffer;
  /** Receives F(conj(O_0[window b]) chi[b, k]) (count x K x M x M); may be `chi`. */
  out: GPUBuffer;
  batch: Batch;
}

/**
 * The first slice of the forward model: out[b, k] <- O_0[window b] F^-1(ramp_b spec_k), the
 * shifted probes kept in `waves` when asked. Where the FFT plan allows it (the unrolled design)
 * the ramp multiplies inside the inverse FFT's first loads and the object inside its last stores,
 * which saves two passes over the waves; otherwise `place`, the FFT and `multiply` run apart.
 * Its {@link adjoint} (toward the probe) multiplies by conj(O) inside the forward FFT's loads.
 */
export class ExitWave {
  /** Bound as the unfused backward kernel's patch, which it does not write. */
  readonly #noPatch: GPUBuffer;

  private constructor(
    private readonly gpu: Gpu,
    private readonly fft: Fft2,
    private readonly placement: ProbePlacement,
    private readonly windows: ObjectWindows,
    private readonly fused: FusedPasses | null,
    private readonly fusedAdjoint: FusedPasses | null,
  ) {
    this.#noPatch = gpu.buffer(8, "exit wave no patch");
  }

  /** Compiles the fused passes when the plan supports them. */
  static async create(
    o: { gpu: Gpu; fft: Fft2; placement: ProbePlacement; windows: ObjectWindows },
  ): Promise<ExitWave> {
    const [fused, fusedAdjoint] = await Promise.all([
      o.fft.fuse({ name: "exit-wave", code, load: true, store: true }),
      o.fft.fuse({ name: "exit-wave-adjoint", code: adjointCode, load: true, store: false }),
    ]);
    return new ExitWave(o.gpu, o.fft, o.placement, o.windows, fused, fusedAdjoint);
  }

  /** Whether the elementwise work runs inside the FFT. */
  get isFused(): boolean {
    return this.fused !== null;
  }

  /** Records the exit waves of one batch (see the class comment). */
  forward(c: ExitWaveCall): void {
    const { fft, placement, windows } = this;
    const frames = c.batch.count * placement.modes;
    if (!this.fused) {
      const first = c.store ? c.waves : c.out;
      placement.place(c.spectrum, first, c.batch);
      fft.inverse(first, first, frames);
      const call = { batch: c.batch, slice: 0, modes: placement.modes, waveOffset: 0 };
      windows.multiply(c.object, c.out, c.waves, call, c.store ? "stored" : "input");
      return;
    }
    const { scan } = windows;
    const params = this.gpu.params(
      new Uint32Array([
        fft.n,
        placement.modes,
        c.batch.first,
        scan.objectShape[1],
        0,
        Math.log2(fft.n),
        c.store ? 1 : 0,
      ]),
    );
    fft.inverse(c.spectrum, c.waves, frames, {
      fusion: {
        passes: this.fused,
        load: [params, scan.ramps],
        store: [params, null, scan.origins, c.object, c.out],
      },
    });
  }

  /**
   * Records out[b, k] <- F(conj(O_0[window b]) chi[b, k]) for one batch, the step of the backward
   * pass that takes the first slice's residuals toward the probe's (and the positions')
   * gradients. Fused, the product is the forward FFT's first loads and chi is only read;
   * otherwise `backward` runs on `out` (chi copied there first) and the FFT follows in place.
   * The fused product is the same float32 operation as `backward`'s: fusing changes no bit.
   */
  adjoint(c: ExitWaveAdjointCall): void {
    const { gpu, fft, placement, windows } = this;
    const frames = c.batch.count * placement.modes;
    if (!this.fusedAdjoint) {
      if (c.out !== c.chi) gpu.copy(c.chi, 0, c.out, 0, 8 * frames * fft.n ** 2);
      const call = { batch: c.batch, slice: 0, modes: placement.modes, waveOffset: 0 };
      const want = { patch: false, chi: true };
      windows.backward(c.object, c.out, c.waves, this.#noPatch, call, want);
      fft.forward(c.out, c.out, frames);
      return;
    }
    const params = gpu.params(
      new Uint32Array([
        fft.n,
        placement.modes,
        c.batch.first,
        windows.scan.objectShape[1],
        Math.log2(fft.n),
      ]),
    );
    fft.forward(c.chi, c.out, frames, {
      fusion: {
        passes: this.fusedAdjoint,
        load: [params, windows.scan.origins, c.object],
      },
    });
  }

  /** Releases the small buffer the unfused adjoint binds. */
  destroy(): void {
    this.gpu.release(this.#noPatch);
  }
}
