import type { Gpu } from "../gpu/mod.ts";
import type { Fft2, FusedPasses } from "../fft/mod.ts";
import code from "../../wgsl/exit_wave.wgsl" with { type: "text" };
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

/**
 * The first slice of the forward model: out[b, k] <- O_0[window b] F^-1(ramp_b spec_k), the
 * shifted probes kept in `waves` when asked. Where the FFT plan allows it (the unrolled design)
 * the ramp multiplies inside the inverse FFT's first loads and the object inside its last stores,
 * which saves two passes over the waves; otherwise `place`, the FFT and `multiply` run apart.
 */
export class ExitWave {
  private constructor(
    private readonly gpu: Gpu,
    private readonly fft: Fft2,
    private readonly placement: ProbePlacement,
    private readonly windows: ObjectWindows,
    private readonly fused: FusedPasses | null,
  ) {}

  /** Compiles the fused passes when the plan supports them. */
  static async create(
    o: { gpu: Gpu; fft: Fft2; placement: ProbePlacement; windows: ObjectWindows },
  ): Promise<ExitWave> {
    const fused = await o.fft.fuse({ name: "exit-wave", code, load: true, store: true });
    return new ExitWave(o.gpu, o.fft, o.placement, o.windows, fused);
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
}
