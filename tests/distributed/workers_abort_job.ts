/**
 * A pool job for the workers transport's abort: worker 1 aborts through its collectives and then
 * throws, as the engine does when a tile fails; the others wait in an all-reduce meanwhile.
 */
import { WorkerCollectives } from "../../src/distributed/workers.ts";
import type { WorkerContext } from "../../src/parallel/mod.ts";
import { planTiling, tilesOf } from "../../src/tiling/mod.ts";

export async function run(context: WorkerContext<null>): Promise<void> {
  const tiling = planTiling({
    objectShape: [40, 40],
    frame: 8,
    tiles: [1, context.workers],
    workers: context.workers,
    positionsY: Float64Array.from({ length: context.workers }, () => 20),
    positionsX: Float64Array.from(
      { length: context.workers },
      (_, i) => 5 + 30 * i / context.workers,
    ),
  });
  const tiles = tilesOf(tiling, context.rank);
  const collectives = new WorkerCollectives(context.fabric, tiling, tiles);
  if (context.rank === 1) {
    const reason = `Worker 1 (tile ${tiles[0]}) threw: a planned failure`;
    collectives.abort(reason);
    throw new Error(reason);
  }
  await collectives.allReduce(new Map(tiles.map((t) => [t, Float64Array.of(t)])));
}
