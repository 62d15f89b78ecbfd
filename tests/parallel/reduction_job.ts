/**
 * A pool job for the reduction tests: each worker runs its tiles' fake solvers concurrently,
 * each tile summing scalars, exchanging its object gradient and summing its probe gradient
 * through {@link TileReductions}, with random pauses so that the tiles interleave differently.
 */
import { WorkerCollectives } from "../../src/distributed/workers.ts";
import {
  HostGradients,
  type ReductionBackend,
  TileReductions,
  type WorkerContext,
} from "../../src/parallel/mod.ts";
import { planTiling, tilesOf } from "../../src/tiling/mod.ts";
import type { Case } from "../tiling/scans.ts";
import { random } from "../tiling/scans.ts";
import { overlapAdd, patchValue } from "./synthetic_job.ts";

export interface ReductionPayload {
  scan: Case;
  rounds: number;
  probeLength: number;
}

export interface TileOutcome {
  tile: number;
  sums: number[];
  /** Per round, `sums` of this round's scalar and the next round's, in one all-reduce. */
  pairs: number[][];
  maxima: number[];
  objects: Float32Array[];
  weights: Float32Array[];
  probes: Float32Array[];
}

/** The scalar tile `t` contributes at `round`. */
export function scalarOf(t: number, round: number): number {
  return Math.cos(t * 3.1 + round * 0.7) * 10;
}

/** The probe gradient tile `t` contributes at `round` (multiples of 1/8: exact sums). */
export function probeOf(t: number, round: number, length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => patchValue(t, 0, i, round));
}

export async function run(context: WorkerContext<ReductionPayload>): Promise<TileOutcome[]> {
  const { scan, rounds, probeLength } = context.payload;
  const tiling = planTiling(scan);
  const tiles = tilesOf(tiling, context.rank);
  const planes = 1;
  const collectives = new WorkerCollectives(context.fabric, tiling, tiles);
  const backend: ReductionBackend<Float32Array> = {
    objectStore: (tile, gradient) =>
      new HostGradients(tiling.regions, planes, new Map([[tile, gradient]])),
    readProbe: (gradient) => Promise.resolve(gradient.slice()),
    writeProbe: (gradient, values) => Promise.resolve(gradient.set(values)),
  };
  const reductions = new TileReductions({ collectives, tiling, planes, mode: "sync", backend });
  const rand = random(100 + context.rank);
  const pause = () => new Promise((resolve) => setTimeout(resolve, Math.floor(rand() * 3)));
  return await Promise.all(tiles.map(async (tile) => {
    const reduction = reductions.forTile(tile);
    const outcome: TileOutcome = {
      tile,
      sums: [],
      pairs: [],
      maxima: [],
      objects: [],
      weights: [],
      probes: [],
    };
    for (let round = 0; round < rounds; round++) {
      await pause();
      outcome.sums.push(await reduction.sum(scalarOf(tile, round)));
      outcome.pairs.push(await reduction.sums([scalarOf(tile, round), scalarOf(tile, round + 1)]));
      outcome.maxima.push(await reduction.max(scalarOf(tile, round)));
      const region = tiling.regions[tile];
      const weight = overlapAdd(scan, tiling.positionsOf[tile], region, planes, round + 100);
      await reduction.sumOverlaps(weight);
      outcome.weights.push(weight);
      await pause();
      const object = overlapAdd(
        scan,
        tiling.positionsOf[tile],
        tiling.regions[tile],
        planes,
        round,
      );
      await reduction.exchangeObject(object);
      outcome.objects.push(object);
      await pause();
      const probe = probeOf(tile, round, probeLength);
      await reduction.sumProbe(probe);
      outcome.probes.push(probe);
    }
    return outcome;
  }));
}
