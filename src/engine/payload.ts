import { type FrameSource, MemoryFrames } from "../data/mod.ts";
import type { NearFieldPropagation } from "../physics/fourier.ts";
import type { NoiseModel } from "../physics/model.ts";
import type { ExchangeMode } from "../parallel/mod.ts";
import type { Rect, Tiling } from "../tiling/mod.ts";

/**
 * Where a worker reads its frames: shared memory (simulated data) or the CXI file itself; or, for
 * the tile served in process, the data set's frames handed over directly (`host`).
 */
export type FramesSpec =
  | { kind: "host" }
  | { kind: "shared"; buffer: SharedArrayBuffer }
  | {
    kind: "cxi";
    path: string;
    objectPixel?: number;
    margin?: number;
    /** Near field: read (and pad) the frames as the main process did. */
    propagation?: "near" | "far";
    focusDistance?: number;
  };

/** What every worker of a tiled run gets (structured-clonable). */
export interface TiledPayload {
  /** The tiles that hold positions (see `withoutEmptyTiles`). */
  tiling: Tiling;
  /** Per tile, further pixels (object coordinates) it owns: parts of empty tiles' cores. */
  alsoOwned: Rect[][];
  positionsY: Float64Array;
  positionsX: Float64Array;
  frames: FramesSpec;
  slices: number;
  modes: number;
  noise: NoiseModel;
  mask: Uint8Array | null;
  /** Slice distance, wavelength and object pixel size (metres), for several slices. */
  propagation: { sliceDistance: number; wavelength: number; pixelSize: number } | null;
  /** The near-field detector's propagation, or null in far field. */
  nearField: NearFieldPropagation | null;
  /** Initial object S x H x W and probe K x M x M, complex float32, in shared memory. */
  object: SharedArrayBuffer;
  probe: Float32Array;
  algorithm: "cg" | "gd" | "lsqml" | "dm" | "raar";
  /** lsqml: mini-batches per sweep, the same on every tile (`lsqmlBatchCount`). */
  lsqmlBatches: number;
  refineProbeFrom?: number;
  /** First iteration that refines positions, or null (`positions.ts`). */
  correctPositionsFrom: number | null;
  /** RAAR's beta (`raar` only). */
  raarBeta?: number;
  /** The probe support's fraction of the frame's area (`dm` and `raar`; null: none). */
  probeSupport?: number | null;
  exchange: ExchangeMode;
  batchSize: number;
  /** Device bytes a worker may use: its tiles are then streamed (null: all resident). */
  memoryBudget: number | null;
  /** Per tile (by index), the solver state to continue from (`--resume`), or null. */
  resume: Array<TileSolverState | null> | null;
  /**
   * Under MPI with several workers per rank: their count (the tiling is planned for every rank's
   * workers, and each worker of the pool attaches to its process's MPI). Null otherwise.
   */
  mpi: { workersPerRank: number } | null;
}

/** One tile's solver state with its vectors' exact bits (see `GradientSolver.state`). */
export interface TileSolverState {
  tile: number;
  /**
   * `cg`, `gd` or `lsqml`; `dm` or `raar` (x and the exit waves, as the object part of vector
   * `exits`); `epie` or `rpie` for their one-device sessions, which save only x.
   */
  algorithm: "cg" | "gd" | "lsqml" | "dm" | "raar" | "epie" | "rpie";
  iteration: number;
  scalars: Record<string, number>;
  /** The solver's vectors by name (x, and for cg the direction and previous gradient). */
  vectors: Record<string, { object: Float32Array; probe: Float32Array }>;
  /** The tile's positions (object pixels) when position correction moves them. */
  positions?: { y: Float64Array; x: Float64Array };
}

/** Commands the session sends the workers. */
export type TiledCommand =
  | { type: "step" }
  | { type: "result" }
  | { type: "gradient" }
  | { type: "checkpoint" }
  | { type: "finish" };

/** Events workers publish. */
export type TiledEvent =
  | {
    type: "ready";
    rank: number;
    bytes: number;
    /** Device bytes one streamed tile needed, or null when the tiles are resident. */
    tileBytes: number | null;
    /** The worker's own adapter (each worker requests its device). */
    adapter: { description: string; fallback: boolean };
  }
  | {
    type: "stepped";
    rank: number;
    iteration: number;
    cost: number;
    /** The amplitude R-factor before and after the step (null when not known). */
    rFactor: number | null;
    newRFactor: number | null;
    /** The cost at the updated unknowns, when the step's line search computed it. */
    newCost: number | null;
    /** Evaluations of F the step made (the same on every tile). */
    evaluations: number;
    peak: number;
    /** What the device's peak is made of: bytes by buffer label. */
    peakLabels: Array<[string, number]>;
    /**
     * The transport and this participant's index in it (under `mpi`, r x W + w for worker w of
     * rank r with W workers per rank: the rank itself with one).
     */
    transport: string;
    participant: number;
    /** The step's wall time outside the transport's collectives, as a fraction (see busy.ts). */
    busy: number;
    /** Each of the worker's tiles' share of the step's last evaluation. */
    shares: Array<{ tile: number; cost: number; numerator: number; denominator: number }>;
  }
  | {
    type: "result";
    /** The unknowns, or the complete gradient at them (object and probe) with its cost. */
    what: "x" | "gradient";
    rank: number;
    tile: number;
    object: Float32Array;
    probe: Float32Array;
    cost: number;
    peak: number;
    /** With the unknowns, the tile's positions (object pixels), as refined so far. */
    positions?: { y: Float64Array; x: Float64Array };
  }
  | { type: "state"; rank: number; state: TileSolverState; peak: number };

/** Opens the frame source a worker reads its own positions' frames from. */
export async function openFrames(spec: FramesSpec, frame: number): Promise<FrameSource> {
  if (spec.kind === "host") throw new RangeError("Cannot open frames handed over in process");
  if (spec.kind === "shared") return new MemoryFrames(new Float32Array(spec.buffer), frame);
  const { readCxi } = await import("../io/mod.ts");
  const dataset = await readCxi(spec.path, {
    scan: false,
    objectPixel: spec.objectPixel,
    margin: spec.margin,
    propagation: spec.propagation,
    focusDistance: spec.focusDistance,
  });
  return dataset.frames;
}

/** The frames of positions `global[i]` of a source, seen as positions 0 .. n - 1. */
export class SubsetFrames implements FrameSource {
  constructor(readonly source: FrameSource, readonly global: Int32Array) {}

  read(indices: ArrayLike<number>): Promise<Float32Array> {
    return this.source.read(Array.from(indices, (i) => this.global[i]));
  }

  close(): void {}
}
