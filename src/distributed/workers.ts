/**
 * The `workers` transport: the {@link Collectives} of one Deno worker of a pool, over the pool's
 * SharedArrayBuffer fabric (Atomics words and mailboxes, `src/parallel/fabric.ts`). All-reduces
 * gather every tile's contribution in shared memory and combine them in tile order; strips go
 * through the halo exchange's mailboxes, one set per stream.
 */
import { Fabric } from "../parallel/fabric.ts";
import { HaloExchange } from "../parallel/exchange.ts";
import type { Tiling } from "../tiling/mod.ts";
import type { Collectives, ReduceOp, StripExchange, StripMode } from "./collectives.ts";

export class WorkerCollectives implements Collectives {
  readonly transport = "workers";
  readonly rank: number;
  readonly size: number;

  /** `tiles`: those of `tiling` this worker holds, ascending. */
  constructor(
    readonly fabric: Fabric,
    readonly tiling: Tiling,
    readonly tiles: readonly number[],
  ) {
    this.rank = fabric.rank;
    this.size = fabric.layout.workers;
  }

  // deno-lint-ignore require-await
  async allReduce(parts: ReadonlyMap<number, Float64Array>, op: ReduceOp = "sum") {
    return this.fabric.allReduceTiles(parts, op);
  }

  strips(o: { stream: number; planes: number; mode: StripMode }): StripExchange {
    const { fabric, tiling } = this;
    const mailboxBase = o.stream * tiling.overlaps.length;
    return new HaloExchange({ fabric, tiling, planes: o.planes, mode: o.mode, mailboxBase });
  }

  // deno-lint-ignore require-await
  async broadcast(values: Float64Array, root: number): Promise<Float64Array> {
    return this.fabric.broadcast(values, root);
  }

  // deno-lint-ignore require-await
  async barrier(): Promise<void> {
    this.fabric.allReduce(new Float64Array(0));
  }

  abort(_reason: string): void {
    // The worker's failure itself carries the reason to the pool, which names worker and tiles.
    this.fabric.abort();
  }
}
