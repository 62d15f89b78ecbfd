/** Tiled runs (`--tiles`, `--workers`): hands the run over to the tiled engine of `src/tiled/`. */
import { InputError } from "../data/errors.ts";
import { openTiledSession, planDatasetTiling, positionReach } from "../tiled/mod.ts";
import { initialGuess } from "./initial.ts";
import type { OpenSessionOptions, Session } from "./session.ts";

/** Opens a tiled session: one WebGPU device per worker, tiles exchanging overlap gradients. */
export async function openTiled(o: OpenSessionOptions): Promise<Session> {
  const { options, dataset } = o;
  if (options.algorithm !== "cg" && options.algorithm !== "gd" && options.algorithm !== "lsqml") {
    throw new InputError(
      `--algorithm ${options.algorithm} runs on one device only (it updates the object after ` +
        "every position): use --tiles 1x1 --workers 1, or cg, gd or lsqml for tiled runs.",
    );
  }
  if (options.algorithm === "lsqml") checkLsqml(o);
  if ((options.correctPositionsFrom ?? null) !== null && options.memoryBudget !== null) {
    throw new InputError(
      "--correct-positions-from needs every tile resident on its device: leave out " +
        "--memory-budget, or use more tiles or workers instead.",
    );
  }
  checkTiling(o);
  const guess = await initialGuess(o);
  return await openTiledSession({
    dataset,
    tiles: options.tiles,
    workers: options.workers,
    exchange: options.exchange,
    algorithm: options.algorithm,
    refineProbeFrom: guess.refineProbeFrom,
    correctPositionsFrom: options.correctPositionsFrom ?? null,
    slices: options.slices,
    modes: options.probeModes,
    noise: options.noise,
    initial: { object: guess.object, probe: guess.probe.data },
    propagation: guess.sliceDistance
      ? {
        sliceDistance: guess.sliceDistance,
        wavelength: dataset.geometry.wavelength,
        pixelSize: dataset.geometry.objectPixel,
      }
      : null,
    resume: o.checkpoint,
    memoryBudget: options.memoryBudget,
    mpi: o.mpi ?? null,
  });
}

/**
 * lsqml's mini-batches update the object several times per iteration, each update needing its
 * neighbours' sums at once: every tile resident, synchronous exchange, one object slice.
 *
 * @throws {InputError} naming the option to change.
 */
function checkLsqml(o: OpenSessionOptions): void {
  const { options } = o;
  const refuse = (what: string) => {
    throw new InputError(`--algorithm lsqml does not run with ${what}; use cg or gd for that.`);
  };
  if (options.memoryBudget !== null) refuse("--memory-budget (its tiles stay on the device)");
  if (options.exchange !== "sync") refuse("--exchange async (each batch needs its halo sums)");
  if (options.slices !== 1) refuse(`--slices ${options.slices} (one object slice only)`);
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
