/** The typed options of one reconstruction run (DESIGN section 5). */
import { DEFAULT_PROBE_SUPPORT, DEFAULT_RAAR_BETA } from "../physics/model.ts";

/** The solvers a run can use. */
export const ALGORITHMS = ["cg", "gd", "lsqml", "epie", "rpie", "dm", "raar"] as const;
export type Algorithm = typeof ALGORITHMS[number];

/** The noise models of the cost function. */
export const NOISE_MODELS = ["poisson", "gaussian"] as const;
export type NoiseModel = typeof NOISE_MODELS[number];

/** How tiles exchange overlap gradients. */
export const EXCHANGES = ["sync", "async"] as const;
export type Exchange = typeof EXCHANGES[number];

/** Everything that decides what a reconstruction computes and where it writes. */
export interface ReconstructOptions {
  /** CXI file to reconstruct, or null for the built-in demo simulated in memory. */
  input: string | null;
  /** Output directory; null chooses `out/demo` or `out/<input stem>`. */
  out: string | null;
  algorithm: Algorithm;
  iterations: number;
  tiles: [number, number];
  workers: number;
  exchange: Exchange;
  noise: NoiseModel;
  probeModes: number;
  /** First iteration that refines the probe; null: never, or 10 when the probe is estimated. */
  refineProbeFrom: number | null;
  /**
   * Whether a far-field probe estimated from the data takes the curvature of the defocus search
   * (`probe_search.ts`). Checkpoints written before it existed lack it: read as true.
   */
  defocusSearch?: boolean;
  /** RAAR's relaxation beta (`raar`; DESIGN section 7). */
  raarBeta: number;
  /**
   * `dm` and `raar`: the probe is zero outside a centred disc of this fraction of the frame's
   * area (PtyPy's `probe_support`); null: no support.
   */
  probeSupport: number | null;
  slices: number;
  /**
   * First iteration that refines the scan positions from the cost's gradient (DESIGN section 7);
   * null: never. `cg` and `gd` only. Checkpoints written before it existed lack it: read as null.
   */
  correctPositionsFrom?: number | null;
  /**
   * How exit waves reach the detector: `far` (Fourier transform) or `near` (angular spectrum,
   * DESIGN section 7). Checkpoints written before it existed lack it: read as far.
   */
  propagation: "far" | "near";
  /** Near field: focus-to-sample distance z1 in metres (cone beam), or null for a plane wave. */
  focusDistance: number | null;
  /** Distance between object slices in metres; null takes it from the file. */
  sliceThickness: number | null;
  /** Device bytes a worker may use (its tiles then stream through it); null: no limit. */
  memoryBudget: number | null;
  /** Write a checkpoint every N iterations (0: only on Ctrl-C). */
  checkpointEvery: number;
  /** Checkpoint directory (or output directory holding `checkpoint/`) to continue from. */
  resume: string | null;
  /**
   * With `resume`: the options that replace the checkpoint's (all others are the checkpoint's,
   * so the run continues the same computation), e.g. more iterations, or the same tiles on other
   * workers or under a memory budget.
   */
  resumeWith?: Partial<
    Pick<ReconstructOptions, "iterations" | "checkpointEvery" | "workers" | "memoryBudget">
  >;
  seed: number;
}

/**
 * The solver of a run that names none: `lsqml`, first to a given PSNR in `deno task bench quality`
 * (33 dB at frame 128, and the best image at 1e4 photons per frame), and it tiles.
 */
export const DEFAULT_ALGORITHM: Algorithm = "lsqml";

/** The solver a run that names none uses where the default does not run: `cg`, which runs anywhere. */
export const FALLBACK_ALGORITHM: Algorithm = "cg";

/** The options a run uses when none are given. */
export const DEFAULT_OPTIONS: ReconstructOptions = {
  input: null,
  out: null,
  algorithm: DEFAULT_ALGORITHM,
  iterations: 50,
  tiles: [1, 1],
  workers: 1,
  exchange: "sync",
  noise: "poisson",
  probeModes: 1,
  refineProbeFrom: null,
  defocusSearch: true,
  raarBeta: DEFAULT_RAAR_BETA,
  probeSupport: DEFAULT_PROBE_SUPPORT,
  slices: 1,
  correctPositionsFrom: null,
  propagation: "far",
  focusDistance: null,
  sliceThickness: null,
  memoryBudget: null,
  checkpointEvery: 10,
  resume: null,
  seed: 0,
};

/**
 * Why `--correct-positions-from` refuses an algorithm, by name; `cg`, `gd` and `lsqml` take it
 * (their passes give every position's shift gradient at the unknowns it sees).
 */
export const POSITION_REFUSALS: Readonly<Record<string, string>> = {
  epie: "its object changes after every position, on one device",
  rpie: "its object changes after every position, on one device",
  dm: "its exit waves, kept from one iteration to the next, belong to the positions they had",
  raar: "its exit waves, kept from one iteration to the next, belong to the positions they had",
};

/** An option lsqml does not run with, as the user wrote it, and why. */
export interface Refusal {
  /** The option and its value: `--slices 3`. */
  option: string;
  /** Why, with lsqml as the subject left out: "does not stream tiles". */
  reason: string;
}

/**
 * The options lsqml does not run with (empty when it runs): its mini-batches update the object
 * several times per iteration, each update needing its neighbours' sums at once, so every tile
 * stays resident, exchanges synchronously and holds one object slice.
 */
export function lsqmlRefusals(
  options: Pick<ReconstructOptions, "memoryBudget" | "exchange" | "slices">,
): Refusal[] {
  const refusals: Refusal[] = [];
  if (options.memoryBudget !== null) {
    refusals.push({ option: "--memory-budget", reason: "does not stream tiles" });
  }
  if (options.exchange !== "sync") {
    refusals.push({
      option: `--exchange ${options.exchange}`,
      reason: "needs each batch's halo sums at once",
    });
  }
  if (options.slices !== 1) {
    refusals.push({ option: `--slices ${options.slices}`, reason: "reconstructs one slice" });
  }
  return refusals;
}

/**
 * The solver of a run that did not name one: the default, or the fallback where the default
 * refuses an option, with the one line of the log that says so (null when the default runs).
 *
 * @example
 * ```ts
 * const { algorithm, note } = defaultAlgorithm({ memoryBudget: 2 ** 30, exchange: "sync", slices: 1 });
 * // algorithm: "cg"; note: "note: --memory-budget: running cg (lsqml does not stream tiles)"
 * ```
 */
export function defaultAlgorithm(
  options: Pick<ReconstructOptions, "memoryBudget" | "exchange" | "slices">,
): { algorithm: Algorithm; note: string | null } {
  const refusals = lsqmlRefusals(options);
  if (refusals.length === 0) return { algorithm: DEFAULT_ALGORITHM, note: null };
  const given = refusals.map((r) => r.option).join(", ");
  const reasons = refusals.map((r) => r.reason).join(" and ");
  return {
    algorithm: FALLBACK_ALGORITHM,
    note: `note: ${given}: running ${FALLBACK_ALGORITHM} (${DEFAULT_ALGORITHM} ${reasons})`,
  };
}

/** The output directory of a run: `--out`, else `out/demo` or `out/<input stem>`. */
export function outputDirectory(options: Pick<ReconstructOptions, "input" | "out">): string {
  if (options.out) return options.out;
  if (!options.input) return "out/demo";
  const base = options.input.split(/[\\/]/).pop() ?? options.input;
  const stem = base.replace(/\.[^.]*$/, "") || base;
  return `out/${stem}`;
}
