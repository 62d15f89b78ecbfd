/** What the tiled benchmarks share: a simulated raster scan and a start near its truth. */
import { simulateDataset } from "../../src/simulate/mod.ts";
import { cpuTicksMs } from "../../src/parallel/mod.ts";
import type { EngineSessionOptions } from "../../src/engine/mod.ts";

/**
 * A Siemens star scanned in a raster (every tile of fine grids gets positions), with a start
 * near its truth (a smooth phase error of up to 0.3 rad), as late in a reconstruction.
 */
export async function benchProblem(
  frame: number,
  positions: number,
  seed = 7,
): Promise<Omit<EngineSessionOptions, "tiles" | "workers">> {
  const { dataset, truth } = await simulateDataset({
    preset: "siemens",
    frame,
    positions,
    scan: "raster",
    seed,
  });
  const object = Float32Array.from(truth.object);
  for (let i = 0; i < object.length / 2; i++) {
    const a = 0.3 * Math.sin(i * 0.37);
    const [re, im] = [object[2 * i], object[2 * i + 1]];
    object[2 * i] = re * Math.cos(a) - im * Math.sin(a);
    object[2 * i + 1] = re * Math.sin(a) + im * Math.cos(a);
  }
  return {
    dataset,
    exchange: "sync",
    algorithm: "gd",
    slices: 1,
    modes: 1,
    noise: "poisson",
    initial: { object, probe: Float32Array.from(truth.probe) },
  };
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** CPU time (user + system) of this whole process, all threads, in ms, from /proc. */
export function processCpuMs(): number {
  return cpuTicksMs(Deno.readTextFileSync("/proc/self/stat"));
}

/** The lines of a byte stream, one `next()` at a time. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
      yield buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
    }
  }
}
