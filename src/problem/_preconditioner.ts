import type { GpuProblem, GpuVariables } from "./gpu_problem.ts";
import code from "../../wgsl/probe_change.wgsl" with { type: "text" };

const SOURCE = { file: "wgsl/probe_change.wgsl", code };

/**
 * The diagonal preconditioner of `gd`, the same as the float64 reference problem's: the object
 * gradient divided by the probe intensity that reached each pixel, D_O = sum_j sum_k |P_k|^2 over
 * the windows covering it (every slice sees about the probe's intensity, sub-pixel shifts are
 * ignored), and the probe gradient by D_P = sum_j prod_s |O_s[window j]|^2 (every mode). Each is
 * floored at eps max D so that dim pixels do not get unbounded steps: out = g / (D + eps max D).
 * On tiles, D_O is summed over overlaps, its peak taken over all tiles and D_P all-reduced
 * through the problem's `Reduction`, so that tiled steps equal untiled ones.
 *
 * On one device D_O is recomputed only when the probe's bits changed since the last call (a
 * device-side comparison with a snapshot gates the kernels, no readback): while the probe is not
 * refined, every iteration would otherwise redo the same overlap-add over all windows. Tiles
 * decide on the host, as summing the overlaps is an exchange every tile takes part in: they
 * recompute unless the probe was inactive at this call and the last one, for the same `x`.
 */
export class Preconditioner {
  #objectWeight: GPUBuffer | null = null;
  #probeWeight: GPUBuffer | null = null;
  #floor: GPUBuffer | null = null;
  /** sum_k |P_k|^2, one M x M frame: the patch every window adds into D_O. */
  #intensity: GPUBuffer | null = null;
  /** The probe D_O was computed from, and the flags of `wgsl/probe_change.wgsl`. */
  #snapshot: GPUBuffer | null = null;
  #when: GPUBuffer | null = null;
  /**
   * On tiles: the probe buffer D_O and its floor were last computed from, while the probe was not
   * refined; null when they must be recomputed (see {@link apply}).
   */
  #summedFor: GPUBuffer | null = null;

  constructor(private readonly p: GpuProblem, private readonly eps: number) {}

  async apply(
    x: GpuVariables,
    g: GpuVariables,
    out: GpuVariables,
    active: { object: boolean; probe: boolean },
  ): Promise<void> {
    const { gpu, scan, sizes, reductions, reduction } = this.p;
    const floor = this.#floor ??= gpu.buffer(8, "preconditioner floor");
    const [h, w] = scan.objectShape;
    const m2 = scan.frame * scan.frame;
    // On tiles D_O costs an exchange and a readback, so it is kept while the probe is not
    // refined: the probe then has not changed since the last call, on any tile (each holds the
    // same all-reduced probe and takes the same decision, so the collectives stay in step).
    const kept = reduction.sumOverlaps && !active.probe && this.#summedFor === x.probe;
    this.#summedFor = reduction.sumOverlaps && active.object && !active.probe ? x.probe : null;
    if (active.object) {
      this.#objectWeight ??= gpu.buffer(8 * h * w, "object preconditioner");
      if (!kept) {
        await this.#probeIntensity(x, this.#objectWeight);
        // A tile saw only its own positions: the windows of its neighbours' positions reaching
        // into its region are added in, so that every pixel holds the untiled D_O.
        await reduction.sumOverlaps?.(this.#objectWeight);
        reductions.scaledMaxReal(this.#objectWeight, { height: h, width: w }, floor, this.eps);
        await this.#globalFloor(floor);
      }
      if (out.object !== g.object) gpu.copy(g.object, 0, out.object, 0, 8 * sizes.object);
      const o = { count: sizes.object, length: h * w, c: floor };
      this.p.ew.divideBroadcast(this.#objectWeight, out.object, o);
    }
    if (active.probe) {
      this.#probeWeight ??= gpu.buffer(8 * m2, "probe preconditioner");
      this.#objectIntensity(x, this.#probeWeight);
      // D_P sums over every position of every tile; once all-reduced it is the same on all
      // tiles, and so is its peak.
      await reduction.sumProbe(this.#probeWeight);
      reductions.scaledMaxReal(this.#probeWeight, { height: 1, width: m2 }, floor, this.eps);
      if (out.probe !== g.probe) gpu.copy(g.probe, 0, out.probe, 0, 8 * sizes.probe);
      const o = { count: sizes.probe, length: m2, c: floor };
      this.p.ew.divideBroadcast(this.#probeWeight, out.probe, o);
    }
  }

  /**
   * eps max D over all tiles. On one device the floor stays on the device (no readback); a tile
   * reads its own, and since eps > 0 rounds monotonically the largest of the tiles' floors is
   * bitwise the untiled eps max D.
   */
  async #globalFloor(floor: GPUBuffer): Promise<void> {
    const { gpu, reduction } = this.p;
    if (!reduction.max) return;
    const local = (await gpu.readF32(floor, 0, 8))[0];
    gpu.write(floor, Float32Array.of(await reduction.max(local), 0));
  }

  /** The positions moved: D_O is recomputed at the next call (cleared flags: no snapshot). */
  invalidate(): void {
    this.#summedFor = null;
    if (this.#when) this.p.gpu.encoder.clearBuffer(this.#when);
  }

  destroy(): void {
    this.p.gpu.release(
      this.#objectWeight,
      this.#probeWeight,
      this.#floor,
      this.#intensity,
      this.#snapshot,
      this.#when,
    );
  }

  /** d <- overlap-add of sum_k |P_k|^2 over every window (real part; imaginary part 0). */
  async #probeIntensity(x: GpuVariables, d: GPUBuffer): Promise<void> {
    const { gpu, multislice: ms, scan, work, modes, ew, reductions, reduction } = this.p;
    const m2 = scan.frame * scan.frame;
    const intensity = this.#intensity ??= gpu.buffer(8 * m2, "preconditioner probe intensity");
    ew.mul(x.probe, x.probe, work, { count: modes * m2, conjA: true });
    reductions.sumBatches(work, intensity, { length: m2, batch: modes });
    if (reduction.sumOverlaps) {
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
