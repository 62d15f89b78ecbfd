/**
 * Chooses what runs a reconstruction: `cg`, `gd` and `lsqml` always run on the engine's tiles (one tile
 * in process, or workers), `epie` and `rpie` on one device.
 */
import { InputError } from "../data/errors.ts";
import type { OpenSessionOptions, Session } from "./session.ts";
import { openPie } from "./pie_open.ts";
import { openTiled } from "./tiled.ts";

/** Starts a session for `options`. */
export async function openSession(o: OpenSessionOptions): Promise<Session> {
  const { algorithm, tiles: [rows, cols], workers } = o.options;
  if (
    (o.options.correctPositionsFrom ?? null) !== null && algorithm !== "cg" && algorithm !== "gd"
  ) {
    throw new InputError(
      `--correct-positions-from works with --algorithm cg and gd, not ${algorithm} (its ` +
        "object changes within an iteration).",
    );
  }
  if ((algorithm === "epie" || algorithm === "rpie") && rows * cols === 1 && workers === 1) {
    if (o.options.memoryBudget !== null) {
      o.log(
        `--memory-budget does not apply to ${algorithm}, which holds the whole problem on one device`,
      );
    }
    return await openPie({ ...o, variant: algorithm });
  }
  return await openTiled(o);
}
