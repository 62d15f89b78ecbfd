/**
 * A worker's tiles: each with its problem, unknowns and solver, either resident on the worker's
 * device (each tile's frames, vectors and work buffers there at once) or, under a memory budget,
 * kept on the host and streamed through the device one tile at a time (`streamed_store.ts`). Both
 * are a tile's store behind the one reduction layer (`ReducedProblem`).
 */
import { type FrameSource, MemoryFrames } from "../data/mod.ts";
import { Fft2 } from "../fft/mod.ts";
import type { Gpu } from "../gpu/mod.ts";
import type { Collectives } from "../distributed/collectives.ts";
import { gpuBackend, TileReductions } from "../parallel/mod.ts";
import { BatchWorkspace } from "../operators/mod.ts";
import {
  GpuProblem,
  type GpuVariables,
  localReduction,
  LsqmlSweep,
  type Parts,
  ReducedProblem,
  type Reduction,
  sparseBatchOrder,
  type TileResidual,
} from "../problem/mod.ts";
import { PRECONDITIONER_FLOOR } from "../physics/model.ts";
import {
  GradientSolver,
  LsqmlSolver,
  type LsqmlState,
  type Problem,
  ProjectionSolver,
  type ProjectionState,
  type StepResult,
} from "../solvers/mod.ts";
import { type Rect, windowStart } from "../tiling/mod.ts";
import { positionReach } from "./ownership.ts";
import { deviceProblem } from "./device_problem.ts";
import { SubsetFrames, type TiledPayload, type TileSolverState } from "./payload.ts";
import { extractRegion } from "./stitch.ts";
import { type HostVariables, StreamedStore } from "./streamed_store.ts";
import { hostBackend, TileDevice } from "./tile_device.ts";

/**
 * What the worker uses of a tile's problem: resident (`GpuProblem`) or streamed (a
 * `ReducedProblem` over a `StreamedStore`).
 */
export interface TileProblem<V> extends Problem<V> {
  readonly active: Parts;
  upload(object: Float32Array, probe: Float32Array, label?: string): V;
  download(v: V): Promise<{ object: Float32Array; probe: Float32Array }>;
  /** The tile's share of the latest evaluation, before the sum over tiles. */
  readonly residual: TileResidual;
  /** Resolves once the work queued on the tile's vectors has run. */
  finish(): Promise<void>;
  dispose(): void;
}

/** What the worker uses of a tile's solver: `GradientSolver` (cg, gd) or `LsqmlSolver`. */
export interface TileSolver<V> {
  readonly iteration: number;
  step(): Promise<StepResult>;
  /** `GradientSolver`'s: forget a kept gradient, the cost having changed (position correction). */
  forget?(): void;
  /** `GradientSolver`'s: start over from an x set anew (position correction's restart). */
  restart?(): void;
  state(): {
    algorithm: TileSolverState["algorithm"];
    iteration: number;
    scalars: Record<string, number>;
    vectors: Record<string, V>;
  };
  destroy(): void;
}

/** One tile of a worker. */
export interface TileState<V = unknown> {
  tile: number;
  problem: TileProblem<V>;
  x: V;
  solver: TileSolver<V> | ProjectionSolver;
}

/** A worker's open tiles and how to free them. */
export interface WorkerTiles {
  states: TileState[];
  /** Device bytes one streamed tile needed (measured once per tile), or null when resident. */
  tileBytes: number | null;
  release(): void;
}

/** Opens the worker's tiles (those its collectives hold); streamed when the payload sets a memory budget. */
export async function openTiles(o: {
  payload: TiledPayload;
  collectives: Collectives;
  gpu: Gpu;
  source: FrameSource;
}): Promise<WorkerTiles> {
  const { gpu, collectives } = o;
  const p = o.payload;
  const { tiling } = p;
  const tiles = collectives.tiles;
  const common = { collectives, tiling, planes: p.slices, mode: p.exchange };
  const states: TileState[] = [];
  // One FFT plan and one set of batch buffers for all the worker's tiles (see BatchWorkspace).
  const fft = await Fft2.create(gpu, tiling.frame);
  const workspace = new BatchWorkspace(gpu, {
    frame: tiling.frame,
    maxBatch: Math.max(1, ...tiles.map((t) => Math.min(p.batchSize, tiling.positionsOf[t].length))),
    modes: p.modes,
    slices: p.slices,
  });
  const shared = { fft, workspace };
  const release = () => {
    for (const s of states) {
      s.solver.destroy();
      s.problem.destroy(s.x);
      s.problem.dispose();
    }
    workspace.destroy();
    fft.destroy();
  };
  try {
    if (p.memoryBudget === null) {
      const reductions = new TileReductions({ ...common, backend: gpuBackend(gpu, tiling) });
      for (const tile of tiles) {
        // A lone tile reduces with nothing: the local reduction keeps the device's fast paths
        // (no readback of the preconditioner's floor, D_O recomputed only when the probe changed).
        const reduction = tiling.regions.length === 1 && p.alsoOwned[0].length === 0
          ? localReduction([tiling.regions[0].height, tiling.regions[0].width])
          : { ...reductions.forTile(tile), alsoOwned: ownedBesides(p, tile) };
        const problem = await tileProblem({
          gpu,
          p,
          tile,
          frames: ownFrames(p, tile, o.source),
          reduction,
          ...shared,
        });
        states.push(await withSolver(p, tile, problem as TileProblem<unknown>));
      }
      return { states, tileBytes: null, release };
    }
    const reductions = new TileReductions({ ...common, backend: hostBackend(tiling) });
    const device = new TileDevice(gpu, p.memoryBudget);
    const streamed: StreamedStore[] = [];
    for (const tile of tiles) {
      const subset = ownFrames(p, tile, o.source);
      // The tile's frames stay on the host, read once (a file is not read again per pass).
      const all = Array.from(tiling.positionsOf[tile], (_, i) => i);
      const frames = new MemoryFrames(await subset.read(all), tiling.frame);
      const region = tiling.regions[tile];
      const store = new StreamedStore({
        tile,
        device,
        // The device problem serves the store's passes alone: no reduction of its own is used.
        open: () => tileProblem({ gpu, p, tile, frames, ...shared }),
        region,
        slices: p.slices,
        probeLength: p.modes * tiling.frame ** 2,
      });
      const problem = new ReducedProblem({
        store,
        reduction: { ...reductions.forTile(tile), alsoOwned: ownedBesides(p, tile) },
        countProbe: tile === 0,
        eps: PRECONDITIONER_FLOOR,
      });
      states.push(await withSolver(p, tile, problem as TileProblem<unknown>));
      streamed.push(store);
    }
    // The device caches uniform buffers for every tile's passes: a first round fills that cache
    // for all tiles, then a second measures each tile alone on top of it, the peak being what
    // the largest tile's pass needs.
    for (const fresh of [false, true]) {
      for (const [i, store] of streamed.entries()) {
        await store.rehearse(states[i].x as HostVariables, fresh);
      }
    }
    device.need = gpu.memory.peak;
    return {
      states,
      tileBytes: device.need,
      release: () => {
        device.release();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/** The tile's positions' frames, as positions 0 .. n - 1 of the tile. */
function ownFrames(p: TiledPayload, tile: number, source: FrameSource): FrameSource {
  return new SubsetFrames(source, problemOrder(p, tile));
}

/**
 * The tile's positions (global indices) in the order its problem takes them: for `lsqml` dealt
 * into sparse mini-batches (`sparseBatchOrder`), `p.lsqmlBatches` of them; for `cg` and `gd` those
 * reaching a neighbour first ({@link haloOrder}); else as planned.
 */
export function problemOrder(p: TiledPayload, tile: number): Int32Array {
  const mine = p.tiling.positionsOf[tile];
  if (p.algorithm === "cg" || p.algorithm === "gd") return haloOrder(p, tile).order;
  if (p.algorithm !== "lsqml") return mine;
  const y = Array.from(mine, (j) => p.positionsY[j]);
  const x = Array.from(mine, (j) => p.positionsX[j]);
  return Int32Array.from(sparseBatchOrder(y, x, p.lsqmlBatches), (i) => mine[i]);
}

/**
 * A tile's positions with first the `halo` whose windows (grown by the reach of position
 * correction) touch a pixel the tile shares with a neighbour, then the rest, each in planned
 * order. Once the batches holding the first `halo` positions have run, the gradient over every
 * shared pixel is complete and no later batch writes there: the strips then travel while the
 * device computes the rest (`GpuProblem`'s `haloPositions`). A function of the tiling alone, so
 * the same on every rank and worker count.
 */
export function haloOrder(p: TiledPayload, tile: number): { order: Int32Array; halo: number } {
  const { tiling } = p;
  const mine = tiling.positionsOf[tile];
  const shared = tiling.overlaps.filter((o) => o.from === tile || o.to === tile).map((o) => o.rect);
  const reach = positionReach(p.correctPositionsFrom);
  const size = tiling.frame + 2 * reach;
  const touches = (j: number) => {
    const y = windowStart(p.positionsY[j], tiling.frame) - reach;
    const x = windowStart(p.positionsX[j], tiling.frame) - reach;
    return shared.some((r) =>
      y < r.y0 + r.height && r.y0 < y + size && x < r.x0 + r.width && r.x0 < x + size
    );
  };
  const halo = mine.filter(touches);
  const order = new Int32Array(mine.length);
  order.set(halo);
  order.set(mine.filter((j) => !touches(j)), halo.length);
  return { order, halo: halo.length };
}

/** Pixels of empty tiles' cores this tile computes (see `withoutEmptyTiles`), in its region. */
function ownedBesides(p: TiledPayload, tile: number): Rect[] {
  const region = p.tiling.regions[tile];
  return p.alsoOwned[tile].map((r) => ({ ...r, y0: r.y0 - region.y0, x0: r.x0 - region.x0 }));
}

/** The device problem of one tile over its extended region (see `deviceProblem`). */
function tileProblem(o: {
  gpu: Gpu;
  p: TiledPayload;
  tile: number;
  frames: FrameSource;
  reduction?: Reduction;
  fft: Fft2;
  workspace: BatchWorkspace;
}): Promise<GpuProblem> {
  const { p, tile } = o;
  const { tiling } = p;
  const region = tiling.regions[tile];
  const mine = problemOrder(p, tile);
  return deviceProblem({
    gpu: o.gpu,
    run: p,
    frames: o.frames,
    frame: tiling.frame,
    // Window origins stay integers when shifted by the region's corner: the same sub-pixel
    // remainders, the same windows, in region coordinates.
    positionsY: Float64Array.from(mine, (j) => p.positionsY[j] - region.y0),
    positionsX: Float64Array.from(mine, (j) => p.positionsX[j] - region.x0),
    objectShape: [region.height, region.width],
    // lsqml's batches are its mini-batches, as many on every tile (see `sparseBatchOrder`).
    batchSize: p.algorithm === "lsqml"
      ? Math.ceil(mine.length / Math.min(p.lsqmlBatches, mine.length))
      : undefined,
    // Batches break after the positions reaching a neighbour: resident tiles exchange their
    // strips there; streamed ones take the same batches, hence the same bits.
    haloPositions: tiling.overlaps.length > 0 && (p.algorithm === "cg" || p.algorithm === "gd")
      ? haloOrder(p, tile).halo
      : undefined,
    reduction: o.reduction,
    // Every tile holds the same all-reduced probe: one of them counts it in dot products.
    countProbe: tile === 0,
    fft: o.fft,
    workspace: o.workspace,
  });
}

/**
 * Sets the tile's object back to its region of the initial object (position correction's
 * restart, see `positions.ts`); the probe stays.
 */
export async function restartObject(p: TiledPayload, s: TileState): Promise<void> {
  const { tiling } = p;
  const region = tiling.regions[s.tile];
  const object = extractRegion(new Float32Array(p.object), tiling.objectShape, p.slices, region);
  const problem = s.problem as unknown as GpuProblem;
  const fresh = problem.upload(object, p.probe, `tile ${s.tile} restart`);
  try {
    problem.gpu.copy(fresh.object, 0, (s.x as GpuVariables).object, 0, fresh.object.size);
    // The copy must run before the temporary vectors are released.
    await problem.gpu.finish();
  } finally {
    problem.destroy(fresh);
  }
  const { solver } = s;
  if ("restart" in solver) solver.restart?.();
}

/** The tile's unknowns (its region of the initial object) and solver, restored if resuming. */
async function withSolver<V>(
  p: TiledPayload,
  tile: number,
  problem: TileProblem<V>,
): Promise<TileState> {
  const { tiling } = p;
  const region = tiling.regions[tile];
  const object = extractRegion(new Float32Array(p.object), tiling.objectShape, p.slices, region);
  const x = problem.upload(object, p.probe, `tile ${tile} x`);
  const saved = p.resume?.[tile];
  if (p.algorithm === "dm" || p.algorithm === "raar") {
    // The engine lets these run on resident tiles only (src/engine/tiled.ts): x is on the device.
    if (!(problem instanceof GpuProblem)) {
      throw new TypeError(`Cannot run ${p.algorithm} on a streamed tile`);
    }
    const solver = await ProjectionSolver.create(problem, x as GpuVariables, {
      algorithm: p.algorithm,
      beta: p.raarBeta,
      refineProbeFrom: p.refineProbeFrom,
      probeSupport: p.probeSupport,
    });
    if (saved) await solver.restore(projectionStateOf(saved));
    return { tile, problem, x, solver } as TileState;
  }
  const solver = p.algorithm === "lsqml"
    ? new LsqmlSolver(
      new LsqmlSweep(problem as unknown as GpuProblem, p.lsqmlBatches),
      x as GpuVariables,
      { refineProbeFrom: p.refineProbeFrom },
    ) as unknown as TileSolver<V>
    : new GradientSolver(problem, x, {
      conjugate: p.algorithm === "cg",
      refineProbeFrom: p.refineProbeFrom,
      // Gradients a round late would be trusted by predicted steps: PtyGer's rule instead.
      ...(p.exchange === "async" ? { steps: "halving", direction: "dai-yuan" } as const : {}),
    });
  const state: TileState<V> = { tile, problem, x, solver };
  if (saved) await restoreTile(state, saved);
  return state as TileState;
}

/** A saved tile state as a projection solver's (its algorithm checked by the solver). */
function projectionStateOf(saved: TileSolverState): ProjectionState {
  const { algorithm } = saved;
  if (algorithm !== "dm" && algorithm !== "raar") {
    throw new TypeError(`Cannot resume a projection solver from a ${algorithm} state`);
  }
  return { ...saved, algorithm };
}

/** The tile's solver state, its vectors read back with their exact bits. */
export async function solverState<V>(s: TileState<V>): Promise<TileSolverState> {
  if (s.solver instanceof ProjectionSolver) return { tile: s.tile, ...await s.solver.save() };
  const { algorithm, iteration, scalars, vectors } = s.solver.state();
  const parts: TileSolverState["vectors"] = {};
  for (const [name, v] of Object.entries(vectors)) parts[name] = await s.problem.download(v);
  return { tile: s.tile, algorithm, iteration, scalars, vectors: parts };
}

/** Puts a saved state into a tile's fresh solver (through temporary vectors). */
async function restoreTile<V>(s: TileState<V>, saved: TileSolverState): Promise<void> {
  const { problem, solver } = s;
  if (solver instanceof ProjectionSolver) throw new TypeError("Expected a gradient solver");
  const { algorithm } = saved;
  if (algorithm !== "cg" && algorithm !== "gd" && algorithm !== "lsqml") {
    throw new TypeError(`Cannot resume a tiled solver from a ${algorithm} state`);
  }
  const vectors: Record<string, V> = {};
  try {
    for (const [name, parts] of Object.entries(saved.vectors)) {
      vectors[name] = problem.upload(parts.object, parts.probe, `tile ${s.tile} saved ${name}`);
    }
    if (solver instanceof LsqmlSolver) {
      solver.restore({ ...saved, algorithm, vectors } as LsqmlState<GpuVariables>);
    } else if (algorithm === "lsqml") {
      throw new TypeError(`Cannot resume ${saved.algorithm} from an lsqml state`);
    } else {
      (solver as GradientSolver<V>).restore({ ...saved, algorithm, vectors });
    }
    // The copies out of the temporary vectors must run before those are released.
    await problem.finish();
  } finally {
    for (const v of Object.values(vectors)) problem.destroy(v);
  }
}
