/**
 * A pool job that uses a GPU device and ends, as the engine's workers do: it opens the device,
 * runs a forward FFT over a batch of frames, reads a value back and destroys the device, then
 * returns its kernel thread id (from /proc/thread-self) and the value read.
 */
import { requestGpu } from "../../src/gpu/mod.ts";
import { Fft2 } from "../../src/fft/mod.ts";
import type { WorkerContext } from "../../src/parallel/mod.ts";

export async function run(context: WorkerContext<null>): Promise<[number, number]> {
  const gpu = await requestGpu({ label: `device job ${context.rank}` });
  try {
    const fft = await Fft2.create(gpu, 32);
    const frames = gpu.upload(new Float32Array(8 * 32 * 32 * 2).fill(context.rank + 1), "frames");
    fft.forward(frames, frames, 8);
    const zero = new Float32Array(await gpu.read(frames))[0];
    fft.destroy();
    const thread = Number(/\/task\/(\d+)$/.exec(Deno.readLinkSync("/proc/thread-self"))![1]);
    return [thread, zero];
  } finally {
    gpu.destroy();
  }
}
