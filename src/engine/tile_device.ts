/**
 * The device side of streamed tiles (`streamed_store.ts`): the worker's device lent to one tile
 * at a time, keeping as many tiles' device problems resident as the memory budget holds; and
 * host arrays as the reductions' gradients.
 */
import type { Gpu } from "../gpu/mod.ts";
import { HostGradients, type ReductionBackend } from "../parallel/mod.ts";
import type { GpuProblem } from "../problem/mod.ts";
import type { Tiling } from "../tiling/mod.ts";

/** Host arrays as the reductions' gradients (see `TileReductions`). */
export function hostBackend(tiling: Tiling): ReductionBackend<Float32Array> {
  return {
    objectStore: (tile, gradient) => {
      const { height, width } = tiling.regions[tile];
      const planes = gradient.length / (2 * height * width);
      return new HostGradients(tiling.regions, planes, new Map([[tile, gradient]]));
    },
    readProbe: (gradient) => Promise.resolve(gradient.slice()),
    writeProbe: (gradient, values) => {
      gradient.set(values);
      return Promise.resolve();
    },
  };
}

/**
 * A worker's device, lent to one tile at a time. Tiles' device problems stay resident, least
 * recently used first out, as long as the others' bytes plus {@link need} fit the budget: then
 * no pass, whichever tile it runs, takes the device above the budget.
 */
export class TileDevice {
  /**
   * Device bytes one tile's pass needs alone (its problem and the pass's vectors), beyond
   * the others'; unknown (infinite: one tile at a time) until every tile has run once.
   */
  need = Infinity;
  #queue: Promise<unknown> = Promise.resolve();
  /** Resident problems and their bytes, least recently used first. */
  readonly #resident = new Map<number, { problem: GpuProblem; bytes: number }>();

  constructor(readonly gpu: Gpu, readonly budget: number) {}

  /** Runs `fn` on tile `tile`'s device problem (opened by `open` unless resident) alone. */
  use<T>(tile: number, open: () => Promise<GpuProblem>, fn: (p: GpuProblem) => Promise<T>) {
    const run = this.#queue.then(async () => {
      const mine = this.#resident.get(tile);
      this.#resident.delete(tile);
      for (const [other, { problem }] of this.#resident) {
        if (this.gpu.memory.live - (mine?.bytes ?? 0) + this.need <= this.budget) break;
        problem.dispose();
        this.#resident.delete(other);
      }
      let entry = mine;
      if (!entry) {
        const before = this.gpu.memory.live;
        const problem = await open();
        entry = { problem, bytes: this.gpu.memory.live - before };
      }
      this.#resident.set(tile, entry);
      return await fn(entry.problem);
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Frees tile `tile`'s problem if it is resident (no pass may be running). */
  evict(tile: number): void {
    this.#resident.get(tile)?.problem.dispose();
    this.#resident.delete(tile);
  }

  /** Frees every resident problem. */
  release(): void {
    for (const { problem } of this.#resident.values()) problem.dispose();
    this.#resident.clear();
  }
}
