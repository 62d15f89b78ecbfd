/**
 * Runs of `cg`, `gd`, `lsqml`, `dm` and `raar`, on one tile or many (`--tiles`, `--workers`,
 * MPI ranks): checks the options, makes the initial guess and opens the one engine's session.
 */
import { InputError } from "../data/errors.ts";
import { MpiCollectives } from "../distributed/mpi/mod.ts";
import { combine } from "../parallel/mod.ts";
import { openEngineSession } from "./engine_session.ts";
import { planDatasetTiling, positionReach } from "./ownership.ts";
import { EXIT_UPDATE_MAX_MODES } from "../cost/mod.ts";
import { DEFAULT_PROBE_SUPPORT, DEFAULT_RAAR_BETA } from "../physics/model.ts";
import { propagationOf } from "./device_problem.ts";
import { initialGuess } from "./initial.ts";
import { lsqmlRefusals } from "./options.ts";
import type { FrameGroups } from "./probe.ts";
import type { OpenSessionOptions, Session } from "./session.ts";

/** Opens the engine's session: one WebGPU device per worker, tiles exchanging overlap gradients. */
export async function openEngine(o: OpenSessionOptions): Promise<Session> {
  const { options, dataset } = o;
  const { algorithm } = options;
  if (algorithm === "epie" || algorithm === "rpie") {
    throw new InputError(
      `--algorithm ${algorithm} runs on one device only (it updates the object after ` +
        "every position): use --tiles 1x1 --workers 1, or cg, gd, lsqml, dm or raar for tiled " +
        "runs.",
    );
  }
  if (algorithm === "lsqml") checkLsqml(o);
  if (algorithm === "dm" || algorithm === "raar") checkProjection(o);
  if ((options.correctPositionsFrom ?? null) !== null && options.memoryBudget !== null) {
    throw new InputError(
      "--correct-positions-from needs every tile resident on its device: leave out " +
        "--memory-budget, or use more tiles or workers instead.",
    );
  }
  checkTiling(o);
  const guess = await initialGuess(o, tileGroups(o));
  return await openEngineSession({
    dataset,
    tiles: options.tiles,
    workers: options.workers,
    exchange: options.exchange,
    algorithm,
    refineProbeFrom: guess.refineProbeFrom,
    correctPositionsFrom: options.correctPositionsFrom ?? null,
    // Checkpoints of runs before these options existed lack them: the defaults.
    raarBeta: options.raarBeta ?? DEFAULT_RAAR_BETA,
    probeSupport: options.probeSupport === undefined ? DEFAULT_PROBE_SUPPORT : options.probeSupport,
    slices: options.slices,
    modes: options.probeModes,
    noise: options.noise,
    initial: { object: guess.object, probe: guess.probe.data },
    propagation: propagationOf(dataset, guess),
    resume: o.checkpoint,
    memoryBudget: options.memoryBudget,
    mpi: o.mpi ?? null,
  });
}

/**
 * The run's tiles as the mean frame's groups (see `FrameGroups`): each rank reads only its own
 * tiles' frames and the sums meet in tile order, over the ranks' transport under MPI, so the
 * initial probe's bits depend on the tile grid alone, not on the rank or worker count.
 */
function tileGroups(o: OpenSessionOptions): FrameGroups {
  const { options, dataset, mpi } = o;
  const ranks = mpi?.size ?? 1;
  const reach = positionReach(options.correctPositionsFrom);
  const { tiling } = planDatasetTiling(dataset, options.tiles, options.workers * ranks, reach);
  const count = tiling.positionsOf.length;
  if (!mpi) {
    return {
      groups: tiling.positionsOf,
      local: tiling.positionsOf.map((_, t) => t),
      reduce: (parts) => {
        const length = parts.get(0)!.length;
        return Promise.resolve(combine((t) => parts.get(t)!, count, length, "sum"));
      },
    };
  }
  // Tiles go to ranks as the session plans them: worker w of rank r is participant r x W + w.
  const owners = Array.from(tiling.workerOf, (w) => Math.floor(w / options.workers));
  const collectives = new MpiCollectives(mpi, tiling, owners);
  return {
    groups: tiling.positionsOf,
    local: collectives.tiles,
    reduce: (parts) => collectives.allReduce(parts),
  };
}

/**
 * lsqml runs only where {@link lsqmlRefusals} finds nothing to refuse.
 *
 * @throws {InputError} naming the options to change.
 */
function checkLsqml(o: OpenSessionOptions): void {
  const refusals = lsqmlRefusals(o.options);
  if (refusals.length === 0) return;
  const what = refusals.map((r) => `${r.option} (it ${r.reason})`).join(" or ");
  throw new InputError(`--algorithm lsqml does not run with ${what}; use cg or gd for that.`);
}

/**
 * Plans the tiles once up front so that a tile grid that does not suit the data (more workers
 * than tiles holding positions, more tiles than pixels or than positions) is reported as the
 * user's choice to revisit, not as a crash. A few tiles without positions (a grid with more
 * rows or columns than the scan has distinct centre rows or columns) are fine: the tiled engine
 * leaves them out.
 *
 * @throws {InputError} naming the options to change.
 */
function checkTiling(o: OpenSessionOptions): void {
  const { options, dataset } = o;
  const grid = `--tiles ${options.tiles.join("x")} --workers ${options.workers}`;
  const [rows, cols] = options.tiles;
  if (rows * cols > dataset.count) {
    throw new InputError(
      `${grid} does not suit ${dataset.source}: at least ${rows * cols - dataset.count} of ` +
        `${rows * cols} tiles would hold no scan position (${dataset.count} positions); ` +
        "choose fewer tiles.",
    );
  }
  try {
    const reach = positionReach(options.correctPositionsFrom);
    planDatasetTiling(dataset, options.tiles, options.workers, reach);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new InputError(`${grid} does not suit ${dataset.source}: ${error.message}.`);
  }
}

/**
 * `dm` and `raar` keep every position's exit wave on its worker's device, and exchange the
 * overlap projection's sums synchronously on one slice.
 *
 * @throws {InputError} naming the option that does not apply.
 */
function checkProjection(o: OpenSessionOptions): void {
  const { options, dataset } = o;
  const name = `--algorithm ${options.algorithm}`;
  const waves = dataset.count * options.probeModes * dataset.frame ** 2 * 8;
  const problems = [
    options.memoryBudget !== null &&
    `keeps every position's exit wave on the device (${(waves / 2 ** 20).toFixed(1)} MiB for ` +
      `${dataset.source}, spread over the workers' tiles) and does not stream tiles: drop ` +
      "--memory-budget and use more workers, or use cg or gd",
    options.exchange === "async" &&
    "projects onto the overlap set with every tile's sums: use --exchange sync",
    options.slices > 1 && "reconstructs one slice: use --slices 1, or cg or gd",
    options.probeModes > EXIT_UPDATE_MAX_MODES &&
    `holds at most ${EXIT_UPDATE_MAX_MODES} probe modes: use fewer --probe-modes`,
  ].filter((p): p is string => typeof p === "string");
  if (problems.length > 0) throw new InputError(`${name} ${problems.join("; it ")}.`);
}
