/**
 * The tiled engine inside a worker: its own device, and for each of its tiles the extended
 * object, its positions' frames (read here, not through the main thread), a probe copy and a
 * solver. The tiles' solvers step concurrently; their sums go through {@link TileReductions}.
 */
import { type Gpu, requestGpu } from "../gpu/mod.ts";
import { gpuBackend, HaloExchange, TileReductions, type WorkerContext } from "../parallel/mod.ts";
import { GpuProblem, type GpuVariables } from "../problem/mod.ts";
import { GradientSolver } from "../solvers/mod.ts";
import { tilesOf, wasmKernels } from "../tiling/mod.ts";
import { openFrames, SubsetFrames, type TiledCommand, type TiledPayload } from "./payload.ts";
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
    context.progress({ type: "ready", bytes: gpu.memory.live });
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
      } else {
        for (const s of states) {
          const { object, probe } = await s.problem.download(s.x);
          context.progress({ type: "result", tile: s.tile, object, probe, peak: gpu.memory.peak });
        }
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

async function openTile(o: {
  gpu: Gpu;
  p: TiledPayload;
  tile: number;
  source: import("../data/mod.ts").FrameSource;
  reductions: TileReductions<GPUBuffer>;
}): Promise<TileState> {
  const { gpu, p, tile } = o;
  const { tiling } = p;
  const region = tiling.regions[tile];
  const mine = tiling.positionsOf[tile];
  const problem = await GpuProblem.create({
    gpu,
    frames: new SubsetFrames(o.source, mine),
    // Window origins stay integers when shifted by the region's corner: the same sub-pixel
    // remainders, the same windows, in region coordinates.
    positionsY: Float64Array.from(mine, (j) => p.positionsY[j] - region.y0),
    positionsX: Float64Array.from(mine, (j) => p.positionsX[j] - region.x0),
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
    reduction: o.reductions.forTile(tile),
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
  return { tile, problem, x, solver };
}
