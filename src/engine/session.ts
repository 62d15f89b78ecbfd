/**
 * A {@link Session} is one reconstruction in progress, whatever runs it (the engine's
 * `EngineSession`, or `epie`/`rpie` on one device): the run loop drives it iteration by iteration, asks it for
 * checkpoints and finally for the result.
 */
import type { ComplexArray } from "../data/dataset.ts";
import type { MpiWorld } from "../distributed/mpi/mod.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Checkpoint } from "./checkpoint.ts";
import type { ReconstructOptions } from "./options.ts";
import type { TileFigures } from "../io/tile_panel.ts";

/** The reconstruction so far with the cost and R-factor at it. */
export interface SessionResult {
  object: ComplexArray;
  probe: ComplexArray;
  finalCost: number;
  finalRFactor: number;
  /** The refined scan positions (object pixels, scan order) when position correction ran. */
  positions?: { y: Float64Array; x: Float64Array };
}

/** What the run loop sees of a reconstruction in progress. */
export interface Session {
  /** The next iteration to run (0 for a new run, later after a resume). */
  readonly iteration: number;
  /** Cost before each iteration's update so far. */
  readonly costs: readonly number[];
  /**
   * The amplitude R-factor beside each cost (NaN where unknown: before a resume, or a solver
   * that does not report it).
   */
  readonly rFactors: readonly number[];
  /** Adapter the run uses (for the report). */
  readonly adapter: { description: string; fallback: boolean };
  /** Workers computing (1 on one device). */
  readonly workers: number;
  /** Runs one iteration and returns its cost (before the update). */
  step(): Promise<number>;
  /** The exact state, for a checkpoint from which {@link step} continues bit for bit. */
  checkpoint(): Promise<Checkpoint>;
  /** The reconstruction so far: object S x H x W and probe K x M x M, and the final cost. */
  result(): Promise<SessionResult>;
  /** The tiles this process computes (absent on one device). */
  readonly localTiles?: readonly number[];
  /** Peak device bytes per worker, from each worker's allocator. */
  deviceBytesPeak(): number[];
  /** Releases devices and workers. */
  destroy(): Promise<void>;
  /**
   * A tiled run's per-tile residuals, busy fractions and halo mismatch (as of the last
   * {@link result}) after its latest step; absent or null for one tile.
   */
  tileFigures?(): TileFigures | null;
  /**
   * Under MPI, brings every rank's tile figures of the latest step to rank 0's
   * {@link tileFigures} (collective, at most once a step); returns them.
   */
  gatherTileFigures?(): Promise<TileFigures | null>;
}

/** Options of `openSession`. */
export interface OpenSessionOptions {
  options: ReconstructOptions;
  dataset: Dataset;
  /** State to continue from (`--resume`), or null for a new run. */
  checkpoint: Checkpoint | null;
  log: (line: string) => void;
  /** This process's place in an MPI job (see `RunHooks.mpi`), or null. */
  mpi?: MpiWorld | null;
  /** Filled by the session's opener with what the report says about the start. */
  facts?: RunFacts;
}

/** What opening a session found out that the report carries. */
export interface RunFacts {
  /** The factor the initial illumination was rescaled by (1 when none was given). */
  probeRescale?: number;
}
