/**
 * The engine inside a worker: its own device, and for each of its tiles the extended
 * object, its positions' frames (read here, not through the main thread), a probe copy and a
 * solver (see `tiles.ts`). The tiles' solvers step concurrently; their sums go through
 * `TileReductions`. Small events go out with `progress`; those carrying a tile's arrays with
 * `report`, to the main thread alone (a progress event is copied into every worker).
 */
import type { Collectives } from "../distributed/collectives.ts";
import { HybridCollectives } from "../distributed/hybrid.ts";
import { MpiWorld } from "../distributed/mpi/world.ts";
import { WorkerCollectives } from "../distributed/workers.ts";
import type { FrameSource } from "../data/mod.ts";
import { type Gpu, requestGpu } from "../gpu/mod.ts";
import type { WorkerContext } from "../parallel/mod.ts";
import { tilesOf } from "../tiling/mod.ts";
import { openFrames, type TiledCommand, type TiledPayload } from "./payload.ts";
import { openTiles, solverState, type TileState, type WorkerTiles } from "./tiles.ts";
import {
  beforeCorrection,
  correctPositions,
  correctsPositions,
  restartObjects,
  restartsObject,
  restorePositions,
  searchPositions,
  tilePositions,
} from "./positions.ts";
import { busyFraction, TimedCollectives, UnionTimer } from "./busy.ts";

/** What serving tiles needs of its host: a pool worker, or the main thread for one tile. */
export type TileHost = Pick<
  WorkerContext<TiledPayload>,
  "rank" | "payload" | "progress" | "report" | "nextCommand"
>;

/**
 * A pool worker's entry: its tiles of the payload's tiling, over the `workers` transport, or,
 * as one of several workers of an MPI rank, over the `mpi` transport with the rank's fabric.
 */
export async function run(context: WorkerContext<TiledPayload>): Promise<void> {
  const { tiling, mpi } = context.payload;
  if (!mpi) {
    const tiles = tilesOf(tiling, context.rank);
    await serveTiles(context, new WorkerCollectives(context.fabric, tiling, tiles));
    return;
  }
  const { fabric } = context;
  const world = MpiWorld.attach();
  const collectives = new HybridCollectives({ world, fabric, tiling, ...mpi });
  await serveTiles(context, collectives);
  await collectives.finish();
}

/**
 * Opens a device and the tiles `collectives` holds, then answers the host's commands until
 * "finish". Frames come from `frames` when given (the caller keeps it open), else from the
 * payload's source.
 */
export async function serveTiles(
  context: TileHost,
  collectives: Collectives,
  frames?: FrameSource,
): Promise<void> {
  const p = context.payload;
  const { tiling } = p;
  const gpu = await requestGpu({ label: `worker ${context.rank}` });
  let source: FrameSource | null = null;
  let tiles: WorkerTiles | null = null;
  // Only measures (the live view's busy fraction): every collective goes through unchanged.
  const waiting = new UnionTimer();
  const timed = new TimedCollectives(collectives, waiting);
  try {
    source = frames ? null : await openFrames(p.frames, tiling.frame);
    tiles = await openTiles({ payload: p, collectives: timed, gpu, source: frames ?? source! });
    const { states } = tiles;
    for (const s of states) {
      const saved = p.resume?.[s.tile]?.positions;
      if (saved) restorePositions(p, s, saved);
    }
    // Refined positions travel with the unknowns and the checkpoints.
    const positionsOf = (s: TileState) =>
      p.correctPositionsFrom === null ? {} : { positions: tilePositions(p, s) };
    context.progress({
      type: "ready",
      bytes: gpu.memory.live,
      tileBytes: tiles.tileBytes,
      adapter: { description: gpu.info.description, fallback: gpu.info.fallback },
    });
    for (;;) {
      const command = await context.nextCommand() as TiledCommand;
      if (command.type === "finish") return;
      if (command.type === "step") {
        const next = states[0].solver.iteration;
        if (restartsObject(p, next)) {
          await searchPositions(p, states);
          await restartObjects(p, states);
        }
        const correct = correctsPositions(p, next);
        if (correct) beforeCorrection(states);
        const t0 = performance.now(), waited0 = waiting.total();
        const steps = await Promise.all(states.map((s) => s.solver.step()));
        if (correct) await correctPositions(p, states);
        // An iteration ends with the device idle: a solver may leave work queued after its
        // last read-back (dm and raar their whole probe pass, lsqml its momentum), which would
        // otherwise run inside whatever comes next (the next step, a read-back of the object)
        // and leave this step's time short of what it cost.
        await gpu.finish();
        const busy = busyFraction(performance.now() - t0, waiting.total() - waited0);
        const iteration = states[0].solver.iteration - 1;
        context.progress({
          type: "stepped",
          iteration,
          cost: steps[0].cost,
          newCost: steps[0].newCost ?? null,
          evaluations: steps[0].evaluations,
          rFactor: steps[0].rFactor ?? null,
          newRFactor: steps[0].newRFactor ?? null,
          peak: gpu.memory.peak,
          peakLabels: gpu.memory.peakByLabel(),
          transport: collectives.transport,
          participant: collectives.rank,
          busy,
          shares: states.map((s) => ({ tile: s.tile, ...s.problem.residual })),
        });
      } else if (command.type === "result") {
        for (const s of states) {
          const { object, probe } = await s.problem.download(s.x);
          const peak = gpu.memory.peak;
          context.report({
            type: "result",
            what: "x",
            tile: s.tile,
            object,
            probe,
            cost: NaN,
            peak,
            ...positionsOf(s),
          });
        }
      } else if (command.type === "checkpoint") {
        for (const s of states) {
          const state = { ...await solverState(s), ...positionsOf(s) };
          context.report({ type: "state", state, peak: gpu.memory.peak });
        }
      } else {
        await publishGradients(context, states, gpu);
      }
    }
  } finally {
    tiles?.release();
    source?.close();
    gpu.destroy();
  }
}

/** Evaluates the complete gradient (object and probe) of every tile at its current unknowns. */
async function publishGradients(
  context: TileHost,
  states: TileState[],
  gpu: Gpu,
): Promise<void> {
  const saved = states.map((s) => s.problem.active);
  const gradients = states.map((s) => s.problem.create(`tile ${s.tile} gradient`));
  try {
    for (const s of states) s.problem.setActive({ object: true, probe: true });
    const costs = await Promise.all(states.map((s, i) => s.problem.gradient(s.x, gradients[i])));
    for (const [i, s] of states.entries()) {
      const { object, probe } = await s.problem.download(gradients[i]);
      const peak = gpu.memory.peak;
      const cost = costs[i];
      context.report({
        type: "result",
        what: "gradient",
        tile: s.tile,
        object,
        probe,
        cost,
        peak,
      });
    }
  } finally {
    states.forEach((s, i) => {
      s.problem.destroy(gradients[i]);
      s.problem.setActive(saved[i]);
    });
  }
}
