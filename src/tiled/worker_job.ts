/**
 * The tiled engine inside a worker: its own device, and for each of its tiles the extended
 * object, its positions' frames (read here, not through the main thread), a probe copy and a
 * solver. The tiles' solvers step concurrently; their sums go through {@link TileReductions}.
 */
import { type Gpu, requestGpu } from "../gpu/mod.ts";
import { gpuBackend, HaloExchange, TileReductions, type WorkerContext } from "../parallel/mod.ts";
import { GpuProblem, type GpuVariables } from "../problem/mod.ts";
import { GradientSolver } from "../solvers/mod.ts";
import { type Rect, tilesOf, wasmKernels } from "../tiling/mod.ts";
import type { FrameSource } from "../data/mod.ts";
import {
  openFrames,
  SubsetFrames,
  type TiledCommand,
  type TiledPayload,
  type TileSolverState,
} from "./payload.ts";
import { extractRegion } from "./stitch.ts";

interface TileState {
  tile: number;
  problem: GpuProblem;
  x: GpuVariables;
  solver: GradientSolver<GpuVariables>;
}

export async function run(context: WorkerContext<TiledPayload>): Promise<void> {
  const p = context.payload;
  const { tiling } = p;
  const tiles = tilesOf(tiling, context.rank);
  const gpu = await requestGpu({ label: `worker ${context.rank}` });
  const source = await openFrames(p.frames, tiling.frame);
  const states: TileState[] = [];
  try {
    const fabric = context.fabric;
    const exchange = new HaloExchange({ fabric, tiling, planes: p.slices, mode: p.exchange });
    // The preconditioner's illumination is summed over overlaps exactly, through mailboxes of
    // its own (see `mailboxLayout`).
    const weights = new HaloExchange({
      fabric,
      tiling,
      planes: 1,
      mode: "sync",
      mailboxBase: tiling.overlaps.length,
    });
    const reductions = new TileReductions({
      fabric,
      exchange,
      weights,
      tiling,
      tiles,
      backend: gpuBackend(gpu, tiling),
    });
    for (const tile of tiles) states.push(await openTile({ gpu, p, tile, source, reductions }));
    context.progress({
      type: "ready",
      bytes: gpu.memory.live,
      adapter: { description: gpu.info.description, fallback: gpu.info.fallback },
    });
    for (;;) {
      const command = await context.nextCommand() as TiledCommand;
      if (command.type === "finish") return;
      if (command.type === "step") {
        const steps = await Promise.all(states.map((s) => s.solver.step()));
        const iteration = states[0].solver.iteration - 1;
        context.progress({
          type: "stepped",
          iteration,
          cost: steps[0].cost,
          peak: gpu.memory.peak,
        });
      } else if (command.type === "result") {
        for (const s of states) {
          const { object, probe } = await s.problem.download(s.x);
          const peak = gpu.memory.peak;
          context.progress({
            type: "result",
            what: "x",
            tile: s.tile,
            object,
            probe,
            cost: NaN,
            peak,
          });
        }
      } else if (command.type === "checkpoint") {
        for (const s of states) {
          const state = await solverState(s);
          context.progress({ type: "state", state, peak: gpu.memory.peak });
        }
      } else {
        await publishGradients(context, states);
      }
    }
  } finally {
    for (const s of states) {
      s.solver.destroy();
      s.problem.destroy(s.x);
      s.problem.dispose();
    }
    source.close();
    gpu.destroy();
  }
}

/** Evaluates the complete gradient (object and probe) of every tile at its current unknowns. */
async function publishGradients(
  context: WorkerContext<TiledPayload>,
  states: TileState[],
): Promise<void> {
  const saved = states.map((s) => s.problem.active);
  const gradients = states.map((s) => s.problem.create(`tile ${s.tile} gradient`));
  try {
    for (const s of states) s.problem.setActive({ object: true, probe: true });
    const costs = await Promise.all(states.map((s, i) => s.problem.gradient(s.x, gradients[i])));
    for (const [i, s] of states.entries()) {
      const { object, probe } = await s.problem.download(gradients[i]);
      const peak = s.problem.gpu.memory.peak;
      const cost = costs[i];
      context.progress({
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

/** The tile's solver state, its vectors read back with their exact bits. */
async function solverState(s: TileState): Promise<TileSolverState> {
  const { algorithm, iteration, scalars, vectors } = s.solver.state();
  const parts: TileSolverState["vectors"] = {};
  for (const [name, v] of Object.entries(vectors)) parts[name] = await s.problem.download(v);
  return { tile: s.tile, algorithm, iteration, scalars, vectors: parts };
}

/** Puts a saved state into a tile's fresh solver (through temporary device vectors). */
async function restoreTile(s: TileState, saved: TileSolverState): Promise<void> {
  const { problem } = s;
  const vectors: Record<string, GpuVariables> = {};
  try {
    for (const [name, parts] of Object.entries(saved.vectors)) {
      vectors[name] = problem.upload(parts.object, parts.probe, `tile ${s.tile} saved ${name}`);
    }
    s.solver.restore({ ...saved, vectors });
    // The copies out of the temporary vectors must run before those are released.
    await problem.gpu.finish();
  } finally {
    for (const v of Object.values(vectors)) problem.destroy(v);
  }
}

/** The tile's positions, in its region's coordinates, and their frames. */
function ownScan(p: TiledPayload, mine: Int32Array, region: Rect, source: FrameSource) {
  return {
    frames: new SubsetFrames(source, mine),
    // Window origins stay integers when shifted by the region's corner: the same sub-pixel
    // remainders, the same windows, in region coordinates.
    positionsY: Float64Array.from(mine, (j) => p.positionsY[j] - region.y0),
    positionsX: Float64Array.from(mine, (j) => p.positionsX[j] - region.x0),
  };
}

async function openTile(o: {
  gpu: Gpu;
  p: TiledPayload;
  tile: number;
  source: FrameSource;
  reductions: TileReductions<GPUBuffer>;
}): Promise<TileState> {
  const { gpu, p, tile } = o;
  const { tiling } = p;
  const region = tiling.regions[tile];
  const mine = tiling.positionsOf[tile];
  const scan = ownScan(p, mine, region, o.source);
  const problem = await GpuProblem.create({
    gpu,
    ...scan,
    frame: tiling.frame,
    objectShape: [region.height, region.width],
    slices: p.slices,
    modes: p.modes,
    noise: p.noise,
    mask: p.mask,
    sliceDistance: p.propagation?.sliceDistance,
    wavelength: p.propagation?.wavelength,
    pixelSize: p.propagation?.pixelSize,
    batchSize: p.batchSize,
    reduction: {
      ...o.reductions.forTile(tile),
      // Pixels of empty tiles' cores this tile computes (see `withoutEmptyTiles`).
      alsoOwned: p.alsoOwned[tile].map((r) => ({
        ...r,
        y0: r.y0 - region.y0,
        x0: r.x0 - region.x0,
      })),
    },
    // Every tile holds the same all-reduced probe: one of them counts it in dot products.
    countProbe: tile === 0,
    gather: wasmKernels.gather,
  });
  const object = extractRegion(new Float32Array(p.object), tiling.objectShape, p.slices, region);
  const x = problem.upload(object, p.probe, `tile ${tile} x`);
  const solver = new GradientSolver(problem, x, {
    conjugate: p.algorithm === "cg",
    refineProbeFrom: p.refineProbeFrom,
  });
  const state = { tile, problem, x, solver };
  const saved = p.resume?.[tile];
  if (saved) await restoreTile(state, saved);
  return state;
}
