/** A device, FFT, kernels and a random scan for the operator tests. */
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import { Fft2 } from "../../src/fft/mod.ts";
import { Elementwise } from "../../src/kernels/mod.ts";
import { Scan } from "../../src/operators/mod.ts";
import { testRandom } from "../kernels/random.ts";

export interface Bench {
  gpu: Gpu;
  fft: Fft2;
  ew: Elementwise;
}

/** Runs `fn` with a fresh device and an FFT of `frame`, destroying them afterwards. */
export async function withBench(frame: number, fn: (b: Bench) => Promise<void>): Promise<void> {
  const gpu = await requestGpu({ label: "operator test" });
  try {
    const fft = await Fft2.create(gpu, frame);
    await fn({ gpu, fft, ew: await Elementwise.create(gpu) });
  } finally {
    gpu.destroy();
  }
}

/** `n` random positions with sub-pixel parts whose windows lie inside `shape` with a margin. */
export function randomPositions(
  n: number,
  frame: number,
  shape: [number, number],
): { positionsY: Float64Array; positionsX: Float64Array } {
  const pick = (size: number) => frame / 2 + 1 + testRandom() * (size - frame - 2);
  return {
    positionsY: Float64Array.from({ length: n }, () => pick(shape[0])),
    positionsX: Float64Array.from({ length: n }, () => pick(shape[1])),
  };
}

/** A scan of `n` random positions in one batch. */
export function randomScan(gpu: Gpu, n: number, frame: number, shape: [number, number]): Scan {
  return Scan.create(gpu, {
    ...randomPositions(n, frame, shape),
    frame,
    objectShape: shape,
    batchSize: n,
  });
}
