/**
 * A pool job whose module blocks its thread while it loads, as a long import does on a loaded
 * machine: for `?block=MS` milliseconds, then `run` returns the worker's rank.
 */
import type { WorkerContext } from "../../src/parallel/mod.ts";

const block = Number(new URL(import.meta.url).searchParams.get("block") ?? 0);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, block);

export function run(context: WorkerContext<null>): Promise<number> {
  return Promise.resolve(context.rank);
}
