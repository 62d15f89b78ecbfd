import type { GpuProblem, GpuVariables } from "./gpu_problem.ts";
import type { Parts, Weights } from "./tile_store.ts";
import code from "../../wgsl/probe_change.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/probe_change.wgsl", code };

/**
 * The device side of one tile's diagonal preconditioner (the arithmetic and the sums over tiles
 * are `ReducedProblem.precondition`'s): D_O = sum_j sum_k |P_k|^2 over the windows covering
 * each pixel (every slice sees about the probe's intensity, sub-pixel shifts are ignored),
 * D_P = sum_j prod_s |O_s[window j]|^2 (every mode), their floors eps max D, and the division.
 *
 * When D_O is not summed over tiles in place (one tile alone), it is recomputed only when the
 * probe's bits changed since the last call (a device-side comparison with a snapshot gates the
 * kernels, no read-back): while the probe is not refined, every iteration would otherwise redo
 * the same overlap-add over all windows.
 */
export class DeviceWeights {
  #objectWeight: GPUBuffer | null = null;
  #probeWeight: GPUBuffer | null = null;
  /** eps max D of each part, float32 at offset 0 (see `Reductions.scaledMaxReal`). */
  #floors: Partial<Record<keyof Parts, GPUBuffer>> = {};
  /** sum_k |P_k|^2, one M x M frame: the patch every window adds into D_O. */
  #intensity: GPUBuffer | null = null;
  /** The probe D_O was computed from, and the flags of `wgsl/probe_change.wgsl`. */
  #snapshot: GPUBuffer | null = null;
  #when: GPUBuffer | null = null;

  constructor(private readonly p: GpuProblem) {}

  /** The tile's own D_O and D_P (active parts) in buffers of this object's. */
  async weights(x: GpuVariables, parts: Parts, reuse: boolean): Promise<Weights<GPUBuffer>> {
    const { gpu, scan } = this.p;
    const [h, w] = scan.objectShape;
    const out: Weights<GPUBuffer> = {};
    if (parts.object) {
      out.object = this.#objectWeight ??= gpu.buffer(8 * h * w, "object preconditioner");
      await this.#probeIntensity(x, out.object, reuse);
    }
    if (parts.probe) {
      const m2 = scan.frame * scan.frame;
      out.probe = this.#probeWeight ??= gpu.buffer(8 * m2, "probe preconditioner");
      this.#objectIntensity(x, out.probe);
    }
    return out;
  }

  /** The floor of `part` <- eps max Re `weight`, on the device. */
  floor(part: keyof Parts, weight: GPUBuffer, eps: number): void {
    const { scan, reductions } = this.p;
    const [h, w] = scan.objectShape;
    const region = part === "object"
      ? { height: h, width: w }
      : { height: 1, width: scan.frame * scan.frame };
    reductions.scaledMaxReal(weight, region, this.#floor(part), eps);
  }

  async readFloor(part: keyof Parts): Promise<number> {
    return (await this.p.gpu.readF32(this.#floor(part), 0, 8))[0];
  }

  writeFloor(part: keyof Parts, value: number): void {
    this.p.gpu.write(this.#floor(part), Float32Array.of(value, 0));
  }

  /** out <- g / (D + floor) for each active part, D broadcast over slices and modes. */
  divide(parts: Parts, weights: Weights<GPUBuffer>, g: GpuVariables, out: GpuVariables): void {
    const { gpu, ew, sizes, scan } = this.p;
    const [h, w] = scan.objectShape;
    const lengths = { object: h * w, probe: scan.frame * scan.frame };
    for (const part of ["object", "probe"] as const) {
      if (!parts[part]) continue;
      if (out[part] !== g[part]) gpu.copy(g[part], 0, out[part], 0, 8 * sizes[part]);
      const o = { count: sizes[part], length: lengths[part], c: this.#floor(part) };
      ew.divideBroadcast(weights[part]!, out[part], o);
    }
  }

  /** The positions moved: D_O is recomputed at the next call (cleared flags: no snapshot). */
  invalidate(): void {
    if (this.#when) this.p.gpu.encoder.clearBuffer(this.#when);
  }

  destroy(): void {
    this.p.gpu.release(
      this.#objectWeight,
      this.#probeWeight,
      this.#floors.object,
      this.#floors.probe,
      this.#intensity,
      this.#snapshot,
      this.#when,
    );
  }

  #floor(part: keyof Parts): GPUBuffer {
    return this.#floors[part] ??= this.p.gpu.buffer(8, `preconditioner ${part} floor`);
  }

  /**
   * d <- overlap-add of sum_k |P_k|^2 over every window (real part; imaginary part 0); with
   * `reuse`, only when the probe changed since the last call.
   */
  async #probeIntensity(x: GpuVariables, d: GPUBuffer, reuse: boolean): Promise<void> {
    const { gpu, multislice: ms, scan, work, modes, ew, reductions } = this.p;
    const m2 = scan.frame * scan.frame;
    const intensity = this.#intensity ??= gpu.buffer(8 * m2, "preconditioner probe intensity");
    ew.mul(x.probe, x.probe, work, { count: modes * m2, conjA: true });
    reductions.sumBatches(work, intensity, { length: m2, batch: modes });
    if (!reuse) {
      gpu.encoder.clearBuffer(d);
      for (const batch of scan.batches) {
        ms.windows.overlapAdd(intensity, d, { batch, slice: 0, modes: 1, waveOffset: 0 }, true);
      }
      return;
    }
    const count = modes * m2;
    this.#snapshot ??= gpu.buffer(8 * count, "preconditioner probe snapshot");
    this.#when ??= gpu.buffer(8, "preconditioner probe changed");
    const [changed, clear] = await Promise.all([
      gpu.pipeline(SOURCE, "changed"),
      gpu.pipeline(SOURCE, "clear_when"),
    ]);
    gpu.dispatch(
      changed,
      [gpu.params(Uint32Array.of(count)), x.probe, this.#snapshot, this.#when],
      1,
    );
    const floats = d.size / 4;
    gpu.dispatch(
      clear,
      [gpu.params(Uint32Array.of(floats)), this.#when, d],
      Math.ceil(floats / 256),
    );
    for (const batch of scan.batches) {
      const call = { batch, slice: 0, modes: 1, waveOffset: 0 };
      ms.windows.overlapAddWhen(intensity, d, call, this.#when);
    }
  }

  /** d <- sum over positions of prod_s |O_s[window]|^2 (real part; imaginary part 0). */
  #objectIntensity(x: GpuVariables, d: GPUBuffer): void {
    const { gpu, multislice: ms, scan, work, ew, reductions, slices } = this.p;
    const m2 = scan.frame * scan.frame;
    gpu.encoder.clearBuffer(d);
    for (const batch of scan.batches) {
      if (slices === 1) {
        // One pass over the windows, none stored (the slices' product needs them).
        ms.windows.windowPower(x.object, d, { batch, slice: 0, modes: 1, waveOffset: 0 }, true);
        continue;
      }
      const count = batch.count * m2;
      for (let s = 0; s < slices; s++) {
        ms.windows.extract(x.object, ms.patch, { batch, slice: s, modes: 1, waveOffset: 0 });
        if (s === 0) {
          ew.mul(ms.patch, ms.patch, work, { count, conjA: true });
        } else {
          ew.mul(ms.patch, ms.patch, ms.waves, { count, conjA: true });
          ew.mul(ms.waves, work, ms.patch, { count });
          gpu.copy(ms.patch, 0, work, 0, 8 * count);
        }
      }
      reductions.sumBatches(work, d, { length: m2, batch: batch.count, accumulate: true });
    }
  }
}
