/** Tiled runs (`--tiles`, `--workers`): hands the run over to the tiled engine of `src/tiled/`. */
import { InputError } from "../data/errors.ts";
import { openTiledSession } from "../tiled/session.ts";
import { planTiling } from "../tiling/mod.ts";
import { initialGuess } from "./initial.ts";
import type { OpenSessionOptions } from "./open.ts";
import type { Session } from "./session.ts";

/** Opens a tiled session: one WebGPU device per worker, tiles exchanging overlap gradients. */
export async function openTiled(o: OpenSessionOptions): Promise<Session> {
  const { options, dataset } = o;
  if (options.algorithm !== "cg" && options.algorithm !== "gd") {
    throw new InputError(
      `--algorithm ${options.algorithm} runs on one device only (it updates the object after ` +
        "every position): use --tiles 1x1 --workers 1, or cg or gd for tiled runs.",
    );
  }
  if (o.checkpoint) {
    throw new InputError(
      "Resuming a tiled run is not available in this build: tiled runs write no checkpoint.",
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
  });
}

/**
 * Plans the tiles once up front so that a tile grid that does not suit the data (more workers
 * than tiles, more tiles than pixels, a tile without scan positions) is reported as the user's
 * choice to revisit, not as a crash.
 *
 * @throws {InputError} naming the options to change.
 */
function checkTiling(o: OpenSessionOptions): void {
  const { options, dataset } = o;
  const grid = `--tiles ${options.tiles.join("x")} --workers ${options.workers}`;
  let tiling;
  try {
    tiling = planTiling({
      objectShape: dataset.objectShape,
      frame: dataset.frame,
      tiles: options.tiles,
      workers: options.workers,
      positionsY: dataset.positionsY,
      positionsX: dataset.positionsX,
    });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new InputError(`${grid} does not suit ${dataset.source}: ${error.message}.`);
  }
  const empty = tiling.positionsOf.flatMap((p, t) => (p.length === 0 ? [t] : []));
  if (empty.length > 0) {
    throw new InputError(
      `${grid} does not suit ${dataset.source}: ${empty.length} of ${tiling.positionsOf.length} ` +
        "tiles would hold no scan position (tiles cover the whole object, margins included); " +
        "choose fewer tiles.",
    );
  }
}
