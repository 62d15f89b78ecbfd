import type { Gpu } from "../gpu/mod.ts";
import type { Fft2 } from "../fft/mod.ts";
import type { Elementwise, Reductions } from "../kernels/mod.ts";
import type { Multislice, NearField } from "../operators/mod.ts";
import type { FarFieldCost } from "../cost/mod.ts";
import type { GpuProblemOptions } from "./gpu_problem.ts";
import type { Reduction } from "./reduction.ts";

/** What {@link GpuProblem.create} assembles for the problem's constructor. */
export interface ProblemParts {
  gpu: Gpu;
  fft: Fft2;
  ownsFft: boolean;
  ew: Elementwise;
  reductions: Reductions;
  cost: FarFieldCost;
  frames: GPUBuffer;
  ownsFrames: boolean;
  reduction: Reduction;
  countProbe: boolean;
  multislice: Multislice;
  nearField: NearField | null;
  eps: number;
  /** See `GpuProblemOptions.haloPositions` (null: the exchange starts after every batch). */
  halo: number | null;
}

/**
 * Positions per batch when the caller does not choose: about 2^20 complex elements per work
 * buffer (8 MiB; 256 positions of 64 x 64, 64 of 128 x 128), at most 256. Larger batches buy
 * little speed (dispatch overhead is already small) and cost device memory several times over:
 * the work, stored-wave and patch buffers and the FFT's scratch all scale with it.
 */
export function defaultBatchSize(frame: number, modes: number): number {
  return Math.max(1, Math.min(256, Math.floor(2 ** 20 / (modes * frame * frame))));
}

/**
 * The frames on the device (uploaded from a source, or the caller's buffer) and once on the host,
 * for the float64 constant of the Poisson cost.
 */
export async function loadFrames(
  o: GpuProblemOptions,
): Promise<{ frames: GPUBuffer; hostFrames: Float32Array; ownsFrames: boolean }> {
  const { gpu, frame } = o;
  const n = o.positionsY.length;
  const bytes = 4 * n * frame * frame;
  if (o.frames instanceof GPUBuffer) {
    if (o.frames.size < bytes) {
      throw new RangeError(
        `Cannot use ${o.frames.size} bytes of frames for ${n} x ${frame} x ${frame} float32`,
      );
    }
    return {
      frames: o.frames,
      hostFrames: await gpu.readF32(o.frames, 0, bytes),
      ownsFrames: false,
    };
  }
  const hostFrames = await o.frames.read(Array.from({ length: n }, (_, j) => j));
  if (hostFrames.length !== n * frame * frame) {
    throw new RangeError(
      `Cannot use ${hostFrames.length} frame values for ${n} x ${frame} x ${frame}`,
    );
  }
  return { frames: gpu.upload(hostFrames, "frames"), hostFrames, ownsFrames: true };
}
